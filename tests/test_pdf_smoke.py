"""WeasyPrint renders Chinese text into the PDF's text layer."""

import subprocess

import pytest
from weasyprint import HTML

TEXT = "客户风险揭示书：投资有风险，入市需谨慎。"


@pytest.mark.pdftools
def test_weasyprint_writes_chinese_text_into_the_pdf(tmp_path):
    pdf = tmp_path / "smoke.pdf"
    HTML(string=f"<html lang='zh'><body><h1>{TEXT}</h1></body></html>").write_pdf(pdf)

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout

    assert pdf.read_bytes().startswith(b"%PDF")
    assert TEXT in text.replace("\n", "")

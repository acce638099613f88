"""PDF rendering: Chinese text (rare name characters included) in the text layer, A4, page numbers."""

import hashlib
import subprocess

import pytest

from accounts.errors import ApplicationError
from archive.models import DocumentSource
from archive.pdf import FONT_FILES, render_pdf
from archive.services import document_generate, document_rerender, document_store, document_verify

from .conftest import PDF

# 𬀩 (U+2C029, CJK Ext C) and 𫖯 (U+2B5AF, Ext C) occur in real names; 䶮 (U+4DAE) is Ext A.
RARE_NAME = "王𬀩"
DATA = {
    "title": "客户资料修改确认单",
    "branch_name": "北京金融大街营业部",
    "document_ref": "CS-2026-0001",
    "fields": [["客户姓名", RARE_NAME], ["曾用名", "赵孟𫖯 刘䶮"], ["证件号码", "110105********002X"]],
    "paragraphs": ["本人确认上述资料修改内容真实、准确、完整。投资有风险，入市需谨慎。"],
    "signatures": ["客户签名", "经办人签名", "复核人签名"],
}


def _pdftotext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pdfinfo(path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def test_weasyprint_subsets_fonts_with_harfbuzz():
    # Without libharfbuzz-subset WeasyPrint falls back to fontTools: ~30x slower on a Chinese page.
    from weasyprint.pdf import fonts

    assert fonts.harfbuzz_subset is not None, "install libharfbuzz-subset0"


def test_the_vendored_fonts_are_there():
    for path in FONT_FILES.values():
        assert path.stat().st_size > 1_000_000, path


@pytest.mark.pdftools
def test_a_chinese_pdf_has_the_text_header_page_numbers_and_signature_lines(tmp_path):
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(render_pdf("archive/pdf/generic.html", DATA))

    text = _pdftotext(pdf)
    flat = text.replace(" ", "")
    assert RARE_NAME in flat
    assert "赵孟𫖯刘䶮" in flat
    assert "客户资料修改确认单" in flat
    assert "示例证券股份有限公司" in flat
    assert "北京金融大街营业部" in flat
    assert "第1页/共1页" in flat
    assert all(label in flat for label in DATA["signatures"])
    info = _pdfinfo(pdf)
    assert "595.276 x 841.89 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    # only the vendored font, embedded as a subset: no system-font fallback
    font_lines = fonts.splitlines()[2:]
    assert font_lines and all("Noto-Sans-SC" in line and " yes yes yes " in line for line in font_lines)
    # converted to an image for a human to look at
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", str(pdf), str(tmp_path / "slip")], check=True)
    assert (tmp_path / "slip.png").stat().st_size > 5_000


@pytest.mark.pdftools
def test_page_numbers_count_every_page(tmp_path):
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(render_pdf("archive/pdf/generic.html", {**DATA, "paragraphs": ["风险揭示条款。" * 40] * 30}))

    flat = _pdftotext(pdf).replace(" ", "")
    pages = int(next(line for line in _pdfinfo(pdf).splitlines() if line.startswith("Pages:")).split()[1])
    assert pages >= 2
    assert f"第1页/共{pages}页" in flat
    assert f"第{pages}页/共{pages}页" in flat


def test_a_template_cannot_pull_in_local_files(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n")
    from weasyprint import HTML

    from archive.pdf import FontsOnlyFetcher

    fetcher = FontsOnlyFetcher()
    with pytest.raises(ValueError, match="not allowed"):
        fetcher.fetch(secret.as_uri())
    with pytest.raises(ValueError):
        fetcher.fetch("http://169.254.169.254/latest/meta-data/")
    # and rendering with such a reference still succeeds, without the resource
    HTML(string=f"<img src='{secret.as_uri()}'>", url_fetcher=fetcher).write_pdf()


@pytest.mark.django_db
def test_a_generated_document_is_stored_with_its_data_and_re_renders_identically(clerk, client_zhang):
    document = document_generate(
        actor=clerk, client=client_zhang, kind="change_slip", template_name="archive/pdf/generic.html", data=DATA
    )

    document.refresh_from_db()
    assert document.source == DocumentSource.GENERATED
    assert document.content_type == "application/pdf"
    assert document.render_template == "archive/pdf/generic.html"
    assert document.render_data == DATA
    assert document.original_filename.startswith(f"change_slip-{client_zhang.client_no}-")
    assert document_verify(document)
    assert hashlib.sha256(document_rerender(document)).hexdigest() == document.sha256


@pytest.mark.django_db
def test_an_uploaded_document_cannot_be_re_rendered(clerk, client_zhang):
    document = document_store(actor=clerk, client=client_zhang, kind="other", content=PDF, filename="a.pdf")

    with pytest.raises(ApplicationError) as refused:
        document_rerender(document)

    assert refused.value.code == "not_generated"


@pytest.mark.django_db
def test_generating_needs_the_add_permission(make_staff, client_zhang):
    with pytest.raises(ApplicationError) as refused:
        document_generate(
            actor=make_staff("witness"),
            client=client_zhang,
            kind="change_slip",
            template_name="archive/pdf/generic.html",
            data=DATA,
        )

    assert refused.value.code == "permission_denied"

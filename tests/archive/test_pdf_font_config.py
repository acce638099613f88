"""Documents rendered one after another share one FontConfiguration per thread (performance goal 6:
a FontConfiguration per document cost a long-lived worker ~0.28 MB a document that never came back).
Still valid PDFs, the same bytes as with a fresh configuration, and nothing piles up in it."""

import threading

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from archive import pdf
from archive.pdf import FONT_FILES, font_configuration, render_pdf

TEMPLATE = "archive/pdf/generic.html"
DATA = {
    "title": "风险揭示书",
    "branch_name": "北京金融大街营业部",
    "document_ref": "RD-2026-0001",
    "fields": [["客户姓名", "王𬀩"], ["证件号码", "110105********002X"]],
    "paragraphs": ["证券市场风险无时不在，投资者应充分了解市场风险，审慎决策。"],
    "signatures": ["客户签名"],
}


def _render_with_a_fresh_configuration(data: dict) -> bytes:
    html = pdf.render_html(TEMPLATE, data)
    return HTML(string=html, url_fetcher=pdf.FontsOnlyFetcher(), base_url=pdf.FONT_DIR.as_uri() + "/").write_pdf(
        font_config=FontConfiguration()
    )


def test_documents_rendered_in_a_row_load_the_fonts_once(monkeypatch):
    created = []

    def counting_font_configuration():
        created.append(FontConfiguration())
        return created[-1]

    monkeypatch.setattr(pdf, "FontConfiguration", counting_font_configuration)
    monkeypatch.setattr(pdf, "_local", threading.local())

    documents = [render_pdf(TEMPLATE, {**DATA, "document_ref": f"RD-2026-{i:04d}"}) for i in range(3)]

    assert len(created) == 1
    assert font_configuration() is created[0]
    for document in documents:
        assert document.startswith(b"%PDF-") and document.rstrip().endswith(b"%%EOF")
    assert len(set(documents)) == 3


def test_the_shared_configuration_renders_the_same_bytes_as_a_fresh_one():
    render_pdf(TEMPLATE, {**DATA, "title": "另一份文件", "paragraphs": ["Latin text, 中文。"] * 20})

    assert render_pdf(TEMPLATE, DATA) == _render_with_a_fresh_configuration(DATA)


def test_font_faces_do_not_pile_up_in_the_shared_configuration():
    render_pdf(TEMPLATE, DATA)
    # WeasyPrint copies each @font-face file it loads into the configuration's temporary folder.
    folder = font_configuration()._folder
    fonts = sorted(path.name for path in folder.iterdir())

    for i in range(3):
        render_pdf(TEMPLATE, {**DATA, "title": f"第{i}份"})

    assert len(fonts) == len(FONT_FILES)
    assert sorted(path.name for path in folder.iterdir()) == fonts


def test_each_thread_renders_with_its_own_configuration():
    mine = font_configuration()
    theirs = {}

    def render_in_a_thread():
        theirs["config"] = font_configuration()
        theirs["pdf"] = render_pdf(TEMPLATE, DATA)

    thread = threading.Thread(target=render_in_a_thread)
    thread.start()
    thread.join()

    assert theirs["config"] is not mine
    assert theirs["pdf"] == render_pdf(TEMPLATE, DATA)

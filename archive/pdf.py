"""The one PDF renderer every stage uses: Django template -> HTML -> WeasyPrint -> PDF bytes.

Chinese text uses the vendored Noto Sans SC subset in static/fonts (SIL OFL 1.1), loaded by @font-face,
so a PDF looks the same on every machine and re-renders identically. WeasyPrint subsets it with
HarfBuzz (libharfbuzz-subset), which makes a Chinese page cost about what a Latin one does; see
docs/decisions/0005-pdf-fonts.md.
"""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
FONT_FILES = {"regular": FONT_DIR / "NotoSansSC-Regular.otf", "bold": FONT_DIR / "NotoSansSC-Bold.otf"}
_ALLOWED_ROOTS = (FONT_DIR.resolve(),)


class FontsOnlyFetcher(URLFetcher):
    """Templates render caller data: only our own font files (and data: URIs) may be fetched."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if not any(path.is_relative_to(root) for root in _ALLOWED_ROOTS):
                raise ValueError(f"resource not allowed in a PDF: {url}")
        return super().fetch(url, headers)


def pdf_context(context: dict) -> dict:
    return {
        "firm_name": settings.FIRM_NAME,
        "font_regular_url": FONT_FILES["regular"].as_uri(),
        "font_bold_url": FONT_FILES["bold"].as_uri(),
        **context,
    }


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, pdf_context(context))


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render `template_name` (under templates/archive/pdf/) with `context` to PDF bytes."""
    html = render_html(template_name, context)
    # A fresh FontConfiguration per document: @font-face rules do not pile up in a long-lived worker.
    font_config = FontConfiguration()
    return HTML(string=html, url_fetcher=FontsOnlyFetcher(), base_url=FONT_DIR.as_uri() + "/").write_pdf(
        font_config=font_config
    )

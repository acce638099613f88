"""The one PDF renderer every stage uses: Django template -> HTML -> WeasyPrint -> PDF bytes.

Chinese text uses the vendored Noto Sans SC subset in static/fonts (SIL OFL 1.1), loaded by @font-face,
so a PDF looks the same on every machine and re-renders identically. WeasyPrint subsets it with
HarfBuzz (libharfbuzz-subset), which makes a Chinese page cost about what a Latin one does; see
docs/decisions/0005-pdf-fonts.md.
"""

import threading
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
FONT_FILES = {"regular": FONT_DIR / "NotoSansSC-Regular.otf", "bold": FONT_DIR / "NotoSansSC-Bold.otf"}
_ALLOWED_ROOTS = (FONT_DIR.resolve(),)
_local = threading.local()


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


def font_configuration() -> FontConfiguration:
    """The FontConfiguration every document rendered in this thread shares (performance goal 6).

    One per document cost a long-lived worker memory for good: each FontConfiguration loads the system
    Fontconfig configuration into a new Pango font map and leaves ~230 KB of C memory behind when it is
    freed (WeasyPrint 70, Pango 1.50), and each copied both 7.6 MB fonts to a temporary folder that
    stayed mapped until the cycle collector freed the document. RSS rose ~0.28 MB a document with no
    plateau. Shared, the fonts are copied, loaded and mapped once (~15 MB on disk while the thread
    lives): WeasyPrint keys each @font-face rule by its descriptors, so the same rule is not added
    twice, and our templates only declare the vendored fonts (FontsOnlyFetcher refuses others). The
    PDF bytes are the same as with a fresh configuration. Per thread, because Pango and Fontconfig
    objects must not be used from two threads at once.
    """
    font_config = getattr(_local, "font_config", None)
    if font_config is None:
        font_config = _local.font_config = FontConfiguration()
    return font_config


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render `template_name` (under templates/archive/pdf/) with `context` to PDF bytes."""
    html = render_html(template_name, context)
    return HTML(string=html, url_fetcher=FontsOnlyFetcher(), base_url=FONT_DIR.as_uri() + "/").write_pdf(
        font_config=font_configuration()
    )

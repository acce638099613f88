"""Server-rendered SVG charts (no JavaScript, nothing loaded from the internet). Text is escaped."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#b91c1c", "#d97706", "#2563eb", "#059669", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
TIER_COLORS = {"A": "#b91c1c", "B": "#d97706", "C": "#2563eb"}


def _text_width(text: str) -> int:
    """Approximate width in px at 13px: CJK characters are square, Latin about half."""
    return sum(13 if ord(ch) > 0x2E80 else 7 for ch in str(text))


def bar_chart(items: list[tuple[str, int]], *, title: str, colors: dict[str, str] | None = None) -> SafeString:
    """Horizontal bars with the label on the left and count and share on the right."""
    total = sum(v for _, v in items) or 1
    peak = max((v for _, v in items), default=0) or 1
    label_w = max(60, max((_text_width(label) for label, _ in items), default=0) + 16)
    bar_w, row_h, top = 300, 28, 8
    width = label_w + bar_w + 110
    height = top + row_h * max(len(items), 1) + 8
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        color = (colors or {}).get(label, PALETTE[i % len(PALETTE)])
        w = max(round(bar_w * value / peak), 1 if value else 0)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" class="chart-label">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 10}" rx="3" fill="{color}"></rect>'
            f'<text x="{label_w + w + 6}" y="{y + 18}" class="chart-value">{value:,}（{100 * value / total:.1f}%）</text>'
        )
    if not items:
        parts.append(f'<text x="{label_w}" y="{top + 18}" class="chart-value">无数据</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703  # all text escape()d; colours are constants


def stacked_bar(items: list[tuple[str, int]], *, title: str, colors: dict[str, str] | None = None) -> SafeString:
    """One 100% bar split by share, with a legend underneath (for the tier pyramid)."""
    total = sum(v for _, v in items) or 1
    width, bar_h = 520, 34
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {bar_h + 40}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for i, (label, value) in enumerate(items):
        w = width * value / total
        color = (colors or {}).get(label, PALETTE[i % len(PALETTE)])
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{bar_h}" fill="{color}"></rect>')
        lx = 10 + i * (width // max(len(items), 1))
        parts.append(
            f'<rect x="{lx}" y="{bar_h + 14}" width="12" height="12" fill="{color}"></rect>'
            f'<text x="{lx + 18}" y="{bar_h + 25}" class="chart-value">{escape(label)} '
            f"{100 * value / total:.1f}%</text>"
        )
        x += w
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703  # labels and title are escape()d

"""PDF rendering: a Chinese page against the same page in Latin text, per-page cost at 20 pages, and
memory over 200 documents in one process — all measured in one run (issue: Performance, item 6).

Run: .venv/bin/python bench/pdf_render.py [--repeat 7] [--documents 200]
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from archive.pdf import render_pdf  # noqa: E402

ZH = "客户风险揭示书：证券市场风险无时不在，投资者应充分了解市场风险，审慎决策。张堃、王喆、李赟、刘䶮、𠮷田"
EN = "Client risk disclosure: securities markets always carry risk, investors must understand it and decide."


def context(text: str, pages: int) -> dict:
    paragraphs = [text * 3] * (14 * pages)
    fields = [
        ["客户姓名" if text is ZH else "Client name", text[:12]],
        ["证件号码" if text is ZH else "ID", "1101**********002X"],
    ]
    return {"title": text[:10], "branch_name": "测试营业部", "document_ref": "BENCH", "fields": fields,
            "paragraphs": paragraphs, "signatures": ["客户签名"]}  # fmt: skip


def timed(text: str, pages: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        render_pdf("archive/pdf/generic.html", context(text, pages))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()

    timed(ZH, 1, 2)  # warm up fonts and templates
    latin_1 = timed(EN, 1, args.repeat)
    chinese_1 = timed(ZH, 1, args.repeat)
    chinese_20 = timed(ZH, 20, max(2, args.repeat // 3))
    per_page_ratio = (chinese_20 / 20) / chinese_1

    render_pdf("archive/pdf/generic.html", context(ZH, 1))
    rss_start = rss_mb()
    for _ in range(args.documents):
        render_pdf("archive/pdf/generic.html", context(ZH, 1))
    rss_end = rss_mb()
    growth = (rss_end - rss_start) / rss_start

    rows = [
        ("Latin 1 page (s)", f"{latin_1:.3f}", ""),
        ("Chinese 1 page (s)", f"{chinese_1:.3f}", ""),
        ("Chinese / Latin", f"{chinese_1 / latin_1:.2f}", "goal <= 1.5: " + ("pass" if chinese_1 / latin_1 <= 1.5 else "short")),
        ("Chinese 20 pages (s)", f"{chinese_20:.3f}", ""),
        ("per page at 20 / at 1", f"{per_page_ratio:.2f}", "goal <= 1.5: " + ("pass" if per_page_ratio <= 1.5 else "short")),
        (f"RSS over {args.documents} docs (MB)", f"{rss_start:.0f} -> {rss_end:.0f} ({growth:+.0%})",
         "goal <= +20%: " + ("pass" if growth <= 0.20 else "short")),
    ]  # fmt: skip
    for name, value, verdict in rows:
        print(f"{name:<32} {value:<22} {verdict}")


if __name__ == "__main__":
    main()

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


def measure(*, repeat: int = 7, documents: int = 200) -> dict:
    timed(ZH, 1, 2)  # warm up fonts and templates
    latin_1 = timed(EN, 1, repeat)
    chinese_1 = timed(ZH, 1, repeat)
    chinese_20 = timed(ZH, 20, max(2, repeat // 3))
    render_pdf("archive/pdf/generic.html", context(ZH, 1))
    rss_start = rss_mb()
    rss_mid = rss_start
    step = max(1, documents // 10)
    curve = [(0, rss_start)]  # RSS every tenth of the run: a steady climb and a sawtooth look alike at 3 points
    for i in range(documents):
        render_pdf("archive/pdf/generic.html", context(ZH, 1))
        if i == documents // 2 - 1:
            rss_mid = rss_mb()
        if (i + 1) % step == 0 and i + 1 < documents:
            curve.append((i + 1, rss_mb()))
    rss_end = rss_mb()
    curve.append((documents, rss_end))
    return {
        "latin_1_s": latin_1,
        "chinese_1_s": chinese_1,
        "chinese_over_latin": chinese_1 / latin_1,
        "chinese_20_s": chinese_20,
        "per_page_20_over_1": (chinese_20 / 20) / chinese_1,
        "documents": documents,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_mid_mb": rss_mid,
        "rss_growth": (rss_end - rss_start) / rss_start,
        "rss_growth_second_half": (rss_end - rss_mid) / rss_mid,
        "rss_curve_mb": curve,
        "rss_peak_growth": (max(rss for _, rss in curve) - rss_start) / rss_start,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    r = measure(repeat=args.repeat, documents=args.documents)
    growth = r["rss_growth"]
    rows = [
        ("Latin 1 page (s)", f"{r['latin_1_s']:.3f}", ""),
        ("Chinese 1 page (s)", f"{r['chinese_1_s']:.3f}", ""),
        ("Chinese / Latin", f"{r['chinese_over_latin']:.2f}",
         "goal <= 1.5: " + ("pass" if r["chinese_over_latin"] <= 1.5 else "short")),
        ("Chinese 20 pages (s)", f"{r['chinese_20_s']:.3f}", ""),
        ("per page at 20 / at 1", f"{r['per_page_20_over_1']:.2f}",
         "goal <= 1.5: " + ("pass" if r["per_page_20_over_1"] <= 1.5 else "short")),
        (f"RSS over {args.documents} docs (MB)", f"{r['rss_start_mb']:.0f} -> {r['rss_end_mb']:.0f} ({growth:+.0%})",
         "goal <= +20%: " + ("pass" if growth <= 0.20 else "short")),
    ]  # fmt: skip
    for name, value, verdict in rows:
        print(f"{name:<32} {value:<22} {verdict}")
    print("RSS (MB) after n documents:", ", ".join(f"{n}: {rss:.0f}" for n, rss in r["rss_curve_mb"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prepare Chinese fonts for WeasyPrint PDFs (rerunnable, deterministic).

Source: Debian package ``fonts-noto-cjk`` (Noto Sans CJK, SIL OFL 1.1) and,
optionally, ``fonts-hanazono`` (HanaMinB, SIL OFL 1.1 with Reserved Font Names,
so the subset is renamed) as a fallback for CJK Ext B-F characters that Noto
Sans CJK lacks.

What it does
  1. takes the "Noto Sans CJK SC" face (Regular and Bold) out of the .ttc
     collection (the .ttc holds 10 faces sharing one 65 535-glyph CFF);
  2. subsets it with fontTools to what Chinese documents need: Latin, Greek,
     Cyrillic, punctuation/symbols, CJK punctuation, kana, bopomofo, fullwidth
     forms, CJK URO, Ext A, every supplementary-plane ideograph the font has,
     compatibility ideographs. Hangul and the JP/KR/TC/HK regional variants
     that are only reachable through the 'locl' feature are dropped;
  3. drops hinting (WeasyPrint strips it when embedding anyway);
  4. optionally converts CFF outlines to TrueType (glyf) (``--format ttf``);
  5. optionally builds the Ext B-F fallback from HanaMinB (``--fallback``),
     keeping only code points the primary font does not cover.

Usage
  apt-get install fonts-noto-cjk            # build-time only
  python prepare_font.py --out static/fonts  # -> NotoSansSC-{Regular,Bold}.otf
  python prepare_font.py --out static/fonts --fallback --hanazono-dir DIR

Needs: pip install fonttools (and brotli for --woff2).
"""

import argparse
import hashlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont, newTable

NOTO_DIRS = ["/usr/share/fonts/opentype/noto"]
HANAZONO_DIRS = ["/usr/share/fonts/truetype/hanazono"]

# Code point ranges kept in the primary font (inclusive). Hangul is left out.
PRIMARY_RANGES = [
    (0x0020, 0x007E),
    (0x00A0, 0x024F),  # Latin, Latin-1, Latin Ext-A/B (pinyin tones)
    (0x02B0, 0x036F),  # spacing modifiers (ˊˇˋ˙), combining marks
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),  # Greek, Cyrillic
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2000, 0x2BFF),  # punctuation, super/subscripts, currency, letterlike,
    # number forms (Ⅻ), arrows, math, enclosed (①), box, shapes
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x2FF0, 0x303F),  # ideographic description, CJK symbols & punctuation
    (0x3040, 0x30FF),  # kana (Japanese names / loan words in Chinese text)
    (0x3100, 0x312F),
    (0x31A0, 0x31BF),  # bopomofo
    (0x31C0, 0x31EF),  # CJK strokes
    (0x3200, 0x33FF),  # enclosed CJK, CJK compatibility (㎡ ㈱)
    (0x3400, 0x4DBF),  # CJK Ext A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE4F),  # vertical / CJK compatibility forms
    (0xFF00, 0xFFEF),  # half/fullwidth forms
    (0x20000, 0x323AF),  # Ext B .. Ext H (whatever the font has)
    (0x2F800, 0x2FA1F),  # compatibility ideographs supplement
]
# Ext B..H + compatibility supplement, for the fallback font.
FALLBACK_RANGES = [(0x20000, 0x323AF), (0x2F800, 0x2FA1F)]


def expand(ranges):
    return {cp for start, end in ranges for cp in range(start, end + 1)}


def find_file(name, dirs):
    for folder in dirs:
        path = Path(folder) / name
        if path.exists():
            return path
    sys.exit(f"{name} not found in {dirs}: apt-get install the Debian package or pass the folder on the command line")


def sc_face(ttc_path):
    """Return the 'Noto Sans CJK SC' face of a Noto Sans CJK collection."""
    for font in TTCollection(str(ttc_path)).fonts:
        if font["name"].getDebugName(1) in ("Noto Sans CJK SC", "Noto Sans CJK SC Bold"):
            return font
    sys.exit(f'no "Noto Sans CJK SC" face in {ttc_path}')


def subset_font(font, unicodes, drop_features=("locl",)):
    options = subset.Options()
    options.layout_features = [f for f in options.layout_features if f not in drop_features]
    options.hinting = False  # WeasyPrint drops hinting when embedding
    options.name_IDs = ["*"]  # keep copyright, trademark, licence (OFL)
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False  # reproducible output
    options.ignore_missing_unicodes = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return font


def rename(font, family, postscript):
    """Rename a font (required by OFL when the original has Reserved Font Names)."""
    name = font["name"]
    style = name.getDebugName(2) or "Regular"
    for name_id in (1, 3, 4, 6, 16, 17, 18, 21, 22):
        name.removeNames(nameID=name_id)
    for platform in ((3, 1, 0x409), (1, 0, 0)):
        name.setName(family, 1, *platform)
        name.setName(style, 2, *platform)
        name.setName(f"{postscript}-{style}", 3, *platform)
        name.setName(f"{family} {style}", 4, *platform)
        name.setName(f"{postscript}-{style}", 6, *platform)


def otf_to_ttf(font, max_err=1.0):
    """Convert CFF outlines to TrueType quadratic outlines (fontTools recipe)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():  # left side bearing = xMin
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones",):
        setattr(maxp, attr, 1)
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
    ):
        setattr(maxp, attr, 0)
    maxp.maxComponentElements = max((len(g.components) for g in glyphs.values() if hasattr(g, "components")), default=0)
    maxp.compile(font)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, not needed in PDFs
    post.extraNames, post.mapping = [], {}
    font.sfntVersion = "\x00\x01\x00\x00"
    return font


def save(font, path, woff2=False):
    font.save(str(path), reorderTables=True)
    out = [path]
    if woff2:
        font.flavor = "woff2"
        woff2_path = path.with_suffix(".woff2")
        font.save(str(woff2_path))
        font.flavor = None
        out.append(woff2_path)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="static/fonts", type=Path)
    parser.add_argument("--noto-dir", action="append", default=[], help="folder holding NotoSansCJK-{Regular,Bold}.ttc")
    parser.add_argument(
        "--format", choices=("otf", "ttf"), default="otf", help="otf: keep CFF outlines (smaller); ttf: glyf outlines"
    )
    parser.add_argument("--weights", default="Regular,Bold")
    parser.add_argument("--full", action="store_true", help="keep every glyph of the SC face (no subsetting)")
    parser.add_argument("--fallback", action="store_true", help="also build the Ext B-F fallback from HanaMinB")
    parser.add_argument("--hanazono-dir", action="append", default=[])
    parser.add_argument(
        "--woff2", action="store_true", help="also write .woff2 copies (smaller in git, slower to load)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    written = []

    primary_cmap = set()
    for weight in args.weights.split(","):
        ttc = find_file(f"NotoSansCJK-{weight}.ttc", args.noto_dir + NOTO_DIRS)
        font = sc_face(ttc)
        if not args.full:
            subset_font(font, expand(PRIMARY_RANGES))
        if args.format == "ttf":
            otf_to_ttf(font)
        primary_cmap |= set(font.getBestCmap())
        suffix = "-full" if args.full else ""
        written += save(font, args.out / f"NotoSansSC{suffix}-{weight}.{args.format}", args.woff2)

    if args.fallback:
        source = find_file("HanaMinB.ttf", args.hanazono_dir + HANAZONO_DIRS)
        font = TTFont(str(source))
        wanted = expand(FALLBACK_RANGES) - primary_cmap
        subset_font(font, wanted, drop_features=())
        # OFL Reserved Font Names "HanaMinB"/"Hanazono Font": rename the subset.
        rename(font, "CJKExtFallback", "CJKExtFallback")
        written += save(font, args.out / "CJKExtFallback-Regular.ttf", args.woff2)

    for path in written:
        data = path.read_bytes()
        print(f"{path}  {len(data) / 2**20:.2f} MiB  sha256 {hashlib.sha256(data).hexdigest()[:16]}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Makes the fonts that every rendered deck embeds: DejaVu Sans and DejaVu
Sans Mono, cut down to the characters in charset.txt, as WOFF2.

An authoring step, not a build step: its output is committed, so neither
the renderer nor CI needs Python. Run it after editing charset.txt:

    pip install fonttools brotli          # PyPI
    apt-get install fonts-dejavu-core     # Debian: the full fonts
    python3 slides/render/fonts/subset.py

Why embedded fonts: a deck laid out with one machine's fonts overflows on
another's (Liberation, Segoe UI, SF…). With its own fonts inside, a deck
lays out the same on every machine. Why DejaVu: its licence (LICENSE, beside
this file) allows embedding and redistributing modified copies, and it
covers the decks' code, arrows and Greek in both a sans and a mono face.
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

# What the stylesheet asks for: text and headings, code and its bold
# output. Italic is left to the browser, which slants the upright face
# (same widths, so the same layout) rather than bring in four more faces.
FACES = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono", "DejaVuSansMono-Bold"]


def charset(path):
    """The code points listed in charset.txt: `0041`, `0020-007E`, `# …`."""
    points = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for item in line.split("#", 1)[0].split():
            first, _, last = item.partition("-")
            try:
                start, end = int(first, 16), int(last or first, 16)
            except ValueError:
                sys.exit(f"{path.name}:{number}: {item!r} is not a code point or a range")
            points.update(range(start, end + 1))
    return points


def main():
    wanted = charset(HERE / "charset.txt")
    options = subset.Options()
    options.flavor = "woff2"
    # Copyright and licence stay in every font, as the licence asks.
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.name_languages = [0x409]
    # Chromium on Linux hints lightly (vertical only), which needs no
    # instructions; other systems ignore most of them. Half the size.
    options.hinting = False
    options.drop_tables += ["FFTM", "MATH"]
    for face in FACES:
        source = DEJAVU / f"{face}.ttf"
        if not source.is_file():
            sys.exit(f"{source} is missing: apt-get install fonts-dejavu-core")
        # The source's timestamp, not today's: the same input gives the same
        # bytes, so a rerun changes nothing that git would show.
        font = TTFont(source, recalcTimestamp=False)
        missing = sorted(wanted - set(font.getBestCmap()))
        if missing:
            listed = " ".join(f"{point:04X} ({chr(point)})" for point in missing)
            sys.exit(f"{face} lacks {listed}: take them out of charset.txt")
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        out = HERE / f"{face}.woff2"
        font.flavor = "woff2"
        font.save(out)
        print(f"{out.name}: {out.stat().st_size} bytes, {len(wanted)} characters")


if __name__ == "__main__":
    main()

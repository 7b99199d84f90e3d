"""The product sheets in a real browser: headless Chromium opens every sheet and takes a screenshot,
and prints one sheet to PDF on A4.

CI installs Chromium (Debian package `chromium`) before `make test`; elsewhere these tests skip
with a reason when it is absent.
"""
from __future__ import annotations

import html
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from interpreter.api import Engine
from interpreter.sheets import write_sheets
from test_sheets import make_catalogue

WIDTH, HEIGHT = 1280, 2000
A4 = (595.28, 841.89)  # points


def chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


if chromium() is None and os.environ.get("CATALOGUE_REQUIRE_BROWSER"):
    # CI sets this after installing Chromium: there a missing browser is a failure, not a skip.
    raise RuntimeError("CATALOGUE_REQUIRE_BROWSER is set but headless Chromium is not installed")

pytestmark = pytest.mark.skipif(
    chromium() is None,
    reason="headless Chromium is not installed (Debian package 'chromium': apt-get install chromium); "
           ".ci/run installs it so CI always runs these browser tests")


def run_chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def png_facts(path: Path) -> tuple[int, int, float]:
    """Width, height and the share of image bytes that are neither black nor white (0 for a blank page).

    The bytes are the PNG's filtered scanlines: a blank page filters to runs of 0 or 255 whatever
    filter the encoder chose, text and tables leave many other values.
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    position, compressed = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            compressed += data[position + 8:position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(compressed)
    other = len(raw) - raw.count(0) - raw.count(255)
    return width, height, other / len(raw)


@pytest.fixture(scope="module")
def sheets(tmp_path_factory) -> Path:
    """The sheets of the bundled catalogue plus a test card with a worked example."""
    root = make_catalogue(tmp_path_factory.mktemp("browser") / "catalogue")
    out = tmp_path_factory.mktemp("browser-out") / "sheets"
    write_sheets(Engine(root), out, "html")
    return out


def test_blank_page_is_recognised(tmp_path):
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    png = tmp_path / "blank.png"
    done = run_chromium(tmp_path / "profile", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
                        blank.as_uri())
    assert png.is_file(), done.stderr[-2000:]
    assert png_facts(png)[2] < 0.001


def test_every_sheet_renders_in_chromium(sheets, tmp_path):
    pages = sorted(sheets.glob("*.html"), key=lambda p: (p.name != "index.html", p.name))
    assert pages[0].name == "index.html" and len(pages) > 2
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for page in pages:
        png = shots / f"{page.stem}.png"
        done = run_chromium(tmp_path / "profile", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
                            page.as_uri())
        assert png.is_file(), f"no screenshot of {page.name}: {done.stderr[-2000:]}"
        width, height, ink = png_facts(png)
        assert (width, height) == (WIDTH, HEIGHT), page.name
        assert png.stat().st_size > 20_000, f"{page.name}: the screenshot is suspiciously small"
        assert ink > 0.01, f"{page.name}: the screenshot looks blank ({ink:.4f})"


def test_a_sheet_prints_on_a4(sheets, tmp_path):
    pdf = tmp_path / "ZZ-1.pdf"
    done = run_chromium(tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                        (sheets / "ZZ-1.html").as_uri())
    assert pdf.is_file(), done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes, "no page size found in the PDF"
    for width, height in boxes:
        assert abs(float(width) - A4[0]) < 2 and abs(float(height) - A4[1]) < 2, (width, height)
    assert len(boxes) >= 2  # a full sheet takes more than one page


MEASURE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{svg}
<script>
const box = (element) => {{ const b = element.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; }};
const marks = [...document.querySelectorAll("g.mark")].map(
  (g) => ({{text: box(g.querySelector("text")), room: box(g.querySelector("rect.label-box"))}}));
document.body.setAttribute("data-marks", JSON.stringify(marks));
</script></body></html>"""


def measured_marks(svg: str, name: str, folder: Path) -> list[dict]:
    """The text box and the label box of every mark of a timeline SVG, as Chromium lays them out."""
    wrapper = folder / f"{name}-measure.html"
    wrapper.write_text(MEASURE.format(svg=svg), encoding="utf-8")
    done = run_chromium(folder / "profile", "--dump-dom", wrapper.as_uri())
    data = re.search(r'data-marks="([^"]*)"', done.stdout)
    assert data, f"{name}: nothing measured: {done.stderr[-2000:]}"
    return json.loads(html.unescape(data.group(1)))


def assert_labels_apart(marks: list[dict], name: str) -> None:
    """Each label's text fits the box the layout gave it, and no two texts overlap."""
    for mark in marks:
        text, room = mark["text"], mark["room"]
        assert text[2] - text[0] > 0, name  # the font rendered the text
        assert room[0] - 0.5 <= text[0] and text[2] <= room[2] + 0.5, (name, mark)
    texts = [m["text"] for m in marks]
    for a, b in itertools.combinations(texts, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (name, a, b)


def test_timeline_labels_as_the_browser_draws_them_never_overlap(sheets, tmp_path):
    """The layout estimates label widths; the browser's own text boxes must fit those estimates."""
    measured = 0
    for page in sorted(sheets.glob("*.html")):
        found = re.search(r"<svg .*?</svg>", page.read_text(encoding="utf-8"), re.S)
        if not found:
            continue
        marks = measured_marks(found.group(0), page.stem, tmp_path)
        assert_labels_apart(marks, page.name)
        measured += len(marks)
    assert measured > 20


@pytest.mark.parametrize("width, height", [(1280, 2000), (390, 1600)])
def test_the_timeline_shows_at_desktop_and_phone_width(sheets, tmp_path, width, height):
    page = (sheets / "ZZ-1.html").read_text(encoding="utf-8")
    found = re.search(r'<figure class="timeline">.*?</figure>', page, re.S)
    assert found, "the worked example of ZZ-1 has no timeline"
    head = page[:page.index("<body")]
    only = tmp_path / "ZZ-1-timeline.html"
    only.write_text(head.replace('href="sheet.css"', f'href="{(sheets / "sheet.css").as_uri()}"')
                    + f"<body>{found.group(0)}</body></html>", encoding="utf-8")
    png = tmp_path / f"timeline-{width}.png"
    done = run_chromium(tmp_path / "profile", f"--screenshot={png}", f"--window-size={width},{height}",
                        only.as_uri())
    assert png.is_file(), done.stderr[-2000:]
    shot_width, _, ink = png_facts(png)
    assert shot_width == width
    assert ink > 0.002, f"the timeline looks blank at {width} px ({ink:.4f})"

"""The admin dashboard's trend charts in a real headless Chromium (issue 11): signed in, with
a year of seeded history, the page draws its SVG charts under the Content Security Policy
(no violation in the console) and a screenshot shows them.

Opt-in like tests/workshop/test_browser_csp.py (whose development server, session cookie and
page loader this reuses): Debian's chromium at /usr/bin/chromium and WELDSHOP_BROWSER_TESTS=1.
The screenshot is checked without an imaging library: its size from the PNG header, then the
pixels decoded (zlib and the PNG row filters) to find the charts' colours."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from tests.workshop.test_browser_csp import (  # noqa: F401 - `server` is a module-scoped fixture
    CHROMIUM,
    CSP_MESSAGE,
    cookie_setter,
    load,
    manage,
    server,
)

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.skipif(
        os.environ.get("WELDSHOP_BROWSER_TESTS") != "1",
        reason="browser tests are opt-in: set WELDSHOP_BROWSER_TESTS=1",
    ),
]

WIDTH, HEIGHT = 1920, 1600
# admin.css: the work-order columns (created, completed)
CREATED, COMPLETED = (0x4F, 0x81, 0xBD), (0x3C, 0x8A, 0x3C)

# A year of history ending now, seeded random: work orders created and completed, inspections
# (15 % failing, by defect type), items consumed at different rates (one named like a script).
SEED = r"""
import datetime as dt
import random

from django.utils import timezone

from inspections.models import Inspection
from inventory.models import Item, StockMovement
from workorders.models import WorkOrder

rng = random.Random(20261206)
now = timezone.now()
orders = []
for n in range(320):
    created = now - dt.timedelta(days=rng.uniform(0, 364))
    done = created + dt.timedelta(days=rng.uniform(1, 30))
    status = "completed" if done < now and rng.random() < 0.8 else rng.choice(["pending", "in_progress"])
    order = WorkOrder.objects.create(
        order_id=f"WO-H{n:04d}", client=rng.choice(["Acme", "Northern Steel", "Harbour Works"]),
        status=status, due_date=(created + dt.timedelta(days=rng.randint(5, 25))).date(),
    )
    WorkOrder.objects.filter(pk=order.pk).update(
        created_at=created, completed_at=done if status == "completed" else None
    )
    orders.append(order)
defects = ["porosity"] * 6 + ["lack_of_fusion"] * 3 + ["undercut"] * 2 + ["crack", "slag_inclusion", "spatter"]
for n in range(500):
    failed = rng.random() < 0.15
    Inspection.objects.create(
        inspection_id=f"QC-H{n:04d}", work_order=rng.choice(orders), inspector="Inspector H",
        result="fail" if failed else "pass", defect_type=rng.choice(defects) if failed else None,
        method="VT", inspected_at=now - dt.timedelta(days=rng.uniform(0, 364)),
    )
names = ["<script>alert(1)</script>", "ER70S-6 wire 1.2 mm", "Argon 50 l", "Grinding disc 125",
         "E7018 rods 3.2", "Tungsten 2.4", "Flux core 1.6", "Nozzles", "Contact tips", "Gloves",
         "Never used"]
for n, name in enumerate(names):
    quantity = 20 + 15 * n
    item = Item.objects.create(item_id=f"INV-H{n:02d}", item_name=name, quantity=quantity, unit="pcs",
                               reorder_level=30)
    if name == "Never used":
        continue
    level = quantity + 60
    for day in range(0, 90, 3):
        used = rng.randint(1, 3 + n // 3)
        level -= used
        movement = StockMovement.objects.create(item=item, delta=-used, quantity_after=max(level, 0),
                                                reason="consumption")
        StockMovement.objects.filter(pk=movement.pk).update(created_at=now - dt.timedelta(days=90 - day))
print("seeded", WorkOrder.objects.count(), Inspection.objects.count(), StockMovement.objects.count())
"""


@pytest.fixture(scope="module")
def seeded(request):
    live = request.getfixturevalue("server")  # the imported fixture, by name
    out = manage(["shell", "-c", SEED], live["env"])
    assert "seeded 320 500" in out
    return live


def screenshot(url: str, tmp: Path, target: Path) -> list[str]:
    """A PNG of the page at WIDTH x HEIGHT into `target`; the CSP complaints of the load."""
    profile = tmp / f"profile-{time.monotonic_ns()}"
    try:
        result = subprocess.run(  # noqa: S603
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--window-size={WIDTH},{HEIGHT}",
                "--virtual-time-budget=5000",
                f"--screenshot={target}",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert target.exists(), result.stderr[-3000:]
    return [line for line in result.stderr.splitlines() if CSP_MESSAGE.search(line)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_pixels(data: bytes) -> list[bytes]:
    """The rows of an 8-bit, non-interlaced RGB or RGBA PNG as RGB(A) bytes."""
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = previous[i], previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return rows if bpp == 3 else [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]


def test_the_trend_charts_render_under_the_csp_and_show_in_a_screenshot(seeded):
    target = seeded["tmp"] / "admin-trends.png"
    with cookie_setter(seeded["cookie"], f"{seeded['base']}/admin/dashboard/") as start:
        complaints = screenshot(start, seeded["tmp"], target)
    assert complaints == []
    data = target.read_bytes()
    assert png_size(data) == (WIDTH, HEIGHT)
    assert len(data) > 50_000  # a page of charts, not a blank or an error page

    rows = png_pixels(data)
    counts: dict[tuple[int, int, int], int] = {}
    for row in rows[::2]:  # every other row is plenty to count colours
        for i in range(0, len(row), 6):  # and every other pixel
            pixel = (row[i], row[i + 1], row[i + 2])
            counts[pixel] = counts.get(pixel, 0) + 1
    assert len(counts) > 50
    assert counts.get(CREATED, 0) > 500 and counts.get(COMPLETED, 0) > 500

    with cookie_setter(seeded["cookie"], f"{seeded['base']}/admin/dashboard/") as start:
        dom, complaints = load(start, seeded["tmp"])
    assert complaints == []
    assert "browser-admin" in dom
    section = dom.split('id="trends"', 1)[1]
    for chart_id in ("trend-workorders", "trend-pass-rate", "trend-pareto", "trend-stock"):
        assert f'id="{chart_id}"' in section
    workorders = section.split('id="trend-workorders"', 1)[1].split("</figure>", 1)[0]
    heights = [float(h) for h in re.findall(r'<rect class="col col-\w+"[^>]*height="([\d.]+)"', workorders)]
    assert len(heights) > 60 and all(h > 0 for h in heights)  # two series over most of 53 weeks
    paths = re.findall(r'<path class="line" d="([^"]*)"', section)
    assert all(re.fullmatch(r"M[\d.]+ [\d.]+( [ML][\d.]+ [\d.]+)*", d) for d in paths)
    assert len(paths) >= 2  # the moving pass rate and the Pareto's cumulative share
    stock = section.split('id="trend-stock"', 1)[1].split("</figure>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in stock and "<script" not in stock
    assert "Never used" not in stock

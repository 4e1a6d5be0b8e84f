"""A sender that writes a file into the inbox slowly, as real scanners and fax servers do (run as a process).

``python -m tests.e2e.slow_writer SCENARIO PATH ARGS...`` writes ``PATH``
according to the scenario, then prints the SHA-256 and size of the bytes it
left there.  Scenarios:

* ``create-pause DATA SECONDS``: create the file, hold it open empty, then write it all;
* ``mid-pause DATA SECONDS``: write half, pause with the file open, write the rest;
* ``tiff-pages PAGES GAP SEED``: a fax TIFF written one page at a time, the file
  reopened for each page (structurally complete after every page);
* ``rewrite-open DATA1 DATA2 SECONDS``: write DATA1, pause, truncate and write DATA2 (same descriptor);
* ``rewrite-reopen DATA1 DATA2 SECONDS``: write DATA1 and close; later reopen truncating and write DATA2;
* ``rename-in DATA``: write the file beside the inbox, then rename it in (whole on arrival).
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import AppendingTiffWriter


def fax_page(seed: int, number: int, pages: int) -> Image.Image:
    img = Image.new("1", (1000, 300), 1)
    draw = ImageDraw.Draw(img)
    lines = [f"FAX {seed:05d} page {number} of {pages}"]
    lines += [f"Patient: Slowwriter Person{seed:05d}", "DOB: 01/02/1970"] if number == 1 else \
        [f"Potassium 6.8 mmol/L CRITICAL (continued, report {seed:05d})"]
    for i, line in enumerate(lines):
        draw.text((30, 30 + i * 60), line, fill=0)
    return img


def tiff_page_bytes(seed: int, number: int, pages: int) -> bytes:
    buf = io.BytesIO()
    fax_page(seed, number, pages).save(buf, format="TIFF", compression="group4", dpi=(204, 196))
    return buf.getvalue()


def _tiff_pages(path: Path, pages: int, gap: float, seed: int) -> bytes:
    for number in range(1, pages + 1):
        if number > 1:
            time.sleep(gap)
        with open(path, "r+b" if number > 1 else "w+b") as fh, AppendingTiffWriter(fh) as tf:
            fax_page(seed, number, pages).save(tf, format="TIFF", compression="group4", dpi=(204, 196))
            tf.newFrame()
    return path.read_bytes()  # read at once: the watcher takes a TIFF only after its full quiet period


def run(scenario: str, path: Path, args: list[str]) -> bytes:
    """Write ``path`` as the scenario says; returns the bytes it holds at the end."""
    if scenario == "create-pause":
        data, pause = Path(args[0]).read_bytes(), float(args[1])
        with open(path, "wb") as fh:
            fh.flush()
            time.sleep(pause)
            fh.write(data)
        return data
    if scenario == "mid-pause":
        data, pause = Path(args[0]).read_bytes(), float(args[1])
        with open(path, "wb") as fh:
            fh.write(data[: len(data) // 2])
            fh.flush()
            time.sleep(pause)
            fh.write(data[len(data) // 2:])
        return data
    if scenario == "tiff-pages":
        return _tiff_pages(path, int(args[0]), float(args[1]), int(args[2]))
    if scenario == "rewrite-open":
        first, second, pause = Path(args[0]).read_bytes(), Path(args[1]).read_bytes(), float(args[2])
        with open(path, "w+b") as fh:
            fh.write(first)
            fh.flush()
            time.sleep(pause)
            fh.seek(0)
            fh.truncate()
            fh.write(second)
        return second
    if scenario == "rewrite-reopen":
        first, second, pause = Path(args[0]).read_bytes(), Path(args[1]).read_bytes(), float(args[2])
        path.write_bytes(first)
        time.sleep(pause)
        path.write_bytes(second)
        return second
    if scenario == "rename-in":
        data = Path(args[0]).read_bytes()
        staging = path.parent.parent / f".staging-{path.name}"
        staging.write_bytes(data)
        os.replace(staging, path)
        return data
    raise SystemExit(f"unknown scenario {scenario}")


def main(argv: list[str]) -> None:
    scenario, path = argv[0], Path(argv[1])
    data = run(scenario, path, argv[2:])
    print(hashlib.sha256(data).hexdigest(), len(data), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""A burst of good, bad and hostile files dropped into a watched inbox: each gets exactly one outcome.

The burst holds every bad kind from :mod:`samples.hostile` (empty — a 0-byte
file is never taken, it waits for its sender and is listed —, truncated,
corrupt, encrypted, HTML/EXE named .pdf, unsupported types, decompression
bomb, too many pages), temporary/system files that must be ignored, valid
files with hostile names (spaces, unicode, leading dash, 200 characters, shell
characters, bytes that are not UTF-8, a line break), a file written slowly in
chunks, an exact re-send dropped together with its original, a symlink to a
file outside the inbox, a named pipe and a subfolder (never taken, each
explained in a ``.reason.txt`` and reported by ``intake check``), and three files that crash or hang a worker (fault
injection through the worker hook).  The service must keep running.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from chartfile.service.checks import check
from indexer.db.models import IntakeItem
from intake.config import Config
from intake.spool import display_name, reason_sidecar
from samples.hostile import generate_hostile, start_slow_write
from tests.e2e import faults
from tests.e2e.helpers import ThreadedWatch, fax_tiff_bytes, make_home, text_pdf_bytes, wait_for

REASON_WORDS = {  # category -> words one of which the clerk-readable reason must contain
    # pdfium refuses a PDF with no pages outright, so pages.py reports it as damaged
    "empty": ("empty", "no pages", "damaged"),
    "corrupt": ("damaged", "cannot", "unrecognised"),
    "encrypted": ("password",),
    "wrong_type": ("named like",),
    "unsupported": ("unsupported",),
    "too_large": ("too large", "decompression"),
    "too_many_pages": ("pages",),
}
HOOK = "tests.e2e.faults:install"


def _unique(data: bytes, n: int) -> bytes:
    """Same file, different bytes (trailing data after %%EOF / after the TIFF is ignored by readers)."""
    return data + f"\n%unique {n}\n".encode()


def _stage(tmp_path: Path) -> tuple[Path, dict[str, tuple[str, str]], list[str]]:
    """Write the burst into a staging folder; returns it, name -> (expect, category), ignored names."""
    staging = tmp_path / "staging"
    cases = generate_hostile(staging, seed=3, max_pages=5)
    (staging / "hostile.jsonl").unlink()
    expected: dict[str, tuple[str, str]] = {}
    ignored: list[str] = []
    for n, case in enumerate(cases):
        if case.expect == "ignore":
            ignored.append(case.file)
            continue
        if (staging / case.file).stat().st_size == 0:  # its sender has not written it yet: never taken
            ignored.append(case.file)
            continue
        if case.expect == "accept":
            path = staging / case.file
            path.write_bytes(_unique(path.read_bytes(), n))
        expected[case.file] = (case.expect, case.category)
    extra = {
        f"{faults.CRASH}.pdf": (text_pdf_bytes(901), "quarantine", "crash"),
        f"{faults.HANG}.pdf": (text_pdf_bytes(902), "quarantine", "hang"),
        f"{faults.SEGV}.tif": (fax_tiff_bytes(903), "quarantine", "crash"),
        f"{faults.FLAKY}.pdf": (text_pdf_bytes(907), "accept", "flaky"),
        "resend original.pdf": (text_pdf_bytes(904), "accept", "ok"),
        "line\nbreak.pdf": (text_pdf_bytes(905), "accept", "ok"),
        "innocent fax.tif": (fax_tiff_bytes(906), "accept", "ok"),
    }
    for name, (data, expect, category) in extra.items():
        (staging / name).write_bytes(data)
        expected[display_name(name)] = (expect, category)  # the line break is shown as a space
    for i in range(10):
        name = f"batch {i:02d}.pdf"
        (staging / name).write_bytes(text_pdf_bytes(910 + i))
        expected[name] = ("accept", "ok")
    with open(os.path.join(os.fsencode(staging), b"not-utf8-\xff\xfe.pdf"), "wb") as fh:
        fh.write(text_pdf_bytes(930))
    expected[display_name(os.fsdecode(b"not-utf8-\xff\xfe.pdf"))] = ("accept", "ok")
    return staging, expected, ignored


def test_every_file_of_a_hostile_burst_gets_exactly_one_outcome(tmp_path: Path) -> None:
    cfg, db = make_home(tmp_path, quiet_seconds=1.5, max_pages=5, max_page_pixels=20_000_000,
                        page_timeout_seconds=12.0, max_attempts=2)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    staging, expected, ignored = _stage(tmp_path)
    outside = tmp_path / "outside-secret.pdf"
    outside.write_bytes(text_pdf_bytes(999))
    (inbox / "subfolder").mkdir()
    slow_data = text_pdf_bytes(940, pages=3)
    expected["slowly written.pdf"] = ("accept", "ok")
    expected["resend copy.pdf"] = ("duplicate", "ok")

    with ThreadedWatch(cfg, db, inbox, worker_hook=HOOK) as watch:
        writer = start_slow_write(inbox / "slowly written.pdf", slow_data, chunks=5, seconds=5.0)
        os.symlink(outside, inbox / "link-to-outside.pdf")
        os.mkfifo(inbox / "pipe.pdf")  # opening it to read would block a reader for ever
        for entry in sorted(os.listdir(os.fsencode(staging))):
            os.replace(os.path.join(os.fsencode(staging), entry), os.path.join(os.fsencode(inbox), entry))
        (inbox / "resend copy.pdf").write_bytes((inbox / "resend original.pdf").read_bytes())

        def settled() -> bool:
            with db.session() as s:
                states = list(s.scalars(select(IntakeItem.state)))
            return len(states) >= len(expected) and all(
                st in ("processed", "quarantined", "duplicate") for st in states)

        finished = wait_for(settled, timeout=300, step=0.5)
        writer.join(10)
        assert watch.thread.is_alive(), f"the service stopped: {watch.error!r}"
    assert finished, _summary(db)

    with db.session() as s:
        items = list(s.scalars(select(IntakeItem)))
    by_name: dict[str, list[IntakeItem]] = {}
    for item in items:
        by_name.setdefault(item.original_name, []).append(item)
    assert sorted(by_name) == sorted(expected), "taken files differ from the non-ignored files dropped"
    for name, (expect, category) in expected.items():
        [item] = by_name[name]  # exactly one item per dropped file
        _check_outcome(cfg, item, expect, category)
    resent = by_name["resend copy.pdf"][0]
    assert resent.duplicate_of_id == by_name["resend original.pdf"][0].id
    # ignored files, the symlink, the pipe and the sub-folder are untouched (the refused ones explained);
    # everything else left the inbox
    refused = {"link-to-outside.pdf": "symbolic link", "pipe.pdf": "named pipe", "subfolder": "folder"}
    assert sorted(p.name for p in inbox.iterdir()) == sorted(
        [*ignored, *refused, *(reason_sidecar(inbox / n).name for n in refused)])
    for name, kind in refused.items():
        assert f"What it is: {kind}" in reason_sidecar(inbox / name).read_text(encoding="utf-8"), name
    assert (inbox / "link-to-outside.pdf").is_symlink() and (inbox / "subfolder").is_dir()
    assert outside.read_bytes() == text_pdf_bytes(999)
    report = check(cfg, db)  # every item is accounted for; the entries never taken are what it reports
    assert report.unfinished == 0 and report.inbox is not None
    assert report.inbox.empty == ["empty.pdf"] and report.inbox.waiting == 0  # the empty file waits, listed
    assert sorted((r.name, str(r.kind)) for r in report.inbox.refused) == sorted(refused.items())
    assert len(report.problems) == len(refused) and all("never taken" in p for p in report.problems), \
        report.problems


def _check_outcome(cfg: Config, item: IntakeItem, expect: str, category: str) -> None:
    name = item.original_name
    if expect == "accept":
        assert item.state == "processed", (name, item.state, item.reason)
        tries = 2 if category == "flaky" else 1  # a transient error is retried, not quarantined
        assert item.attempts == tries, f"{name}: needed {item.attempts} attempts"
        return
    if expect == "duplicate":
        assert item.state == "duplicate", (name, item.state)
        return
    assert item.state == "quarantined", (name, item.state)
    assert item.reason, name
    sidecar = reason_sidecar(cfg.home / (item.stored_path or ""))
    assert sidecar.is_file() and item.reason in sidecar.read_text(encoding="utf-8"), name
    if category == "crash":
        assert "stopped unexpectedly" in item.reason and item.attempts == 2, (name, item.reason)
    elif category == "hang":
        assert "took longer" in item.reason and item.attempts == 2, (name, item.reason)
    else:
        words = REASON_WORDS[category]
        assert any(w in item.reason.lower() for w in words), (name, item.reason)
        assert item.attempts <= 1, (name, item.attempts)


def _summary(db: object) -> str:
    from indexer.db.engine import Database

    assert isinstance(db, Database)
    with db.session() as s:
        return "\n".join(f"{i.id} {i.state} {i.attempts} {i.original_name[:40]!r} {i.reason or i.last_error or ''}"
                         for i in s.scalars(select(IntakeItem)))

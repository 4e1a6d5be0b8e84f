"""When is a writer done?  Empty and shrinking files, per-format waits, writers still holding a file open."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from intake import openfiles
from intake.completeness import Inspection, inspect
from intake.config import FormatQuietConfig, load_config
from intake.errors import ConfigError
from intake.stability import OPEN_RECHECK_SECONDS, StabilityTracker, WriterCheck

PDF_WHOLE = Inspection("pdf", True)
TIFF_WHOLE = Inspection("tiff", True)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def tracker(clock: Clock, tiff: float = 60.0, writer_timeout: float = 300.0) -> StabilityTracker:
    quiet = FormatQuietConfig(tiff=tiff)
    return StabilityTracker(3.0, clock, settle_seconds=0.5, format_quiet=quiet.seconds, writer_timeout=writer_timeout)


def test_an_empty_file_is_never_ready_however_long_it_waits() -> None:
    clock = Clock()
    tr = tracker(clock)
    tr.observe("/in/fax.pdf", 0, 1)  # created and held open by a sender that has not written yet
    clock.t += 3600
    assert tr.ready(inspect=lambda p: PDF_WHOLE) == []
    assert tr.next_due() is None  # nothing to wake up for: only a change can make it ready
    tr.observe("/in/fax.pdf", 500, 2)  # the sender writes at last
    clock.t += 0.6
    assert tr.ready(inspect=lambda p: PDF_WHOLE) == ["/in/fax.pdf"]


def test_a_shrinking_file_starts_over_and_loses_the_settle_shortcut() -> None:
    clock = Clock()
    tr = tracker(clock)
    tr.observe("/in/a.pdf", 900, 1)
    clock.t += 0.2
    tr.observe("/in/a.pdf", 300, 2)  # truncated: the sender writes it again
    clock.t += 0.6
    assert tr.ready(inspect=lambda p: PDF_WHOLE) == []  # looks whole, but a rewrite waits the full period
    clock.t += 2.5
    assert tr.ready(inspect=lambda p: PDF_WHOLE) == ["/in/a.pdf"]


def test_a_tiff_waits_its_own_quiet_period_even_when_structurally_complete() -> None:
    clock = Clock()
    tr = tracker(clock, tiff=20.0)
    tr.observe("/in/fax.tif", 5000, 1)
    clock.t += 3.5
    assert tr.ready(inspect=lambda p: TIFF_WHOLE) == []  # whole after page 1, and after every page
    assert tr.next_due() == pytest.approx(16.5)
    clock.t += 16.5
    assert tr.ready(inspect=lambda p: TIFF_WHOLE) == ["/in/fax.tif"]


def test_a_tiff_that_arrived_whole_by_a_rename_takes_the_settle_shortcut() -> None:
    """Written elsewhere and moved in (the kernel reports it created, never modified): no page can follow."""
    clock = Clock()
    tr = tracker(clock, tiff=60.0)
    tr.observe("/in/fax.tif", 5000, 1)
    tr.arrived("/in/fax.tif")
    clock.t += 0.6
    assert tr.ready(inspect=lambda p: TIFF_WHOLE) == ["/in/fax.tif"]


@pytest.mark.parametrize("later", ["wrote", "closed"])
def test_a_tiff_written_in_place_after_it_appeared_waits_its_full_period(later: str) -> None:
    clock = Clock()
    tr = tracker(clock, tiff=60.0)
    tr.observe("/in/fax.tif", 5000, 1)
    tr.arrived("/in/fax.tif")  # created in place ...
    getattr(tr, later)("/in/fax.tif")  # ... and written there (a modify, or the close after writing)
    tr.closed("/in/fax.tif")
    clock.t += 10.0
    assert tr.ready(inspect=lambda p: TIFF_WHOLE, writer_open=lambda paths: dict.fromkeys(paths, False)) == []
    clock.t += 50.0
    assert tr.ready(inspect=lambda p: TIFF_WHOLE, writer_open=lambda paths: dict.fromkeys(paths, False)) == [
        "/in/fax.tif"]


def test_per_format_waits_come_from_the_configuration() -> None:
    cfg = load_config("/nonexistent-home", environ={"CHARTFILE_INTAKE__QUIET_BY_FORMAT__PDF": "7"})
    assert cfg.intake.quiet_by_format.seconds("pdf") == 7.0
    assert cfg.intake.quiet_by_format.seconds("tiff") == 60.0
    assert cfg.intake.quiet_by_format.seconds(None) == 0.0
    with pytest.raises(ConfigError, match="zero or more"):
        load_config("/nonexistent-home", environ={}, overrides={"intake": {"quiet_by_format": {"tiff": -1}}})


def test_a_file_being_written_waits_for_the_close_after_write_event() -> None:
    clock = Clock()
    tr = tracker(clock)
    tr.observe("/in/a.pdf", 100, 1)
    tr.wrote("/in/a.pdf")  # modified; not closed yet (a sender pausing mid-write)
    clock.t += 10
    assert tr.ready(inspect=lambda p: PDF_WHOLE) == []
    tr.closed("/in/a.pdf")
    assert tr.ready(inspect=lambda p: PDF_WHOLE) == ["/in/a.pdf"]


def test_open_for_writing_blocks_is_asked_again_later_and_a_hung_writer_times_out() -> None:
    clock = Clock()
    tr = tracker(clock, writer_timeout=100.0)
    tr.observe("/in/a.pdf", 100, 1)
    asked: list[list[str]] = []

    def still_open(paths: list[str]) -> dict[str, bool | None]:
        asked.append(paths)
        return dict.fromkeys(paths, True)

    clock.t += 5
    assert tr.ready(inspect=lambda p: PDF_WHOLE, writer_open=still_open) == []
    assert tr.ready(inspect=lambda p: PDF_WHOLE, writer_open=still_open) == []
    assert len(asked) == 1  # not asked again before the recheck time
    assert tr.next_due() == pytest.approx(OPEN_RECHECK_SECONDS)
    clock.t += 100
    assert tr.ready(inspect=lambda p: PDF_WHOLE, writer_open=still_open) == ["/in/a.pdf"]


def test_proc_saying_closed_wins_over_a_modify_event_whose_close_is_not_processed_yet() -> None:
    for verdict, expected in ((None, []), (False, ["/in/a.pdf"])):
        clock = Clock()
        tr = tracker(clock)
        tr.observe("/in/a.pdf", 100, 1)
        tr.wrote("/in/a.pdf")
        clock.t += 1
        assert tr.ready(inspect=lambda p: PDF_WHOLE, writer_open=_answers(verdict)) == expected


def _answers(verdict: bool | None) -> WriterCheck:
    """A writer check that gives ``verdict`` for every path it is asked about."""
    return lambda paths: dict.fromkeys(paths, verdict)


Step = tuple[int, float, str]


@settings(deadline=None, max_examples=300)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(0, 70), st.sampled_from(["scan", "write", "close"])),
                min_size=1, max_size=25),
       st.sampled_from([PDF_WHOLE, Inspection("pdf", False), TIFF_WHOLE, Inspection(None, False)]))
def test_never_ready_while_empty_open_or_quiet_less_than_its_wait(steps: list[Step], verdict: Inspection) -> None:
    clock = Clock()
    tr = tracker(clock)
    since, prev, writing, shrank = clock.t, None, False, False
    for size, dt, event in steps:
        clock.t += dt
        tr.observe("/in/f", size, size)
        if size != prev:
            shrank = shrank or (prev is not None and size < prev)
            since, prev = clock.t, size
        if event == "write":
            tr.wrote("/in/f")
            writing = True
        elif event == "close":
            tr.closed("/in/f")
            writing = False
        quiet = clock.t - since
        if verdict.kind == "tiff":
            wait = 60.0
        elif verdict.complete and not writing and not shrank:
            wait = 0.5
        else:
            wait = 3.0
        expected = size > 0 and quiet >= wait and (not writing or quiet >= 300.0)
        assert (tr.ready(inspect=lambda p: verdict) == ["/in/f"]) == expected


def test_open_for_writing_sees_this_process_and_a_child_holding_a_file(tmp_path: Path) -> None:
    if not openfiles.available():
        pytest.skip("no /proc")
    path = tmp_path / "fax.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    assert openfiles.open_for_writing([str(path)]) == {str(path): False}
    with open(path, "ab"):
        assert openfiles.open_for_writing([str(path)]) == {str(path): True}
    with open(path, "rb"):  # readers do not count
        assert openfiles.open_for_writing([str(path)]) == {str(path): False}
    child = subprocess.Popen([sys.executable, "-c", "import sys, time; f = open(sys.argv[1], 'r+b'); "
                              "print('ok', flush=True); time.sleep(30)", str(path)], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"ok"
        assert openfiles.open_for_writing([str(path)]) == {str(path): True}
    finally:
        child.kill()
        child.wait()
    assert openfiles.open_for_writing([str(path), str(tmp_path / "gone")]) == {str(path): False,
                                                                                str(tmp_path / "gone"): None}


def test_open_for_writing_reads_fd_flags_and_cannot_tell_when_the_owners_processes_are_hidden(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "proc"
    for sub in ("self/fd", "self/fdinfo", "77/fd", "77/fdinfo", "78/fd", "78/fdinfo", "4242/fd"):
        (fake / sub).mkdir(parents=True)
    target, other = tmp_path / "fax.pdf", tmp_path / "other.pdf"
    target.write_bytes(b"x")
    other.write_bytes(b"y")
    (fake / "77/fd/3").symlink_to(target)
    (fake / "77/fdinfo/3").write_text("pos:\t0\nflags:\t0100001\nmnt_id:\t1\n")  # O_WRONLY
    (fake / "78/fd/4").symlink_to(other)
    (fake / "78/fdinfo/4").write_text("pos:\t0\nflags:\t0100000\n")  # O_RDONLY: a reader
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if str(path).endswith("4242/fd"):
            raise PermissionError(13, "hidden")  # another user's process
        return real_scandir(path)  # type: ignore[arg-type, call-overload]

    monkeypatch.setattr(openfiles.os, "scandir", scandir)
    monkeypatch.setattr(openfiles.os, "geteuid", lambda: 4321)  # not root, not the files' owner
    verdicts = openfiles.open_for_writing([str(target), str(other)], proc=fake)
    assert verdicts == {str(target): True, str(other): None}  # the hidden process is of the owner's uid
    (fake / "4242").rename(fake / "gone")
    assert openfiles.open_for_writing([str(other)], proc=fake) == {str(other): False}


def test_inspect_reports_kind_and_completeness(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("1", (200, 100), 1).save(buf, format="TIFF", compression="group4")
    tif = tmp_path / "a.tif"
    tif.write_bytes(buf.getvalue())
    assert inspect(str(tif)) == Inspection("tiff", True)
    tif.write_bytes(buf.getvalue()[:-20])
    assert inspect(str(tif)).kind == "tiff" and not inspect(str(tif)).complete
    link = tmp_path / "link.tif"
    link.symlink_to(tif)
    assert inspect(str(link)) == Inspection(None, False)  # never through a link
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    start = time.monotonic()
    assert inspect(str(fifo)).complete is False
    assert time.monotonic() - start < 2  # never blocks on a pipe

"""Stable-file detection with an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.completeness import Inspection
from intake.stability import StabilityTracker, is_ignored

PDF_CUT = Inspection("pdf", False)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_file_ready_only_after_quiet_period() -> None:
    clock = Clock()
    tr = StabilityTracker(3.0, clock)
    tr.observe("/in/a.pdf", 100, 1)
    assert tr.ready() == []
    clock.t += 2.9
    tr.observe("/in/a.pdf", 100, 1)
    assert tr.ready() == []
    clock.t += 0.2
    assert tr.ready() == ["/in/a.pdf"]


def test_growing_file_restarts_the_quiet_period() -> None:
    clock = Clock()
    tr = StabilityTracker(3.0, clock)
    for size in range(1, 10):  # a slow writer adds a chunk every 2 s
        tr.observe("/in/slow.tif", size * 1000, size)
        clock.t += 2.0
        assert tr.ready() == []
    clock.t += 1.5
    assert tr.ready() == ["/in/slow.tif"]


def test_mtime_change_with_same_size_restarts() -> None:
    clock = Clock()
    tr = StabilityTracker(1.0, clock)
    tr.observe("/in/x.pdf", 10, 1)
    clock.t += 0.9
    tr.observe("/in/x.pdf", 10, 2)
    clock.t += 0.5
    assert tr.ready() == []
    clock.t += 0.6
    assert tr.ready() == ["/in/x.pdf"]


def test_unopenable_file_waits_another_period() -> None:
    clock = Clock()
    tr = StabilityTracker(1.0, clock)
    tr.observe("/in/locked.pdf", 10, 1)
    clock.t += 2
    assert tr.ready(lambda p: False) == []
    assert tr.ready(lambda p: True) == []  # period restarted at the failed open
    clock.t += 1
    assert tr.ready(lambda p: True) == ["/in/locked.pdf"]


def test_forget_and_oldest_first() -> None:
    clock = Clock()
    tr = StabilityTracker(1.0, clock)
    tr.observe("/in/b.pdf", 1, 1)
    clock.t += 0.5
    tr.observe("/in/a.pdf", 1, 1)
    clock.t += 2
    assert tr.ready() == ["/in/b.pdf", "/in/a.pdf"]
    tr.forget("/in/b.pdf")
    assert tr.ready() == ["/in/a.pdf"]


@pytest.mark.parametrize("name", ["scan.pdf.part", "x.tmp", "~$report.pdf", ".DS_Store", "Thumbs.db",
                                  ".hidden.pdf", "a.crdownload", "fax.pdf.reason.txt"])
def test_temporary_and_system_files_ignored(name: str) -> None:
    assert is_ignored(name)
    tr = StabilityTracker(0.0, Clock())
    tr.observe(f"/in/{name}", 1, 1)
    assert tr.ready() == []


@pytest.mark.parametrize("name", ["fax 001.pdf", "-rf.pdf", "Müller_Überweisung.tif", "scan.TIFF"])
def test_ordinary_names_not_ignored(name: str) -> None:
    assert not is_ignored(name)


@settings(deadline=None)  # pure logic; a loaded CI machine must not make it flaky
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0, 5)), min_size=1, max_size=30))
def test_never_ready_before_quiet_since_last_change(events: list[tuple[int, float]]) -> None:
    clock = Clock()
    tr = StabilityTracker(3.0, clock)
    last_change = clock.t
    prev: int | None = None
    for size, dt in events:
        clock.t += dt
        tr.observe("/in/f.pdf", size, 0)
        if size != prev:
            last_change = clock.t
            prev = size
        ready = tr.ready()
        assert (ready == ["/in/f.pdf"]) == (clock.t - last_change >= 3.0 and size > 0)


def test_ready_limit_returns_the_oldest_few() -> None:
    clock = Clock()
    tr = StabilityTracker(1.0, clock)
    for i in range(10):
        tr.observe(f"/in/{i:02d}.pdf", 1, 1)
        clock.t += 0.01
    clock.t += 2
    opened: list[str] = []

    def can_open(path: str) -> bool:
        opened.append(path)
        return True

    assert tr.ready(can_open, limit=3) == ["/in/00.pdf", "/in/01.pdf", "/in/02.pdf"]
    assert opened == ["/in/00.pdf", "/in/01.pdf", "/in/02.pdf"]  # a burst is not opened all at once
    assert len(tr.ready()) == 10


def test_watcher_considers_only_regular_files_directly_in_the_inbox(tmp_path: Path) -> None:
    import os

    from intake.config import load_config
    from intake.watcher import InboxWatcher

    cfg = load_config(tmp_path / "home", environ={}, overrides={"intake": {"quiet_seconds": 0.0}})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fax.pdf").write_bytes(b"%PDF-1.4")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 not for intake")
    os.symlink(secret, inbox / "link.pdf")
    (inbox / "folder.pdf").mkdir()
    os.mkfifo(inbox / "pipe.pdf")
    (inbox / "scan.pdf.part").write_bytes(b"%PDF")
    watcher = InboxWatcher(cfg, inbox, observer="none")
    watcher.rescan()
    watcher.touch(str(inbox / "link.pdf"))  # as if an event named it
    watcher.touch(str(tmp_path / "secret.pdf"))  # outside the inbox
    assert watcher.ready() == [inbox.resolve() / "fax.pdf"]
    with pytest.raises(ValueError):
        InboxWatcher(cfg, inbox, observer="inotify-please")


def _inspector(asked: list[str], verdicts: dict[str, Inspection]) -> Callable[[str], Inspection]:
    def inspect(path: str) -> Inspection:
        asked.append(path)
        return verdicts.get(path, Inspection(None, False))
    return inspect


def test_complete_file_is_taken_after_the_settle_period() -> None:
    clock = Clock()
    asked: list[str] = []
    inspect = _inspector(asked, {"/in/whole.pdf": Inspection("pdf", True), "/in/growing.pdf": PDF_CUT})
    tr = StabilityTracker(3.0, clock, settle_seconds=0.5)
    tr.observe("/in/whole.pdf", 100, 1)
    tr.observe("/in/growing.pdf", 100, 1)
    clock.t += 0.4
    assert tr.ready(inspect=inspect) == []
    assert asked == []  # nothing is opened before the settle period
    clock.t += 0.2
    assert tr.ready(inspect=inspect) == ["/in/whole.pdf"]
    assert tr.ready(inspect=inspect) == ["/in/whole.pdf"]
    assert asked.count("/in/growing.pdf") == 1  # asked once per size/mtime
    clock.t += 2.5
    assert tr.ready(inspect=inspect) == ["/in/whole.pdf", "/in/growing.pdf"]


def test_a_change_after_the_completeness_check_asks_again() -> None:
    clock = Clock()
    verdict = {"now": PDF_CUT}
    tr = StabilityTracker(3.0, clock, settle_seconds=0.5)
    tr.observe("/in/a.pdf", 100, 1)
    clock.t += 0.6
    assert tr.ready(inspect=lambda p: verdict["now"]) == []
    verdict["now"] = Inspection("pdf", True)
    tr.observe("/in/a.pdf", 200, 2)  # the writer wrote the end
    clock.t += 0.3
    assert tr.ready(inspect=lambda p: verdict["now"]) == []
    clock.t += 0.3
    assert tr.ready(inspect=lambda p: verdict["now"]) == ["/in/a.pdf"]


def test_without_a_completeness_check_the_full_quiet_period_applies() -> None:
    clock = Clock()
    tr = StabilityTracker(3.0, clock, settle_seconds=0.5)
    tr.observe("/in/a.pdf", 100, 1)
    clock.t += 1.0
    assert tr.ready() == []
    clock.t += 2.0
    assert tr.ready() == ["/in/a.pdf"]


def test_next_due_counts_down_to_the_next_checkpoint() -> None:
    clock = Clock()
    tr = StabilityTracker(3.0, clock, settle_seconds=0.5)
    assert tr.next_due() is None
    tr.observe("/in/a.pdf", 100, 1)
    assert tr.next_due() == pytest.approx(0.5)
    clock.t += 0.6
    assert tr.ready(inspect=lambda p: PDF_CUT) == []
    assert tr.next_due() == pytest.approx(2.4)  # checked and not complete: the full period
    clock.t += 3.0
    assert tr.next_due() == 0.0


def test_settle_longer_than_quiet_is_capped() -> None:
    tr = StabilityTracker(1.0, Clock(), settle_seconds=5.0)
    assert tr.settle_seconds == 1.0

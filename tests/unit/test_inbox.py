"""The inbox folder: refused entries and their reason files, where an inbox may be, held files."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from intake.config import load_config
from intake.errors import ConfigError
from intake.inbox import (
    SIDECAR_MARK,
    EntryKind,
    check_location,
    classify,
    explain_refused,
    record_inbox,
    recorded_inbox,
    scan_inbox,
)
from intake.spool import Fingerprint
from intake.watcher import InboxWatcher


def _odd_inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fax.pdf").write_bytes(b"%PDF-1.4 whole")
    (inbox / "empty.pdf").write_bytes(b"")
    os.symlink("/etc/passwd", inbox / "passwd.pdf")
    os.symlink("/proc/self/environ", inbox / "environ.tif")
    (inbox / "scans").mkdir()
    os.mkfifo(inbox / "pipe.pdf")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(inbox / "sock"))
    sock.close()
    return inbox


def test_entries_are_classified_without_following_links(tmp_path: Path) -> None:
    inbox = _odd_inbox(tmp_path)
    assert classify(inbox / "fax.pdf") is EntryKind.FILE
    assert classify(inbox / "empty.pdf") is EntryKind.EMPTY
    assert classify(inbox / "passwd.pdf") is EntryKind.SYMLINK
    assert classify(inbox / "scans") is EntryKind.DIRECTORY
    assert classify(inbox / "pipe.pdf") is EntryKind.FIFO
    assert classify(inbox / "sock") is EntryKind.SOCKET
    assert classify(inbox / "nothing") is None
    report = scan_inbox(inbox)
    assert report.waiting == 1 and report.empty == ["empty.pdf"]
    assert {(r.name, r.kind) for r in report.refused} == {
        ("passwd.pdf", EntryKind.SYMLINK), ("environ.tif", EntryKind.SYMLINK), ("scans", EntryKind.DIRECTORY),
        ("pipe.pdf", EntryKind.FIFO), ("sock", EntryKind.SOCKET)}
    assert len(report.problems()) == 5 and "never taken" in report.problems()[0]
    assert scan_inbox(tmp_path / "missing").missing


def test_refused_entries_get_a_reason_file_and_are_left_untouched(tmp_path: Path) -> None:
    inbox = _odd_inbox(tmp_path)
    before = {p.name: os.lstat(p) for p in inbox.iterdir()}
    explained = explain_refused(inbox)
    assert set(explained) == {"passwd.pdf", "environ.tif", "scans", "pipe.pdf", "sock"}
    note = (inbox / "passwd.pdf.reason.txt").read_text()
    assert note.startswith(SIDECAR_MARK) and "symbolic link" in note and "/etc/passwd" not in note
    assert (inbox / "scans.reason.txt").stat().st_mode & 0o777 == 0o600
    for name, st in before.items():  # nothing moved, opened for writing or followed
        now = os.lstat(inbox / name)
        assert (now.st_ino, now.st_mode, now.st_size, now.st_mtime_ns) == \
            (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns)
    assert explain_refused(inbox) == []  # explained once
    os.unlink(inbox / "passwd.pdf")
    (inbox / "scans").rmdir()
    (inbox / "sender's own.reason.txt").write_text("not ours")
    explain_refused(inbox)
    assert not (inbox / "passwd.pdf.reason.txt").exists() and not (inbox / "scans.reason.txt").exists()
    assert (inbox / "environ.tif.reason.txt").exists()
    assert (inbox / "sender's own.reason.txt").exists()  # only Chartfile's own notes are removed


@pytest.mark.parametrize("inbox_rel", ["home", "home/quarantine", "home/archive/2026", "."])
def test_an_inbox_in_the_data_home_or_around_it_is_refused(tmp_path: Path, inbox_rel: str) -> None:
    home = tmp_path / "home"
    (home / "quarantine").mkdir(parents=True)
    with pytest.raises(ConfigError) as err:
        check_location(tmp_path / inbox_rel, home)
    assert err.value.hint
    cfg = load_config(home, environ={})
    with pytest.raises(ConfigError):
        InboxWatcher(cfg, tmp_path / inbox_rel, observer="none")
    check_location(tmp_path / "inbox", home)  # beside it is fine


def test_a_link_to_the_quarantine_is_refused_too(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "quarantine").mkdir(parents=True)
    os.symlink(home / "quarantine", tmp_path / "innocent")
    with pytest.raises(ConfigError, match="inside the data home"):
        check_location(tmp_path / "innocent", home)


def test_the_watched_inbox_is_recorded_in_the_data_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert recorded_inbox(home) is None
    record_inbox(home, tmp_path / "inbox")
    assert recorded_inbox(home) == (tmp_path / "inbox").resolve()
    assert (home / "watch.json").stat().st_mode & 0o777 == 0o600


def test_watcher_reports_refused_entries_and_never_offers_them(tmp_path: Path) -> None:
    inbox = _odd_inbox(tmp_path)
    cfg = load_config(tmp_path / "home", environ={}, overrides={"intake": {"quiet_seconds": 0.0}})
    watcher = InboxWatcher(cfg, inbox, observer="none")
    watcher.rescan()
    assert watcher.ready() == [inbox.resolve() / "fax.pdf"]  # not the empty file, not the links
    assert set(watcher.refused) == {"passwd.pdf", "environ.tif", "scans", "pipe.pdf", "sock"}
    assert (inbox / "pipe.pdf.reason.txt").exists()
    assert len(watcher.report().refused) == 5


def test_a_held_file_is_not_offered_again_and_a_change_is_noticed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fax = inbox / "fax.pdf"
    fax.write_bytes(b"%PDF-1.4 page 1")
    cfg = load_config(tmp_path / "home", environ={}, overrides={"intake": {"quiet_seconds": 0.0}})
    watcher = InboxWatcher(cfg, inbox, observer="none")
    watcher.rescan()
    path = watcher.ready()[0]
    watcher.hold(path, 7, Fingerprint.of(os.stat(path)))
    watcher.rescan()
    assert watcher.ready() == [] and watcher.changed_holds() == []
    with open(fax, "ab") as fh:  # the sender goes on writing
        fh.write(b" page 2")
    watcher.rescan()
    assert watcher.changed_holds() == [(path, 7)]
    watcher.release(path)
    assert watcher.changed_holds() == [] and watcher.ready() == [path]

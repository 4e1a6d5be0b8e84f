"""Spool file handling: only regular files are read, hashes describe the bytes stored, everything is private."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from intake import spool
from intake.spool import (
    NotRegularFile,
    SourceChanged,
    copy_hashing,
    make_private_dir,
    move_atomic,
    open_regular,
    sha256_file,
    write_text_atomic,
)


@pytest.fixture
def open_umask() -> object:
    old = os.umask(0o022)  # the worst case: a umask that would leave files world-readable
    yield
    os.umask(old)


def test_copy_hashing_hashes_the_bytes_it_stores_and_makes_them_private(tmp_path: Path, open_umask: object) -> None:
    src = tmp_path / "in" / "fax.pdf"
    src.parent.mkdir()
    data = os.urandom(3 * spool.CHUNK + 17)
    src.write_bytes(data)
    dest = tmp_path / "home" / "spool" / "00000001-fax.pdf"
    copied = copy_hashing(src, dest)
    assert copied.sha256 == hashlib.sha256(data).hexdigest() == sha256_file(dest)
    assert copied.size == len(data) and copied.source.size == len(data)
    assert dest.stat().st_mode & 0o777 == 0o600
    assert dest.parent.stat().st_mode & 0o777 == 0o700 and (tmp_path / "home").stat().st_mode & 0o777 == 0o700
    assert src.read_bytes() == data  # the source is untouched


def test_a_source_that_changes_while_it_is_copied_is_not_taken(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "fax.tif"
    src.write_bytes(b"II*\x00" + b"p" * (2 * spool.CHUNK))
    real_read = os.read
    calls = {"n": 0}

    def read_while_sender_appends(fd: int, n: int) -> bytes:
        calls["n"] += 1
        if calls["n"] == 2:
            with open(src, "ab") as fh:  # the fax server appends the next page mid-copy
                fh.write(b"page 2")
        return real_read(fd, n)

    monkeypatch.setattr(spool.os, "read", read_while_sender_appends)
    dest = tmp_path / "spool" / "x.tif"
    with pytest.raises(SourceChanged):
        copy_hashing(src, dest)
    assert not dest.exists() and not list(dest.parent.iterdir())  # no half copy left


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_only_regular_files_are_ever_opened(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "secret"
    target.write_text("not for intake")
    path = tmp_path / "fax.pdf"
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(path)  # opening it for reading must not hang waiting for a writer
    else:
        path.mkdir()
    with pytest.raises(NotRegularFile):
        open_regular(path)
    with pytest.raises(NotRegularFile):
        copy_hashing(path, tmp_path / "spool" / "x")
    with pytest.raises(NotRegularFile):
        sha256_file(path)


def test_moved_files_sidecars_and_folders_are_private_whatever_the_umask(tmp_path: Path, open_umask: object) -> None:
    src = tmp_path / "fax.pdf"
    src.write_bytes(b"%PDF")
    os.chmod(src, 0o644)
    dest = tmp_path / "home" / "archive" / "2026" / "01" / "fax.pdf"
    move_atomic(src, dest)
    assert dest.stat().st_mode & 0o777 == 0o600
    for folder in (dest.parent, dest.parent.parent, tmp_path / "home" / "archive"):
        assert folder.stat().st_mode & 0o777 == 0o700
    note = tmp_path / "home" / "quarantine" / "x.reason.txt"
    write_text_atomic(note, "why")
    assert note.stat().st_mode & 0o777 == 0o600
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    os.chmod(existing, 0o755)
    make_private_dir(existing)
    assert existing.stat().st_mode & 0o777 == 0o755  # an existing folder is the doctor's business, not ours


def test_the_doctor_lists_what_others_can_read_and_tightens_it(tmp_path: Path) -> None:
    from indexer.filemodes import loose_paths, tighten

    home = tmp_path / "home"
    (home / "archive" / "2026" / "01").mkdir(parents=True)
    (home / "archive" / "2026" / "01" / "fax.pdf").write_bytes(b"%PDF")
    (home / "chartfile.db").write_bytes(b"")
    os.symlink("/etc/passwd", home / "link")
    for path, mode in ((home, 0o755), (home / "archive", 0o750), (home / "archive" / "2026", 0o700),
                       (home / "archive" / "2026" / "01", 0o700), (home / "chartfile.db", 0o644),
                       (home / "archive" / "2026" / "01" / "fax.pdf", 0o600)):
        os.chmod(path, mode)
    found = {(p.path, p.mode) for p in loose_paths(home)}
    assert found == {(".", 0o755), ("archive", 0o750), ("chartfile.db", 0o644)}
    assert "should be 0600" in next(p for p in loose_paths(home) if p.path == "chartfile.db").describe()
    changed, failed = tighten(home)
    assert changed == 3 and failed == [] and loose_paths(home) == []
    assert os.stat("/etc/passwd").st_mode & 0o777 == 0o644  # a link is never followed

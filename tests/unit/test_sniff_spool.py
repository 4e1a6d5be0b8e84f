"""Content sniffing, safe names and atomic moves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intake.config import load_config
from intake.errors import FileRejected
from intake.sniff import sniff_bytes, sniff_file
from intake.spool import item_file_name, move_atomic, safe_name, sha256_file


@pytest.mark.parametrize("head, kind", [
    (b"%PDF-1.7\n", "pdf"), (b"II*\x00....", "tiff"), (b"MM\x00*....", "tiff"),
    (b"\x89PNG\r\n\x1a\n....", "png"), (b"\xff\xd8\xff\xe0", "jpeg"),
    (b"  <!DOCTYPE html><html>", "HTML/XML text"), (b"PK\x03\x04", "zip (e.g. a Word or Excel document)"),
    (b"garbage", None),
])
def test_sniff_bytes(head: bytes, kind: str | None) -> None:
    assert sniff_bytes(head) == kind


def _cfg(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_config(tmp_path, environ={})


def test_html_named_pdf_is_rejected_with_reason(tmp_path: Path) -> None:
    f = tmp_path / "lab.pdf"
    f.write_bytes(b"<html><body>Login required</body></html>")
    with pytest.raises(FileRejected) as exc:
        sniff_file(f, _cfg(tmp_path))
    assert "named like a PDF" in exc.value.reason and "HTML" in exc.value.reason


def test_empty_and_oversized(tmp_path: Path) -> None:
    f = tmp_path / "empty.pdf"
    f.write_bytes(b"")
    with pytest.raises(FileRejected, match="empty"):
        sniff_file(f, _cfg(tmp_path))
    cfg = _cfg(tmp_path)
    cfg.intake.max_file_mb = 1
    big = tmp_path / "big.tif"
    big.write_bytes(b"II*\x00" + b"\x00" * (2 * 1024 * 1024))
    with pytest.raises(FileRejected, match="over the 1 MB limit"):
        sniff_file(big, cfg)


def test_content_wins_over_extension_for_supported_types(tmp_path: Path) -> None:
    f = tmp_path / "scan.jpg"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    assert sniff_file(f, _cfg(tmp_path)) == "png"


def test_unsupported_type_without_known_extension(tmp_path: Path) -> None:
    f = tmp_path / "letter.docx"
    f.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(FileRejected, match="Unsupported file type"):
        sniff_file(f, _cfg(tmp_path))


@pytest.mark.parametrize("name", ["../../etc/passwd", "-rf .pdf", "a/b\\c.pdf", "Zoë Brontë fax.TIF",
                                  "x" * 300 + ".pdf", "...", "", "; rm -rf ~.pdf"])
def test_safe_name_is_a_plain_name(name: str) -> None:
    s = safe_name(name)
    assert s and "/" not in s and "\\" not in s and not s.startswith(("-", "."))
    assert len(s) <= 120
    assert all(c.isalnum() or c in "._-" for c in s)
    assert item_file_name(7, name).startswith("00000007-")


def test_move_atomic_and_hash(tmp_path: Path) -> None:
    src = tmp_path / "in" / "a.pdf"
    src.parent.mkdir()
    src.write_bytes(b"%PDF-1.4 hello")
    digest = sha256_file(src)
    dest = tmp_path / "spool" / "1-a.pdf"
    move_atomic(src, dest)
    assert not src.exists() and dest.read_bytes() == b"%PDF-1.4 hello"
    assert sha256_file(dest) == digest
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".part")]


def test_move_across_filesystems_copies_then_unlinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    real_replace = os.replace
    calls = {"n": 0}

    def fake_replace(a, b):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(errno.EXDEV, "cross-device link")
        return real_replace(a, b)

    monkeypatch.setattr(os, "replace", fake_replace)
    src = tmp_path / "a.tif"
    src.write_bytes(b"II*\x00data")
    dest = tmp_path / "other" / "a.tif"
    move_atomic(src, dest)
    assert dest.read_bytes() == b"II*\x00data" and not src.exists()

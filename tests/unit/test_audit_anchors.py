"""Legacy anchor files (written by earlier versions): tolerant of a crash-cut last line, strict about edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.audit.anchors import (
    Anchor,
    AnchorFileError,
    anchors_path,
    parse_pair,
    read_anchors,
)

H1, H2 = "a" * 64, "b" * 64


def _write(home: Path, *lines: str) -> Path:
    path = anchors_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_read_lines_as_earlier_versions_wrote_them(tmp_path: Path) -> None:
    _write(tmp_path, Anchor(3, H1, "2026-01-01T00:00:00.000000Z", "export").line(),
           Anchor(9, H2, "2026-01-02T00:00:00.000000Z", "verify\twith\ttabs\nand newline").line())
    anchors = read_anchors(tmp_path)
    assert [a.pair for a in anchors] == [(3, H1), (9, H2)]
    assert anchors[1].reason == "verify with tabs and newline"


def test_missing_file_means_no_anchors(tmp_path: Path) -> None:
    assert read_anchors(tmp_path) == []


def test_crash_cut_last_line_is_ignored(tmp_path: Path) -> None:
    _write(tmp_path, f"3\t{H1}\tt\texport\n", "4\tbbbb")
    assert [a.seq for a in read_anchors(tmp_path)] == [3]


def test_edited_line_is_reported_with_its_number(tmp_path: Path) -> None:
    _write(tmp_path, f"three\t{H1}\tx\tedited\n", f"4\t{H2}\tt\texport\n")
    with pytest.raises(AnchorFileError, match="line 1"):
        read_anchors(tmp_path)


def test_parse_pair() -> None:
    assert parse_pair(f"12:{H1.upper()}") == (12, H1)
    for bad in ("12", f"x:{H1}", "12:abc"):
        with pytest.raises(ValueError):
            parse_pair(bad)

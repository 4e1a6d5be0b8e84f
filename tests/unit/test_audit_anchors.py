"""The anchor file: append-only lines, tolerant of a crash-cut last line, strict about edited lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.audit.anchors import (
    AnchorFileError,
    anchors_path,
    parse_pair,
    read_anchors,
    write_anchor,
)

H1, H2 = "a" * 64, "b" * 64


def test_write_then_read(tmp_path: Path) -> None:
    write_anchor(tmp_path, 3, H1, "export")
    write_anchor(tmp_path, 9, H2, "verify\twith\ttabs\nand newline")
    anchors = read_anchors(tmp_path)
    assert [a.pair for a in anchors] == [(3, H1), (9, H2)]
    assert anchors[1].reason == "verify with tabs and newline"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", anchors[0].time)
    assert anchors_path(tmp_path).read_text().count("\n") == 2


def test_empty_trail_is_not_anchored(tmp_path: Path) -> None:
    assert write_anchor(tmp_path, 0, H1, "x") is None
    assert read_anchors(tmp_path) == []


def test_missing_file_means_no_anchors(tmp_path: Path) -> None:
    assert read_anchors(tmp_path) == []


def test_crash_cut_last_line_is_ignored_and_not_glued_to(tmp_path: Path) -> None:
    write_anchor(tmp_path, 3, H1, "export")
    path = anchors_path(tmp_path)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("4\tbbbb")  # a write cut short
    assert [a.seq for a in read_anchors(tmp_path)] == [3]
    write_anchor(tmp_path, 5, H2, "verify")
    with pytest.raises(AnchorFileError, match="line 2"):
        read_anchors(tmp_path)  # the cut line is now a complete, malformed line: reported, never merged
    assert path.read_text().splitlines()[-1].startswith("5\t" + H2)


def test_edited_line_is_reported_with_its_number(tmp_path: Path) -> None:
    write_anchor(tmp_path, 3, H1, "export")
    write_anchor(tmp_path, 4, H2, "export")
    path = anchors_path(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    lines[0] = "three\t" + H1 + "\tx\tedited\n"
    path.write_text("".join(lines))
    with pytest.raises(AnchorFileError, match="line 1"):
        read_anchors(tmp_path)


def test_parse_pair() -> None:
    assert parse_pair(f"12:{H1.upper()}") == (12, H1)
    for bad in ("12", f"x:{H1}", "12:abc"):
        with pytest.raises(ValueError):
            parse_pair(bad)

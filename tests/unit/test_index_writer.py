"""One owner of index writes: only search/writer.py (and maint's rebuild/repair through it) writes the index."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WRITES = re.compile(r"\.(upsert|optimize)\(|\bbuild_staging\(|index\.delete\(|\.writer\(timeout")
OWNERS = {"search/writer.py", "search/store.py", "search/maint.py"}  # store: the mechanism; maint: online rebuild


def test_nothing_else_writes_the_search_index() -> None:
    offenders = []
    for pkg in ("chartfile", "intake", "indexer", "search"):
        for path in (REPO / pkg).rglob("*.py"):
            rel = path.relative_to(REPO).as_posix()
            if rel not in OWNERS and WRITES.search(path.read_text(encoding="utf-8")):
                offenders.append(rel)
    assert offenders == []


def test_indexer_never_touches_the_index() -> None:
    for path in (REPO / "indexer").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "whoosh" not in text.lower() or path.name == "__init__.py", path

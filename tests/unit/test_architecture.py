"""docs/architecture.md's module table names every module of the tree (and nothing that is not there)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("chartfile", "intake", "indexer", "search", "benchmarks")


def _table_paths() -> list[str]:
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("## Modules", 1)[1].split("\n## ", 1)[0]
    paths: list[str] = []
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            paths += re.findall(r"`([^`]+)`", first_cell)
    return paths


def _tree() -> set[str]:
    found = set()
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            rel = path.relative_to(REPO).as_posix()
            if path.name != "__init__.py" and "/migrations/" not in rel:
                found.add(rel)
    return found


def test_every_module_is_in_the_table_and_every_row_exists() -> None:
    rows = _table_paths()
    assert rows
    covered: set[str] = set()
    for row in rows:
        target = REPO / row
        assert target.exists(), f"docs/architecture.md names {row}, which is not in the tree"
        covered |= {p for p in _tree() if p == row or (row.endswith("/") and p.startswith(row))}
    missing = sorted(_tree() - covered)
    assert not missing, f"modules missing from the table in docs/architecture.md: {missing}"


def test_product_modules_stay_small_and_no_benchmark_ships() -> None:
    for rel in sorted(_tree()):
        if rel.startswith("benchmarks/"):
            continue
        name = Path(rel).name
        assert "bench" not in name and not name.startswith("tput_"), f"{rel} is a benchmark in the product"
        lines = len((REPO / rel).read_text(encoding="utf-8").splitlines())
        assert lines <= 460, f"{rel} has {lines} lines; split it (about 450 at most)"

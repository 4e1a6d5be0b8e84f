"""The layer contracts hold: import-linter (configured in pyproject.toml) passes on the tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_lint_imports_passes() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extra: pip install -e '.[test]'"
    run = subprocess.run([exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout and "KEPT" in run.stdout


def test_indexer_does_not_import_search_and_nothing_imports_benchmarks() -> None:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    assert layers[1:] == ["chartfile.service", "search", "indexer", "intake"]
    forbidden = [c for c in config["contracts"] if c["type"] == "forbidden"]
    assert any(set(c["forbidden_modules"]) == {"benchmarks", "samples", "tests"} for c in forbidden)
    assert any(c["source_modules"] == ["chartfile.cli"] and set(c["forbidden_modules"]) == {"indexer", "search"}
               for c in forbidden)  # entrypoints go through the service layer

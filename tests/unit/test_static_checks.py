"""The tree stays clean under ruff and mypy (configured in pyproject.toml), as the engineering standards ask."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    exe = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert exe, f"{name} is part of the test extra: pip install -e '.[test]'"
    return exe


def test_ruff_passes() -> None:
    run = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_mypy_passes(tmp_path: Path) -> None:
    run = subprocess.run([_tool("mypy"), "--cache-dir", str(tmp_path / "mypy-cache"), "."], cwd=REPO,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]

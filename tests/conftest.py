"""Shared fixtures: a temporary data home and an in-process ``chartfile`` runner."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def run_chartfile(home: Path, *args: str) -> CliResult:
    """Run ``chartfile --home HOME ARGS`` in this process and capture its exit code and output."""
    from chartfile.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(["--home", str(home), *args])
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True, scope="session")
def audit_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test process gets its own audit key outside any data home (~/.config is never touched).

    The environment is set for the whole session, so in-process CLI runs and
    subprocesses find the key where a real installation would: at the default
    path under ``XDG_CONFIG_HOME``.  Checkpoints do not go to the machine's syslog.
    """
    from indexer.audit.keys import default_key_path, generate

    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    os.environ["CHARTFILE_AUDIT__SYSLOG"] = "false"
    path = default_key_path()
    generate(path)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty data home with test-friendly intake timings and one OCR worker per core."""
    h = tmp_path / "home"
    h.mkdir()
    (h / "chartfile.toml").write_text(
        "[intake]\nquiet_seconds = 0.5\nrescan_seconds = 1.0\nquiet_by_format = { tiff = 0.5 }\n", encoding="utf-8"
    )
    init_home(h)
    return h


def init_home(home: Path) -> None:
    """Create the data home as ``chartfile init`` does (commands refuse a home that was never created)."""
    from chartfile.service.office import init_home as create
    from intake.config import load_config

    create(load_config(home, environ={})).close()


@pytest.fixture
def chartfile(home: Path) -> Callable[..., CliResult]:
    """Call as ``chartfile("search", "x", "--json")``."""
    def run(*args: str) -> CliResult:
        return run_chartfile(home, *args)

    return run


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.exists():
        pytest.skip("shared corpus not present beside the repository")
    return CORPUS


def pytest_report_header(config: pytest.Config) -> str:
    import shutil

    return f"tesseract: {shutil.which('tesseract')}; python {sys.version.split()[0]}"


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """A PostgreSQL server for the session (see tests/pgcluster.py); skips when none can run."""
    from tests.pgcluster import cluster

    with cluster() as url:
        if url is None:
            pytest.skip("PostgreSQL is not installed (Debian package postgresql; .ci/setup-debian.sh installs it)")
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """URL of a new, empty PostgreSQL database for one test."""
    from tests.pgcluster import new_database

    return new_database(pg_server)

"""Every command, driven with hostile arguments: a documented exit code, a one-line message, no traceback.

The commands are enumerated from the click group, so a new command is
covered the day it is added.  For each, hypothesis builds command lines from
values that broke commands before (huge and negative ids, impossible dates,
control and bidi characters, a word of 5,000 characters, ``foo:bar``, an
output file in a folder that does not exist ...) and runs them against a
copy of a small data home.  Whatever a command does with them:

- the exit code is one the README documents, never 1 (internal error);
- nothing is a traceback; a failure ends with one ``Error: <one line>`` on
  stderr (and maybe a ``Hint:`` line), after whatever report it printed;
- a command that fails writes nothing: no file appears or changes outside
  the audit trail (refusals are audited by design), and no table but the
  audit trail changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CliResult, run_chartfile

DOCUMENTED = {0, 2, 3, 4, 5, 6, 7, 8, 9}
NOT_RUN = {("watch",), ("serve",)}  # services that run until stopped
HOSTILE = [
    "", " ", "0", "-1", "1", "2", "99999999999999999999999", "-99999999999999999999999", "1e309", "nan", "1.5",
    "2026-13-45", "2026-02-30", "0000-00-00", "9999-12-31", "2026-03-01T25:99", "yesterday",
    "x" * 5000, "line\nbreak", "nul\x00byte", "\u202eevil", "foo:bar", "patient:", "mrn:", "date:2026-05..2026-03",
    "../../etc/passwd", "/nonexistent-folder/out.file", "-", "--", "CF000001", "cf000001", "1,2,3", "1-3",
    "'; DROP TABLE patients; --", "%s%n%x", "\r\n", "\U0001f4a9", "csv", "jsonl", "text", "json", "fhir", "all",
    # plausible values, so that commands get past parsing into the service layer
    "CF100001", "CF100002", "3", "4", "5", "2025-01-01", "2024-12-31", "fax", "mail", "legal", "individual",
    "authorization", "Valley Cardiology", "lab_result", "open", "denied",
]
DATA_HOME_FILES = ("chartfile.db", "chartfile.db-wal", "chartfile.db-shm")


def _commands() -> list[tuple[str, ...]]:
    from chartfile.cli.main import _register, cli

    _register()
    found: list[tuple[str, ...]] = []

    def walk(cmd: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in sorted(cmd.commands.items()):
                walk(sub, (*path, name))
        elif path not in NOT_RUN:
            found.append(path)

    walk(cli, ())
    return found


def _command(path: tuple[str, ...]) -> click.Command:
    from chartfile.cli.main import cli

    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    return cmd


@st.composite
def argv(draw: st.DrawFn, path: tuple[str, ...], out_dir: Path) -> list[str]:
    """A command line for ``path`` with hostile values in its arguments and some of its options."""
    values = st.sampled_from(HOSTILE) | st.text(max_size=30)
    args: list[str] = list(path)
    for param in _command(path).params:
        if isinstance(param, click.Argument):
            count = 1 if param.nargs == 1 else draw(st.integers(0, 2))
            args += [draw(values) for _ in range(count)]
        elif isinstance(param, click.Option) and draw(st.booleans()):
            name = max(param.opts, key=len)
            if name in ("--help",):
                continue
            if param.is_flag:
                args.append(name)
            elif name in ("--output", "-o"):
                args += [name, draw(st.sampled_from([str(out_dir / "missing" / "x.out"), str(out_dir / "o.out")]))]
            else:
                args += [name, draw(values)]
    return args


def _table_digests(db: Path) -> dict[str, str]:
    """A digest of every table but the audit trail (which records refusals by design)."""
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = {}
        for name in names:
            if name in ("audit_events", "settings"):
                continue
            rows = conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()  # noqa: S608 - our tables
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        conn.close()


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` but the database and the audit checkpoints, with size and mtime."""
    out = {}
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel not in DATA_HOME_FILES and not rel.startswith(("audit/", "home/audit/")) \
                and not rel.startswith(("home/chartfile.db",)):
            st_ = p.stat()
            out[rel] = (st_.st_size, st_.st_mtime_ns)
    return out


def check(result: CliResult, args: list[str]) -> None:
    assert result.code in DOCUMENTED, (args, result.code, result.err[-2000:])
    assert "Traceback" not in result.err + result.out, (args, result.err[-2000:])
    if result.code != 0:  # ... then exactly one "Error:" line, last but for a "Hint:" line
        lines = [line for line in result.err.split("\n") if line.strip()]
        errors = [n for n, line in enumerate(lines) if line.startswith("Error: ")]
        assert len(errors) == 1, (args, result.err[-2000:])
        assert [line[:6] for line in lines[errors[0]:]] in (["Error:"], ["Error:", "Hint: "]), (args, result.err)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small data home: initialised, a roster, documents with stored sources, an authorization."""
    from tests.integration.test_roi_support import add_authorization, make_home

    root = tmp_path_factory.mktemp("hostile")
    assert run_chartfile(root / "home", "init").code == 0
    home = make_home(root)  # patients CF100001/CF100002, five documents (synthetic sources)
    from datetime import date

    add_authorization(home, date.today())
    home.db.dispose()
    return root


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("path", _commands(), ids=" ".join)
def test_hostile_arguments(path: tuple[str, ...], template: Path, workdir: Path) -> None:
    site = workdir / "site"

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(args=argv(path, site))
    def run(args: list[str]) -> None:
        if site.exists():
            shutil.rmtree(site)
        shutil.copytree(template, site, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
        before_tables, before_files = _table_digests(site / "home" / "chartfile.db"), _files(site)
        result = run_chartfile(site / "home", *args)
        check(result, args)
        if result.code != 0:
            assert _files(site) == before_files, args
            assert _table_digests(site / "home" / "chartfile.db") == before_tables, args

    run()

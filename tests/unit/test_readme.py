"""The README is checked: its commands exist, its exit codes match the code, CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from chartfile.cli.main import _register, cli
from intake.errors import ExitCode

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _command_paths() -> set[tuple[str, ...]]:
    _register()
    paths: set[tuple[str, ...]] = set()

    def walk(group: click.Command, prefix: tuple[str, ...]) -> None:
        paths.add(prefix)
        if isinstance(group, click.Group):
            for name, sub in group.commands.items():
                walk(sub, (*prefix, name))

    walk(cli, ())
    return paths


def test_every_documented_command_exists() -> None:
    known = _command_paths()
    documented = re.findall(r"`chartfile ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)", README)
    assert documented
    for doc in documented:
        words = tuple(doc.split())
        # the longest prefix of the documented words must be a real command path
        assert any(words[: n] in known for n in range(len(words), 0, -1) if words[:n] != ()), doc
        assert words[:1] in known, f"README documents unknown command: chartfile {doc}"


def test_every_command_group_is_documented() -> None:
    top = {p[0] for p in _command_paths() if len(p) == 1}
    for name in top:
        assert f"chartfile {name}" in README, f"command {name} missing from README"


def test_exit_code_table_matches_code() -> None:
    table = dict(re.findall(r"^\| (\d) \| ([^|]+) \|$", README, flags=re.M))
    codes = {v for k, v in vars(ExitCode).items() if k.isupper()}
    assert {int(k) for k in table} == codes


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in ci and "<!-- test-command -->" in README
    block = README.split("<!-- test-command -->", 1)[1].split("```")[1]
    assert "pytest" in block and "setup-debian.sh" in block

"""Command-line value types shared by every command: ids, dates, time bounds, output files, ranges.

Owns the rule that a value that is not what the option needs is a usage
error (exit 2) with one line saying why — the same for every command: an id
is a whole number from 1 to 2^63-1, a date is ``YYYY-MM-DD``, an output file
goes into a folder that exists, a range does not end before it starts.
Content that is wrong (a CSV row, a search query) is an input error (exit 3)
and is checked where it is read.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from intake.config import bad_text

MAX_ID = 2**63 - 1  # the largest id the database can hold


class IdType(click.ParamType):
    """A record id: a whole number from 1 to 2^63-1."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if not text.isdigit() or not text.isascii():
                self.fail(f"{_show(value)} is not an id (a whole number like 12)", param, ctx)
            number = int(text)
        if not 1 <= number <= MAX_ID:
            self.fail(f"{_show(value)} is not an id: ids run from 1 to {MAX_ID}", param, ctx)
        return number


class RefType(click.ParamType):
    """A review item (``12``) or a document (``D9``, ``doc9``), with the id range checked."""

    name = "ITEM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        prefix = ""
        for p in ("document", "doc", "d", "#", "r"):
            if text.lower().startswith(p):
                prefix, text = ("D" if p[0] == "d" else ""), text[len(p):].strip()
                break
        if not text.isdigit() or not text.isascii():
            self.fail(f"{_show(value)} names neither a review item (12) nor a document (D9)", param, ctx)
        if not 1 <= int(text) <= MAX_ID:
            self.fail(f"{_show(value)} is out of range: ids run from 1 to {MAX_ID}", param, ctx)
        return prefix + text


class IsoDate(click.ParamType):
    """A ``YYYY-MM-DD`` date."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{_show(value)} is not a date like 2025-03-01", param, ctx)


class TimeBound(click.ParamType):
    """A date (the whole day) or a UTC date-time, as the audit commands take them; kept as typed."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        try:
            if len(text) == 10:
                date.fromisoformat(text)
            else:
                datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            self.fail(f"{_show(value)} is not a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM)", param, ctx)
        return text


class InputPath(click.ParamType):
    """A file or folder to read: a real, non-empty name (``''`` is not the current folder)."""

    name = "PATH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        text = str(value)
        if not text.strip() or bad_text(text):
            self.fail(f"{_show(value)} is not a file or folder name", param, ctx)
        return Path(text).expanduser()


class OutputFile(InputPath):
    """A file to write: its folder must exist (nothing creates folders), and it must not be a folder."""

    name = "FILE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = super().convert(value, param, ctx)
        if path.is_dir():
            self.fail(f"{_show(value)} is a folder; give a file name inside it", param, ctx)
        if not path.parent.is_dir():
            self.fail(f"the folder {_show(str(path.parent))} does not exist; create it first", param, ctx)
        return path


ID = IdType()
REF = RefType()
PATH = InputPath()
COUNT = click.IntRange(1, 100_000)  # --limit: how many rows to show
PAGE = click.IntRange(1, 1_000_000)  # --page of results
DATE = IsoDate()
TIME_BOUND = TimeBound()
OUTPUT = OutputFile()


def check_range(start: object, end: object, names: str = "--from/--to") -> None:
    """A range given on the command line must not end before it starts (compared as given: dates or text)."""
    if start is not None and end is not None and _key(start) > _key(end):
        raise click.BadParameter(f"the range ends ({_show(end)}) before it starts ({_show(start)})",
                                 param_hint=names)


def _key(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value).replace(" ", "T")


def _show(value: Any) -> str:
    """A value quoted for a one-line message: short, with control characters made visible."""
    text = repr(str(value))
    return text if len(text) <= 60 else text[:57] + "...'"

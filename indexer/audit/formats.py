"""Output formats of audit exports and reports: CSV (spreadsheet-safe), JSON Lines, FHIR Bundle.

Owns how one event row is written in each format and where the chain head
goes: a last ``# chain head`` row in CSV, a last ``{"chain_head": …}`` line in
JSON Lines, ``Bundle.identifier`` in FHIR.  CSV cells that a spreadsheet would
run as a formula (starting with ``= + - @``, tab or carriage return, also after
leading spaces, and their full-width forms) are prefixed with a single quote.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from indexer.audit import fhir
from indexer.audit.query import EVENT_COLUMNS

FORMATS = ("csv", "jsonl", "fhir")
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
CHAIN_HEAD_LABEL = "# chain head"


def neutralise(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    stripped = text.lstrip(" ")
    if stripped and stripped[0] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_writer(stream: TextIO) -> Any:
    """``csv.writer`` with spreadsheet-friendly settings (quoted as needed, CRLF rows)."""
    return csv.writer(stream, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def write_csv_row(writer: Any, values: Iterable[object]) -> None:
    writer.writerow([neutralise(v) for v in values])


def event_dict(row: Any, columns: Sequence[str] = EVENT_COLUMNS) -> dict[str, Any]:
    """The exported fields of one event row."""
    return {name: getattr(row, name) for name in columns}


@dataclass(frozen=True)
class ChainHead:
    """The committed chain head an export was taken at."""

    seq: int
    hash: str
    generated: str  # UTC time of the export

    @property
    def pair(self) -> str:
        return f"{self.seq}:{self.hash}"


class EventWriter(Protocol):
    """Streams events in one format."""

    def begin(self, head: ChainHead) -> None: ...
    def write(self, row: Any) -> None: ...
    def end(self, count: int) -> None: ...


class CsvEventWriter:
    """Header row, one row per event, then the chain-head row."""

    def __init__(self, stream: TextIO, columns: Sequence[str] = EVENT_COLUMNS) -> None:
        self.columns = tuple(columns)
        self._csv = csv_writer(stream)
        self._head: ChainHead | None = None

    def begin(self, head: ChainHead) -> None:
        self._head = head
        write_csv_row(self._csv, self.columns)

    def write(self, row: Any) -> None:
        write_csv_row(self._csv, (getattr(row, c) for c in self.columns))

    def end(self, count: int) -> None:
        assert self._head is not None
        cells = [CHAIN_HEAD_LABEL, self._head.seq, self._head.hash, self._head.generated, f"{count} events"]
        write_csv_row(self._csv, cells + [""] * max(0, len(self.columns) - len(cells)))


class JsonlEventWriter:
    """One JSON object per event, then ``{"chain_head": {...}}``."""

    def __init__(self, stream: TextIO, columns: Sequence[str] = EVENT_COLUMNS) -> None:
        self.stream = stream
        self.columns = tuple(columns)
        self._head: ChainHead | None = None

    def begin(self, head: ChainHead) -> None:
        self._head = head

    def write(self, row: Any) -> None:
        self.stream.write(json.dumps(event_dict(row, self.columns), ensure_ascii=False) + "\n")

    def end(self, count: int) -> None:
        assert self._head is not None
        trailer = {"chain_head": {"seq": self._head.seq, "hash": self._head.hash},
                   "generated": self._head.generated, "events": count}
        self.stream.write(json.dumps(trailer) + "\n")


class FhirBundleWriter:
    """A FHIR R4 ``collection`` Bundle of AuditEvent resources, streamed entry by entry."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._n = 0

    def begin(self, head: ChainHead) -> None:
        self.stream.write(fhir.bundle_opening(head.seq, head.hash, head.generated))

    def write(self, row: Any) -> None:
        self.stream.write(', "entry": [\n' if self._n == 0 else ",\n")
        self.stream.write(json.dumps(fhir.entry(row), ensure_ascii=False))
        self._n += 1

    def end(self, count: int) -> None:
        self.stream.write("\n]}\n" if self._n else "}\n")


def make_writer(fmt: str, stream: TextIO) -> EventWriter:
    """The writer for ``csv``, ``jsonl`` or ``fhir``."""
    if fmt == "csv":
        return CsvEventWriter(stream)
    if fmt == "jsonl":
        return JsonlEventWriter(stream)
    if fmt == "fhir":
        return FhirBundleWriter(stream)
    raise ValueError(f"unknown audit export format {fmt!r}")

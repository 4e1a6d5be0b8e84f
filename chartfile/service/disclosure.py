"""Disclosure rules, once for every front end: audit before any byte leaves, files written atomically.

Owns the one path by which PHI leaves Chartfile — exports, views, searches,
reports and release packets:

1. :func:`record` / :func:`recorded` append the audit event (who, what kind,
   the document ids and patient MRNs it contains) and commit it *before* the
   caller hands out a single byte;
2. :func:`disclose` then writes to a stream or, for a file,
   :func:`atomic_file` — a private (mode 0600) temporary file in the same
   folder, flushed and fsynced, renamed over the target only when complete —
   so a failed export never leaves a half-written file that looks finished;
3. if writing fails, a failure event with the same type is recorded and the
   original error re-raised.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO, TypeVar

from sqlalchemy.orm import Session

from chartfile.service.actor import Actor
from chartfile.service.office import Office
from indexer.audit import record as audit_record

log = logging.getLogger(__name__)

T = TypeVar("T")
Target = Path | TextIO


@dataclass(frozen=True)
class Disclosure:
    """What is about to leave: the audit event type, FHIR action code and what it contains."""

    event_type: str
    action: str = "E"
    document_ids: Iterable[int] = ()
    patient_mrns: Iterable[str] = ()
    detail: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def mrns(self) -> list[str]:
        return sorted({m for m in self.patient_mrns if m})

    def audit_detail(self, where: str = "") -> str:
        """The detail text: the caller's detail, where it goes, and every MRN when there are several."""
        text = self.detail + (f" to {where}" if where else "")
        mrns = self.mrns()
        if len(mrns) > 1 or self.extra:
            payload: dict[str, object] = dict(self.extra)
            if len(mrns) > 1:
                payload["mrns"] = mrns
            text = (text + " " if text else "") + json.dumps(payload, separators=(",", ":"), default=str)
        return text


def record(session: Session, actor: Actor, d: Disclosure, *, where: str = "", outcome: str = "success",
           client: str | None = None) -> None:
    """Append the disclosure's audit event in the caller's transaction (commit before handing data out)."""
    mrns = d.mrns()
    audit_record(session, actor=actor.audit_name, action=d.action, event_type=d.event_type,
                 patient_mrn=mrns[0] if len(mrns) == 1 else None, document_ids=d.document_ids,
                 outcome=outcome, detail=d.audit_detail(where), client=client)


def recorded(office: Office, actor: Actor, d: Disclosure, *, where: str = "", outcome: str = "success") -> None:
    """Record the disclosure's audit event in its own, committed transaction."""
    with office.db.transaction() as s:
        record(s, actor, d, where=where, outcome=outcome)


def record_failure(office: Office, actor: Actor, d: Disclosure, exc: BaseException) -> None:
    """Record that a disclosure did not complete (never masks the original error)."""
    failed = Disclosure(d.event_type, d.action, d.document_ids, d.patient_mrns,
                        f"did not complete: {type(exc).__name__}")
    try:
        recorded(office, actor, failed, outcome="failure")
    except Exception:  # noqa: BLE001 - the original error is what the user must see
        log.exception("could not record the failed %s", d.event_type)


@contextmanager
def atomic_file(path: Path, *, binary: bool = False, encoding: str = "utf-8",
                newline: str | None = None, overwrite: bool = True) -> Iterator[IO[str] | IO[bytes]]:
    """Write ``path`` completely or not at all: a private temp file beside it, fsync, rename."""
    if not overwrite and path.exists():
        from intake.errors import RefusedError

        raise RefusedError(f"{path} already exists; it is never overwritten", hint="choose another file")
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)  # mode 0600
    tmp = Path(tmp_name)
    try:
        if binary:
            fh: IO[str] | IO[bytes] = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if not overwrite and path.exists():
            from intake.errors import RefusedError

            raise RefusedError(f"{path} already exists; it is never overwritten", hint="choose another file")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (mode 0600)."""
    with atomic_file(path, binary=True, overwrite=overwrite) as fh:
        fh.write(data)  # type: ignore[arg-type]


def write_json_lines(rows: Iterable[dict[str, object]], out: TextIO) -> int:
    """Write one compact JSON object per line; returns the count."""
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


def disclose(office: Office, actor: Actor, d: Disclosure, target: Target, write: Callable[[TextIO], T], *,
             encoding: str = "utf-8", newline: str | None = None, overwrite: bool = True,
             audited: bool = False) -> T:
    """Audit (unless the caller already did, ``audited``), then write to ``target``; audit a failure.

    ``target`` is an open text stream (standard output, an HTTP response) or a
    file path, written atomically.  Returns what ``write`` returns.
    """
    where = "file" if isinstance(target, Path) else "stdout"
    if not audited:
        recorded(office, actor, d, where=where)
    try:
        if isinstance(target, Path):
            with atomic_file(target, encoding=encoding, newline=newline, overwrite=overwrite) as fh:
                return write(fh)  # type: ignore[arg-type]
        return write(target)
    except BaseException as exc:
        record_failure(office, actor, d, exc)
        raise

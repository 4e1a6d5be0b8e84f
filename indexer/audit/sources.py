"""Reading checkpoints back: from files, folders (rotated and gzipped logs too) and the journal.

Owns :class:`CheckpointIndex`, what ``audit verify`` compares the chain with.
A source is a file (``chartfile-checkpoints.log``, ``/var/log/auth.log``), a
folder (every file in it), or ``journal`` (``journalctl`` for the
``chartfile-audit`` identity).  Any line holding a checkpoint counts; the
rest is ignored.

Signatures are checked where they matter — a checkpoint that contradicts the
chain, one beyond its end, the latest one — so a forged line that agrees with
the chain costs nothing and a forged line that disagrees is reported as a
forgery, not as tampering with the trail.  Memory is bounded: of a long run
of checkpoints every ``stride``-th is kept (the stride doubles when the index
is full) plus the newest; a rewrite anywhere before the newest genuine
checkpoint still changes the hash it records.
"""

from __future__ import annotations

import gzip
import heapq
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer.audit.checkpoints import SYSLOG_IDENT, Checkpoint, parse
from intake.errors import DependencyError, InputError

JOURNAL = "journal"
MAX_KEPT = 200_000
LATEST_KEPT = 32


def _file_lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:  # type: ignore[operator]
            yield from fh
    except OSError as exc:
        raise InputError(f"cannot read checkpoint source {path}: {exc.strerror or exc}") from exc


def _journal_lines() -> Iterator[str]:
    exe = shutil.which("journalctl")
    if exe is None:
        raise DependencyError("journalctl is not installed, so 'journal' cannot be read",
                              hint="Give the syslog file (e.g. /var/log/auth.log) or the checkpoint folder.")
    with subprocess.Popen([exe, "-q", "--no-pager", "-o", "cat", f"SYSLOG_IDENTIFIER={SYSLOG_IDENT}"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace") as proc:
        assert proc.stdout is not None
        yield from proc.stdout


def source_lines(source: str) -> Iterator[str]:
    """Every line of one source."""
    if source == JOURNAL:
        yield from _journal_lines()
        return
    path = Path(source).expanduser()
    if path.is_dir():
        for child in sorted(p for p in path.iterdir() if p.is_file()):
            yield from _file_lines(child)
    elif path.is_file():
        yield from _file_lines(path)
    else:
        raise InputError(f"checkpoint source {source} does not exist",
                         hint="Give a file, a folder or 'journal' (see docs/audit.md).")


@dataclass
class TrailSeen:
    """Checkpoints in the sources that belong to another trail (another data home, or a replaced trail)."""

    count: int = 0
    max_seq: int = 0
    last_time: str = ""
    newest: Checkpoint | None = None


@dataclass
class CheckpointIndex:
    """Checkpoints of one trail, compared with the chain during the walk (a ``CheckpointLookup``)."""

    trail: str | None  # None: the trail is empty, every checkpoint belongs to "another" trail
    trusted: bytes  # the public key whose signatures count
    by_seq: dict[int, list[Checkpoint]] = field(default_factory=dict)
    stride: int = 1
    latest: list[tuple[int, int, Checkpoint]] = field(default_factory=list)  # min-heap of the newest
    per_source: dict[str, int] = field(default_factory=dict)
    other_trails: dict[str, TrailSeen] = field(default_factory=dict)
    foreign_keys: dict[str, int] = field(default_factory=dict)  # key id → genuine lines for this trail
    forged: int = 0
    _n: int = 0
    _verdicts: dict[bytes, bool] = field(default_factory=dict)

    def read(self, source: str) -> None:
        n = 0
        for line in source_lines(source):
            cp = parse(line)
            if cp is not None and self._add(cp):
                n += 1
        self.per_source[source] = self.per_source.get(source, 0) + n

    def _add(self, cp: Checkpoint) -> bool:
        if cp.trail != self.trail:
            seen = self.other_trails.setdefault(cp.trail, TrailSeen())
            seen.count, seen.max_seq = seen.count + 1, max(seen.max_seq, cp.seq)
            seen.last_time = max(seen.last_time, cp.time)
            if cp.public == self.trusted and (seen.newest is None or cp.seq >= seen.newest.seq):
                seen.newest = cp
            return False
        if cp.public != self.trusted:
            if cp.signature_ok():
                self.foreign_keys[cp.key_id] = self.foreign_keys.get(cp.key_id, 0) + 1
            else:
                self.forged += 1
            return False
        self._n += 1
        heapq.heappush(self.latest, (cp.seq, self._n, cp))
        if len(self.latest) > LATEST_KEPT:
            heapq.heappop(self.latest)
        if cp.seq % self.stride == 0:
            bucket = self.by_seq.setdefault(cp.seq, [])
            if all(c.hash != cp.hash for c in bucket):
                bucket.append(cp)
            if len(self.by_seq) > MAX_KEPT:
                self.stride *= 2
                self.by_seq = {s: b for s, b in self.by_seq.items() if s % self.stride == 0}
        return True

    @property
    def total(self) -> int:
        return sum(self.per_source.values())

    def genuine(self, cp: Checkpoint) -> bool:
        """Whether the trusted key signed ``cp`` (each forged line counted once)."""
        ok = self._verdicts.get(cp.signature)
        if ok is None:
            ok = self._verdicts[cp.signature] = cp.signature_ok(self.trusted)
            self.forged += not ok
        return ok

    def check(self, seq: int, digest: str) -> bool | None:
        """True: a checkpoint agrees; False: a genuine one records another hash; None: none here."""
        bucket = self.by_seq.get(seq)
        if not bucket:
            return None
        if any(cp.hash == digest for cp in bucket):
            return True
        contradicting = [cp for cp in bucket if self.genuine(cp)]
        self.by_seq[seq] = contradicting
        return False if contradicting else None

    def contradiction(self, seq: int) -> Checkpoint | None:
        bucket = self.by_seq.get(seq)
        return bucket[0] if bucket else None

    def newest_genuine(self) -> Checkpoint | None:
        """The newest checkpoint whose signature holds (forged ones are counted and skipped)."""
        for _seq, _n, cp in sorted(self.latest, reverse=True):
            if self.genuine(cp):
                return cp
        return None

    def own_key_trails(self) -> dict[str, TrailSeen]:
        """Other trails with a genuine checkpoint signed by the trusted key (so: by this data home's key)."""
        return {t: seen for t, seen in self.other_trails.items()
                if seen.newest is not None and self.genuine(seen.newest)}

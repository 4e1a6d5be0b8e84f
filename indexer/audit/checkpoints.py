"""Signed checkpoints of the chain head, published outside the data home as they are made.

Owns the checkpoint line and the sinks it goes to.  After every committed
transaction that appended audit events (and on ``audit anchor``), the head
``(seq, hash)`` is signed with the audit key's Ed25519 half and written, one
line each, to:

- syslog/journald (identity ``chartfile-audit``, facility authpriv), unless
  ``audit.syslog = false``;
- ``<audit.checkpoint_dir>/chartfile-checkpoints.log`` when configured (a
  folder of the privacy officer's, outside the data home);
- ``<home>/audit/checkpoints.log`` (a convenience copy: it only helps against
  someone who can change the database but not the data home's files).

A line reads::

    chartfile-checkpoint v1 trail=<16 hex> seq=<n> hash=<64 hex> time=<UTC> reason=<word> key=<16 hex>
        pub=<base64 Ed25519 public key> sig=<base64 signature of everything before " sig=">

(one line; wrapped here).  ``trail`` is the start of event 1's hash, so
checkpoints of several data homes can share one sink.  Lines may sit inside
any log format (a syslog prefix is ignored).  Reading them back is in
:mod:`indexer.audit.sources`.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import syslog
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from indexer.audit.keys import AuditKey, check_outside_home, key_id_of

log = logging.getLogger(__name__)

MAGIC = "chartfile-checkpoint v1"
SYSLOG_IDENT = "chartfile-audit"
SINK_FILE = "chartfile-checkpoints.log"
LOCAL_FILE = "checkpoints.log"
AUDIT_DIR = "audit"
_LINE = re.compile(
    r"chartfile-checkpoint v1 trail=(?P<trail>[0-9a-f]{16}) seq=(?P<seq>\d{1,18}) hash=(?P<hash>[0-9a-f]{64}) "
    r"time=(?P<time>[0-9T:.\-]{1,40}Z) reason=(?P<reason>[a-z.\-]{1,40}) key=(?P<key>[0-9a-f]{16}) "
    r"pub=(?P<pub>[A-Za-z0-9+/=]{44}) sig=(?P<sig>[A-Za-z0-9+/=]{88})"
)
_REASON = re.compile(r"[^a-z.\-]")


@dataclass(frozen=True)
class Checkpoint:
    """One published chain head, as read back from a sink."""

    trail: str
    seq: int
    hash: str
    time: str
    reason: str
    key_id: str
    public: bytes
    signature: bytes
    signed_text: str

    def signature_ok(self, trusted: bytes | None = None) -> bool:
        """Signed by the key it names (and, when ``trusted`` is given, that key is the trusted one)."""
        if trusted is not None and self.public != trusted:
            return False
        if key_id_of(self.public) != self.key_id:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(self.signature, self.signed_text.encode("ascii"))
        except (InvalidSignature, ValueError):
            return False
        return True


def trail_id(first_hash: str) -> str:
    """The trail's name in checkpoints: the first 16 hex digits of event 1's hash."""
    return first_hash[:16]


def make_line(key: AuditKey, trail: str, seq: int, digest: str, time: str, reason: str) -> str:
    """The signed checkpoint line (no newline)."""
    reason = _REASON.sub("-", reason.lower())[:40] or "checkpoint"
    signed = (f"{MAGIC} trail={trail} seq={seq} hash={digest} time={time} reason={reason} "
              f"key={key.key_id} pub={base64.b64encode(key.public).decode('ascii')}")
    return f"{signed} sig={base64.b64encode(key.sign(signed.encode('ascii'))).decode('ascii')}"


def parse(text: str) -> Checkpoint | None:
    """The checkpoint in one line of any log, or None when the line holds none (or a mangled one)."""
    m = _LINE.search(text)
    if m is None:
        return None
    signed = m.group(0).rsplit(" sig=", 1)[0]
    try:
        public, sig = base64.b64decode(m["pub"], validate=True), base64.b64decode(m["sig"], validate=True)
    except ValueError:
        return None
    if len(public) != 32 or len(sig) != 64:
        return None
    return Checkpoint(m["trail"], int(m["seq"]), m["hash"], m["time"], m["reason"], m["key"], public, sig, signed)


@dataclass(frozen=True)
class Sinks:
    """Where checkpoints of one data home go."""

    local: Path  # <home>/audit/checkpoints.log
    external: Path | None  # <checkpoint_dir>/chartfile-checkpoints.log
    syslog: bool

    @classmethod
    def for_home(cls, home: Path, checkpoint_dir: str, use_syslog: bool) -> Sinks:
        external = None
        if checkpoint_dir:
            folder = Path(checkpoint_dir).expanduser()
            check_outside_home(folder, home, "the checkpoint folder")
            if not folder.is_dir():
                from intake.errors import ConfigError

                raise ConfigError(f"the checkpoint folder {folder} does not exist",
                                  hint="Create it (writable by the service account, owned by the privacy "
                                       "officer) or unset CHARTFILE_AUDIT__CHECKPOINT_DIR.")
            external = folder / SINK_FILE
        return cls(home / AUDIT_DIR / LOCAL_FILE, external, use_syslog)

    def files(self) -> list[Path]:
        return [p for p in (self.local, self.external) if p is not None]


_FDS: dict[Path, int] = {}  # checkpoint files kept open (O_APPEND) by this process, oldest first
MAX_OPEN = 8
_SYSLOG_OPEN: list[bool] = []


def _fd(path: Path) -> int:
    """An append descriptor for ``path``, reopened when the file was removed or rotated away."""
    fd = _FDS.get(path)
    if fd is not None:
        try:
            if os.fstat(fd).st_nlink > 0:
                return fd
        except OSError:
            pass
        _FDS.pop(path, None)
        with contextlib.suppress(OSError):
            os.close(fd)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    while len(_FDS) >= MAX_OPEN:  # a process serving one data home needs two; tests open many homes
        with contextlib.suppress(OSError):
            os.close(_FDS.pop(next(iter(_FDS))))
    _FDS[path] = fd
    return fd


def _append(path: Path, data: bytes, durable: bool) -> None:
    fd = _fd(path)
    try:
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    except OSError:
        _FDS.pop(path, None)
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


def _to_syslog(line: str) -> None:
    if not _SYSLOG_OPEN:
        syslog.openlog(SYSLOG_IDENT, syslog.LOG_PID, syslog.LOG_AUTHPRIV)
        _SYSLOG_OPEN.append(True)
    syslog.syslog(syslog.LOG_NOTICE, line)


def publish(sinks: Sinks, line: str, *, durable: bool = False) -> list[str]:
    """Write one checkpoint line to every sink; returns the sinks that failed (each failure is logged).

    A sink that fails never fails the audited action, which is already
    committed: the next checkpoint covers it, and ``audit status`` shows it.
    """
    failed: list[str] = []
    data = (line + "\n").encode("ascii")
    for path in sinks.files():
        try:
            _append(path, data, durable)
        except OSError as exc:
            log.error("audit checkpoint not written to %s: %s", path, exc.strerror or exc)
            failed.append(str(path))
    if sinks.syslog:
        try:
            _to_syslog(line)
        except OSError as exc:  # pragma: no cover - syslog() itself does not raise on a missing /dev/log
            log.error("audit checkpoint not sent to syslog: %s", exc)
            failed.append("syslog")
    return failed

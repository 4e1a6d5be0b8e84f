"""The audit key: the secret that authenticates every event and signs every checkpoint.

Owns the key file (its format, where it lives, creating it and loading it).
One file holds two secrets: a 32-byte HMAC-SHA256 key that authenticates each
event of the chain, and an Ed25519 private key that signs the checkpoints
published outside the data home.  The public half is written beside it as
``<key file>.pub`` for the privacy officer, who can pin it with
``audit verify --public-key``.

The key file must live outside the data home and be readable by its owner
only (mode 0400 or 0600): whoever can read it can forge events.  It is never
overwritten — a new key would make every earlier event unverifiable.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from intake.config import Config
from intake.errors import ConfigError, InputError, RefusedError

FORMAT_LINE = "chartfile-audit-key v1"
PUBLIC_LINE = "chartfile-audit-public-key v1"
KEY_BYTES = 32


@dataclass(frozen=True)
class AuditKey:
    """The loaded key: ``key_id`` names it in every event and checkpoint."""

    key_id: str
    mac_key: bytes
    signer: Ed25519PrivateKey
    public: bytes  # raw 32-byte Ed25519 public key
    path: Path

    def sign(self, message: bytes) -> bytes:
        return self.signer.sign(message)


def key_id_of(public: bytes) -> str:
    """Short stable name of a key: the first 16 hex digits of SHA-256 of its public key."""
    return hashlib.sha256(public).hexdigest()[:16]


def default_key_path() -> Path:
    """``$XDG_CONFIG_HOME/chartfile/audit.key`` (``~/.config/...``) of the account running Chartfile."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "chartfile" / "audit.key"


def key_path(cfg: Config) -> Path:
    """Where this configuration keeps its audit key."""
    return Path(cfg.audit.key_file).expanduser() if cfg.audit.key_file else default_key_path()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def check_outside_home(path: Path, home: Path, what: str = "the audit key") -> None:
    """Refuse a key (or checkpoint folder) inside the data home: its whole point is to be elsewhere."""
    if _inside(path, home):
        raise ConfigError(f"{what} {path} lies inside the data home {home}",
                          hint="Put it outside the data home (e.g. /etc/chartfile/audit.key owned by the "
                               "service account), and set CHARTFILE_AUDIT__KEY_FILE.")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _raw_private(private: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _write_new(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, mode)  # the umask may have narrowed it; never widened


def generate(path: Path, home: Path | None = None) -> AuditKey:
    """Create a new key file (mode 0400) and its ``.pub``; refuse to overwrite either."""
    if home is not None:
        check_outside_home(path, home)
    pub_path = public_path(path)
    for existing in (path, pub_path):
        if existing.exists():
            raise RefusedError(f"{existing} already exists; an audit key is never replaced",
                               hint="A new key would make every earlier event unverifiable. Keep the old "
                                    "one; see docs/audit.md for moving a key.")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    public = _raw_public(private)
    key_id = key_id_of(public)
    mac_key = os.urandom(KEY_BYTES)
    body = (f"{FORMAT_LINE}\nkey-id: {key_id}\nhmac-sha256: {_b64(mac_key)}\n"
            f"ed25519-private: {_b64(_raw_private(private))}\n")
    _write_new(path, body, 0o400)
    _write_new(pub_path, f"{PUBLIC_LINE}\nkey-id: {key_id}\ned25519-public: {_b64(public)}\n", 0o444)
    return AuditKey(key_id, mac_key, private, public, path)


def public_path(path: Path) -> Path:
    return path.with_name(path.name + ".pub")


def _fields(text: str, first_line: str, where: Path) -> dict[str, str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != first_line:
        raise ConfigError(f"{where} is not a Chartfile audit key file", hint="Check audit.key_file.")
    out: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip()] = value.strip()
    return out


def _decode(fields: dict[str, str], name: str, where: Path) -> bytes:
    try:
        data = base64.b64decode(fields[name], validate=True)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"{where}: field {name} is missing or damaged") from exc
    if len(data) != KEY_BYTES:
        raise ConfigError(f"{where}: field {name} has the wrong length")
    return data


def _check_mode(path: Path) -> None:
    st = path.stat()
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"the audit key {path} can be read by other accounts (mode {stat.S_IMODE(st.st_mode):o})",
                          hint=f"chmod 400 {path} (owner: the account Chartfile runs as)")


def load(path: Path, home: Path | None = None) -> AuditKey:
    """Read and check the key file (exists, private, outside the home, well-formed)."""
    if home is not None:
        check_outside_home(path, home)
    if not path.is_file():
        raise ConfigError(f"the audit key {path} does not exist",
                          hint="'chartfile init' creates it for a new data home; otherwise run "
                               "'chartfile audit keygen' (or set CHARTFILE_AUDIT__KEY_FILE to where it is).")
    _check_mode(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the audit key {path} cannot be read: {exc}") from exc
    fields = _fields(text, FORMAT_LINE, path)
    private = Ed25519PrivateKey.from_private_bytes(_decode(fields, "ed25519-private", path))
    public = _raw_public(private)
    key_id = key_id_of(public)
    if fields.get("key-id") != key_id:
        raise ConfigError(f"{path}: the key id does not match the key (the file was edited)")
    return AuditKey(key_id, _decode(fields, "hmac-sha256", path), private, public, path)


def load_public(path: Path) -> bytes:
    """A pinned public key: a ``.pub`` file written by keygen (``--public-key``)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the public key {path}: {exc}") from exc
    try:
        fields = _fields(text, PUBLIC_LINE, path)
        raw = _decode(fields, "ed25519-public", path)
    except ConfigError as exc:
        raise InputError(exc.message, hint="Give the .pub file written by 'chartfile audit keygen'.") from exc
    Ed25519PublicKey.from_public_bytes(raw)
    return raw

"""The backup manifest: what a backup holds, each file's size and SHA-256, and how to check it.

Owns ``manifest.json`` and its companion ``manifest.sha256`` (the hash of
the manifest itself, so a damaged manifest is told apart from a damaged
file).  Paths in the manifest are relative POSIX paths inside the backup;
anything absolute or climbing out (``..``) is refused when read, so a
tampered manifest cannot make a restore write outside its target.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from intake.errors import InputError, IntegrityError
from intake.spool import NotRegularFile, sha256_file, write_text_atomic

FORMAT = "chartfile-backup/1"
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"
DATABASE_DIR = "database"
HOME_DIR = "home"


@dataclass
class FileEntry:
    """One file in the backup."""

    path: str  # relative to the backup folder
    size: int
    sha256: str


@dataclass
class Manifest:
    """Everything a restore needs to know and check."""

    created: str
    database: str  # "sqlite" | "postgresql"
    database_file: str  # relative path of the database copy
    schema_revision: str
    audit_head: tuple[int, str]  # (seq, hash) of the last audit event in the copy
    items: dict[str, int] = field(default_factory=dict)  # intake items by state
    damaged: list[int] = field(default_factory=list)  # items whose original already failed its hash
    missing: list[int] = field(default_factory=list)  # items whose file was not in the data home
    files: list[FileEntry] = field(default_factory=list)
    format: str = FORMAT

    def to_json(self) -> str:
        data = asdict(self)
        data["audit_head"] = list(self.audit_head)
        return json.dumps(data, indent=1, sort_keys=True) + "\n"


def safe_relative(path: str) -> PurePosixPath:
    """A manifest path that stays inside its folder; InputError otherwise."""
    rel = PurePosixPath(path)
    if not path or rel.is_absolute() or ".." in rel.parts or "\\" in path:
        raise IntegrityError(f"the backup manifest names a path outside the backup: {path!r}",
                             hint="The manifest was altered; use another backup.")
    return rel


def write(folder: Path, manifest: Manifest) -> None:
    """Write the manifest, then its hash (a backup without both is incomplete)."""
    text = manifest.to_json()
    write_text_atomic(folder / MANIFEST, text)
    write_text_atomic(folder / MANIFEST_HASH, hashlib.sha256(text.encode("utf-8")).hexdigest() + "\n")


def read(folder: Path) -> Manifest:
    """Read and self-check the manifest of a backup folder."""
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError(f"{folder} is not a Chartfile backup (no {MANIFEST})",
                         hint="Give the folder 'chartfile backup' wrote; an interrupted backup has no manifest.")
    raw = path.read_bytes()
    try:
        expected = (folder / MANIFEST_HASH).read_text(encoding="ascii").strip()
    except OSError:
        expected = ""
    if hashlib.sha256(raw).hexdigest() != expected:
        raise IntegrityError(f"the manifest of backup {folder} does not match {MANIFEST_HASH}",
                             hint="The backup was damaged or edited; use another backup.")
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise InputError(f"unknown backup format {data.get('format')!r}",
                             hint="Restore with the Chartfile version that wrote the backup.")
        files = [FileEntry(**f) for f in data.pop("files")]
        seq, digest = data.pop("audit_head")
        manifest = Manifest(**data, files=files, audit_head=(int(seq), str(digest)))
    except (ValueError, TypeError, KeyError) as exc:
        raise IntegrityError(f"the manifest of backup {folder} cannot be read ({type(exc).__name__})",
                             hint="The backup was damaged; use another backup.") from exc
    for entry in manifest.files:
        safe_relative(entry.path)
    safe_relative(manifest.database_file)
    return manifest


def verify_files(folder: Path, manifest: Manifest) -> list[str]:
    """Every listed file present with its size and hash; returns the problems (empty = intact)."""
    problems: list[str] = []
    for entry in manifest.files:
        path = folder / safe_relative(entry.path)
        try:
            if path.stat().st_size != entry.size or sha256_file(path) != entry.sha256:
                problems.append(f"{entry.path}: content differs from the manifest")
        except (FileNotFoundError, NotRegularFile):
            problems.append(f"{entry.path}: missing from the backup")
    return problems

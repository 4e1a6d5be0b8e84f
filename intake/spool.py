"""File ownership: safe names, atomic moves into the spool, archive and quarantine.

Every move is atomic: ``os.replace`` on the same filesystem, otherwise copy to
a temporary name in the destination folder, fsync, rename, fsync the folder,
and only then remove the source.  Names from the outside world are never
trusted as paths and never passed to a shell.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import unicodedata
from pathlib import Path

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NAME = 120
MAX_DISPLAY_NAME = 255
TEMP_SUFFIX = ".part"


def display_name(name: str) -> str:
    """An untrusted file name made safe to store and show: valid UTF-8, no control characters.

    Names that are not valid UTF-8 on disk arrive with surrogate escapes
    (``os.fsdecode``); those bytes become U+FFFD.  Line breaks and other
    control characters become spaces (a name cannot inject lines into a
    sidecar or a terminal).  The result is for showing only, never a path.
    """
    raw = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    clean = _CONTROL.sub(" ", raw).strip() or "file"
    return clean[:MAX_DISPLAY_NAME]


def safe_name(name: str) -> str:
    """A filesystem-safe version of an untrusted file name (keeps the extension)."""
    base = Path(name.replace("\\", "/")).name  # drop any path parts
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = _UNSAFE.sub("_", base).strip("._-") or "file"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = ext[:10]
    stem = stem[: MAX_NAME - len(ext) - 1] or "file"
    return f"{stem}.{ext}" if ext else stem


def item_file_name(item_id: int, original_name: str) -> str:
    """Name of an item's file inside the data home: id prefix + safe original name."""
    return f"{item_id:08d}-{safe_name(original_name)}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_name(dest: Path) -> Path:
    """The hidden temporary name a file is written under before it is renamed to ``dest``."""
    return dest.with_name(f".{dest.name}{TEMP_SUFFIX}")


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def copy_durably(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` through a temporary name, fsynced, then renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(dest)
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)


def move_atomic(src: Path, dest: Path) -> None:
    """Move ``src`` to ``dest`` atomically; across filesystems copy+fsync+rename, then unlink."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
        _fsync_dir(dest.parent)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    copy_durably(src, dest)
    os.unlink(src)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a small text file atomically (sidecars, anchors)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def reason_sidecar(path: Path) -> Path:
    """The '.reason.txt' file that explains why ``path`` was quarantined."""
    return path.with_name(path.name + ".reason.txt")

"""File ownership: safe names, atomic moves into the spool, archive and quarantine; private modes.

Every move is atomic: ``os.replace`` on the same filesystem, otherwise copy to
a temporary name in the destination folder, fsync, rename, fsync the folder,
and only then remove the source.  Names from the outside world are never
trusted as paths and never passed to a shell.

Sources are opened only as regular files (:func:`open_regular`: never
through a symlink, never blocking on a FIFO).  :func:`copy_hashing` copies
a source and hashes *the same bytes it writes*, and refuses the copy when
the source changed while it was read, so a recorded hash always describes
the stored file.

Everything written here is private: folders 0700, files 0600
(:data:`DIR_MODE`, :data:`FILE_MODE`), whatever the umask; entrypoints set
the process umask to 077 (:func:`private_umask`) so that files written by
libraries (SQLite, the search index, exports) are private too.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NAME = 120
MAX_DISPLAY_NAME = 255
TEMP_SUFFIX = ".part"
PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
CHUNK = 1 << 20


class NotRegularFile(OSError):
    """The path is a symlink, FIFO, device, socket or folder: never opened as a source."""


class SourceChanged(OSError):
    """The source changed (size, mtime or identity) while it was being copied; the copy was discarded."""


@dataclass(frozen=True)
class Fingerprint:
    """Identity and version of a file: same device and inode, same size and mtime."""

    dev: int
    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Fingerprint:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    @classmethod
    def of_path(cls, path: Path) -> Fingerprint | None:
        """The fingerprint of ``path`` itself (a link is not followed); None when it does not exist."""
        try:
            return cls.of(path.lstat())
        except FileNotFoundError:
            return None

    def text(self) -> str:
        """``dev:ino:size:mtime_ns``, as the ledger keeps it."""
        return f"{self.dev}:{self.ino}:{self.size}:{self.mtime_ns}"

    @classmethod
    def parse(cls, text: str | None) -> Fingerprint | None:
        """The fingerprint :meth:`text` wrote (None for an empty or malformed value)."""
        try:
            dev, ino, size, mtime = (int(part) for part in (text or "").split(":"))
        except ValueError:
            return None
        return cls(dev, ino, size, mtime)

    def same_file(self, other: Fingerprint | None) -> bool:
        """The same file (device and inode), whatever its version."""
        return other is not None and (self.dev, self.ino) == (other.dev, other.ino)


@dataclass(frozen=True)
class Copied:
    """The result of :func:`copy_hashing`: the hash and size of the bytes written, and the source read."""

    sha256: str
    size: int
    source: Fingerprint


def private_umask() -> int:
    """Set the process umask to 077 (files 0600, folders 0700); returns the previous one."""
    return os.umask(PRIVATE_UMASK)


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) as 0700; an existing folder is left as it is."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIR_MODE)  # mkdir's mode is cut by the umask; make sure it is exactly 0700


def make_private(path: Path) -> None:
    """Make a file we own 0600, a folder 0700 (a file moved in keeps its sender's mode); another user's is left.

    A file owned by another user (a fax server's) stays readable only through
    the 0700 folders around it.
    """
    try:
        if not path.is_symlink():
            os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)
    except PermissionError:
        log.debug("cannot make a file private (not its owner)")


def open_regular(path: Path) -> int:
    """Open ``path`` for reading only if it is a regular file; raise :class:`NotRegularFile` otherwise.

    Never follows a symlink (``O_NOFOLLOW``) and never blocks on a FIFO
    (``O_NONBLOCK``); the type is checked on the opened descriptor, so a
    swap between a check and the open cannot slip another file in.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(errno.ELOOP, "a symbolic link, not a file") from None
        if exc.errno == errno.EISDIR:
            raise NotRegularFile(errno.EISDIR, "a folder, not a file") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, "not a regular file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


def _create_private(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


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
    """SHA-256 of a regular file (never through a symlink)."""
    h = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
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


def copy_hashing(src: Path, dest: Path) -> Copied:
    """Copy the regular file ``src`` to ``dest`` (private, fsynced, renamed into place), hashing what is written.

    The source is read once through one descriptor; the hash is of exactly
    the bytes written to ``dest``.  When the source changed while it was
    read (size, mtime, or fewer/more bytes than its size) the copy is
    discarded and :class:`SourceChanged` raised: the caller takes it again
    later, whole.
    """
    make_private_dir(dest.parent)
    tmp = temp_name(dest)
    h = hashlib.sha256()
    written = 0
    fin = open_regular(src)
    try:
        before = Fingerprint.of(os.fstat(fin))
        fout = _create_private(tmp)
        try:
            while chunk := os.read(fin, CHUNK):
                h.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fout, view):]
                written += len(chunk)
            os.fsync(fout)
        finally:
            os.close(fout)
        after = Fingerprint.of(os.fstat(fin))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fin)
    if after != before or written != after.size:
        tmp.unlink(missing_ok=True)
        raise SourceChanged(errno.EAGAIN, "the file changed while it was being copied")
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)
    return Copied(h.hexdigest(), written, before)


def copy_durably(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` through a temporary name, private and fsynced, then renamed into place."""
    copy_hashing(src, dest)


def move_atomic(src: Path, dest: Path) -> None:
    """Move ``src`` to ``dest`` atomically; across filesystems copy+fsync+rename, then unlink.

    The moved file is made private (0600) when it is ours to change.
    """
    make_private_dir(dest.parent)
    try:
        os.replace(src, dest)
        _fsync_dir(dest.parent)
        make_private(dest)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    copy_durably(src, dest)
    os.unlink(src)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a small private text file atomically (sidecars, anchors)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a small private file atomically: temporary name, fsync, rename, fsync the folder."""
    make_private_dir(path.parent)
    tmp = temp_name(path)
    fd = _create_private(tmp)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def reason_sidecar(path: Path) -> Path:
    """The '.reason.txt' file that explains why ``path`` was quarantined."""
    return path.with_name(path.name + ".reason.txt")

"""Bad and awkward inputs for intake robustness tests, each with its expected outcome.

This module owns the hostile corpus: empty, truncated, corrupt and encrypted
PDFs, HTML or executables wearing a ``.pdf`` name, unsupported types, a
decompression-bomb PNG, a TIFF with too many pages, temp/system files that the
watcher must ignore, valid files with hostile names, and :func:`slow_write`
for stable-file tests.

Every case says what intake should do with it:

* ``expect``: ``quarantine`` | ``ignore`` (never picked up) | ``accept`` (processed normally)
* ``category`` (quarantine reasons): ``empty``, ``corrupt``, ``encrypted``,
  ``wrong_type``, ``unsupported``, ``too_large``, ``too_many_pages``; ``temp``
  and ``system`` for ignored files; ``ok`` for accepted ones.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image

from samples.roster import build_roster


@dataclass
class HostileCase:
    """One hostile file and what intake should do with it."""

    file: str
    expect: str  # quarantine | ignore | accept
    category: str
    case: str
    note: str = ""


# --------------------------------------------------------------------------
# byte builders
# --------------------------------------------------------------------------
def valid_pdf_bytes(seed: int = 1, pages: int = 1) -> bytes:
    """A small, valid text-layer fax PDF (synthetic patient)."""
    from samples.faxes import make_fax

    buf = _tmp_file(lambda p: make_fax(p, build_roster(5, seed).rows[0], "clinical_note", "pdf-text",
                                       seed, pages), ".pdf")
    return buf


def valid_tiff_bytes(seed: int = 1, pages: int = 1) -> bytes:
    """A small, valid G4 fax TIFF (synthetic patient)."""
    from samples.faxes import make_fax

    return _tmp_file(lambda p: make_fax(p, build_roster(5, seed).rows[1], "lab_result", "tiff-fine",
                                        seed, pages), ".tif")


def _tmp_file(write: Callable[[Path], object], suffix: str) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"x{suffix}"
        write(p)
        return p.read_bytes()


def encrypted_pdf_bytes(user_password: str = "secret", owner_password: str = "owner") -> bytes:
    """A valid PDF encrypted with pypdf (AES-256 when available, else RC4)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(valid_pdf_bytes())))
    try:
        writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    except Exception:  # cryptography backend missing: fall back to RC4-128
        writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def zero_page_pdf_bytes() -> bytes:
    """A syntactically valid PDF with no pages."""
    from pypdf import PdfWriter

    buf = io.BytesIO()
    PdfWriter().write(buf)
    return buf.getvalue()


def bomb_png_bytes(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header declares a huge 1-bit image (decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    idat = zlib.compress(row * 16, 9)  # only the first rows: it is the header that matters
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def many_page_tiff_bytes(pages: int) -> bytes:
    """A G4 TIFF with ``pages`` small blank-ish pages (to exceed a page limit)."""
    page = Image.new("1", (1728, 200), 1)
    buf = io.BytesIO()
    page.save(buf, "TIFF", compression="group4", dpi=(204, 98), save_all=True,
              append_images=[page] * (pages - 1))
    return buf.getvalue()


def docx_bytes() -> bytes:
    """A minimal Office Open XML (zip) document."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("[Content_Types].xml", date_time=(2026, 1, 1, 0, 0, 0))
        z.writestr(info, '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        info = zipfile.ZipInfo("word/document.xml", date_time=(2026, 1, 1, 0, 0, 0))
        z.writestr(info, "<w:document/>")
    return buf.getvalue()


def exe_bytes(rng: random.Random) -> bytes:
    """Bytes that look like a Windows executable (MZ/PE header), harmless."""
    header = b"MZ" + b"\x90\x00" + b"\x00" * 56 + struct.pack("<I", 64) + b"PE\x00\x00"
    return header + rng.randbytes(2000)


HTML = (b"<!DOCTYPE html>\n<html><head><title>Fax portal - session expired</title></head>\n"
        b"<body><h1>Your session has expired</h1><p>Please log in again to download the "
        b"document.</p></body></html>\n")


# --------------------------------------------------------------------------
# the corpus
# --------------------------------------------------------------------------
def _cases(rng: random.Random, max_pages: int) -> list[tuple[str, bytes, str, str, str, str]]:
    pdf = valid_pdf_bytes()
    tif = valid_tiff_bytes()
    q, ign, ok = "quarantine", "ignore", "accept"
    return [
        ("empty.pdf", b"", q, "empty", "zero_bytes", "zero-byte file"),
        ("no_pages.pdf", zero_page_pdf_bytes(), q, "empty", "zero_pages", "valid PDF with no pages"),
        ("truncated.pdf", pdf[: len(pdf) * 6 // 10], q, "corrupt", "truncated_pdf", "cut at 60%, no %%EOF"),
        ("truncated.tif", tif[: len(tif) // 3], q, "corrupt", "truncated_tiff", "cut at a third"),
        ("garbage.pdf", rng.randbytes(4096), q, "corrupt", "garbage_pdf", "random bytes with a .pdf name"),
        ("fake_header.pdf", b"%PDF-1.7\n" + rng.randbytes(3000), q, "corrupt", "pdf_header_garbage_body",
         "PDF magic then garbage"),
        ("encrypted.pdf", encrypted_pdf_bytes(), q, "encrypted", "user_password",
         "needs user password 'secret'"),
        ("owner_only_encrypted.pdf", encrypted_pdf_bytes(user_password=""), ok, "ok", "owner_password_only",
         "encrypted but opens with the empty user password"),
        ("portal_error.pdf", HTML, q, "wrong_type", "html_as_pdf", "HTML error page saved as .pdf"),
        ("results.pdf", exe_bytes(rng), q, "wrong_type", "exe_as_pdf", "MZ executable bytes named .pdf"),
        ("letter.docx", docx_bytes(), q, "unsupported", "docx", "Word document"),
        ("setup.exe", exe_bytes(rng), q, "unsupported", "exe", "executable"),
        ("notes.txt", b"call back re: labs\n", q, "unsupported", "text", "plain text file"),
        ("bomb.png", bomb_png_bytes(), q, "too_large", "decompression_bomb", "declares 60000x60000 pixels"),
        (f"too_many_pages_{max_pages + 1}.tif", many_page_tiff_bytes(max_pages + 1), q, "too_many_pages",
         "page_limit", f"{max_pages + 1} pages, limit {max_pages}"),
        ("incoming.tif.part", tif[: len(tif) // 2], ign, "temp", "part_suffix", "upload in progress"),
        ("upload.tmp", pdf, ign, "temp", "tmp_suffix", "temporary file"),
        ("~$report.pdf", b"\x0bJane Smith" + b"\x00" * 150, ign, "temp", "office_lock", "Office owner file"),
        (".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 100, ign, "system", "ds_store", "macOS metadata"),
        ("Thumbs.db", bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 500, ign, "system", "thumbs_db",
         "Windows thumbnail cache"),
        (".hidden_fax.pdf", pdf, ign, "system", "dot_file", "dot-files are ignored"),
        ("fax with  spaces (1).pdf", pdf, ok, "ok", "spaces", "spaces and parentheses"),
        ("résumé_Müller_ñ_✓.tif", tif, ok, "ok", "unicode", "non-ASCII name"),
        ("-rf.pdf", pdf, ok, "ok", "leading_dash", "looks like a command-line option"),
        ("x" * 196 + ".pdf", pdf, ok, "ok", "long_name", "200-character name"),
        ("fax..2026..final.pdf", pdf, ok, "ok", "dot_dot", "contains '..'"),
        ("name with 'quotes' & $dollar;semicolon.pdf", pdf, ok, "ok", "shell_chars", "shell metacharacters"),
        ("SCAN0001.PDF", pdf, ok, "ok", "upper_ext", "upper-case extension"),
        ("scan0002.tiff", tif, ok, "ok", "tiff_ext", ".tiff spelling"),
    ]


def generate_hostile(out_dir: str | Path, seed: int = 1, max_pages: int = 300) -> list[HostileCase]:
    """Write every hostile case into ``out_dir`` plus ``hostile.jsonl`` (one case per line)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"hostile:{seed}")
    cases = []
    for name, data, expect, category, case, note in _cases(rng, max_pages):
        (out / name).write_bytes(data)
        cases.append(HostileCase(name, expect, category, case, note))
    with (out / "hostile.jsonl").open("w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    return cases


def slow_write(path: str | Path, data: bytes, chunks: int = 5, seconds: float = 2.0) -> None:
    """Write ``data`` to ``path`` in ``chunks`` pieces spread over ``seconds`` (blocking).

    Each piece is flushed and fsynced, so a watcher sees the size grow the way a
    slow network copy or a fax server writing a long fax looks.
    """
    chunks = max(1, chunks)
    step = -(-len(data) // chunks) if data else 0
    pause = seconds / max(1, chunks - 1) if chunks > 1 else 0.0
    with Path(path).open("wb") as fh:
        for i in range(chunks):
            fh.write(data[i * step:(i + 1) * step])
            fh.flush()
            os.fsync(fh.fileno())
            if i < chunks - 1:
                time.sleep(pause)


def start_slow_write(path: str | Path, data: bytes, chunks: int = 5, seconds: float = 2.0) -> threading.Thread:
    """Run :func:`slow_write` in a daemon thread and return it (``join()`` to wait)."""
    t = threading.Thread(target=slow_write, args=(path, data, chunks, seconds), daemon=True)
    t.start()
    return t

"""Private by default: every file the program writes is 0600 and every folder 0700, whatever the caller's umask.

The commands run as real processes started with the usual umask 022: ``init``,
a roster import, ``watch`` taking a fax from the inbox, ``ingest``, the
exports (``documents``, ``intake``, ``audit``), a release packet, a backup and
a restore.  Then every path in the data home, the restored home, the backup
and the exported files is checked; ``doctor`` says the home is private, warns
(exit 6) about a file made readable by hand, and ``doctor --fix`` repairs it.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from indexer.db.engine import Database
from indexer.db.models import IntakeItem
from intake.config import load_config
from tests.e2e.helpers import REPO, patient_pdf_bytes, wait_for, write_settings

HEADER = "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"
TO = ("--recipient", "Valley Cardiology", "--address", "2250 River Rd, Salem, OR 97302")


def _umask_022() -> None:
    os.umask(0o022)


def _cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "chartfile.cli.main", "--home", str(home), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, preexec_fn=_umask_022)  # noqa: PLW1509
    if check:
        assert done.returncode == 0, (args, done.stderr)
    return done


def _loose(*roots: Path) -> list[str]:
    """Paths under ``roots`` (and the roots) that group or others can access."""
    out = []
    for root in roots:
        paths = [root, *root.rglob("*")] if root.is_dir() else [root]
        for path in paths:
            st = path.lstat()
            if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                out.append(f"{path} {stat.S_IMODE(st.st_mode):o}")
    return out


def _processed(home: Path, n: int) -> bool:
    db = Database(load_config(home, environ={}))
    try:
        with db.session() as s:
            return [i.state for i in s.scalars(select(IntakeItem))].count("processed") >= n
    finally:
        db.dispose()


def test_every_file_written_is_private_and_doctor_finds_what_is_not(tmp_path: Path) -> None:
    home, inbox, out = tmp_path / "home", tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    out.mkdir()
    write_settings(home)
    for path in [home, *home.rglob("*")]:  # a home as an older version left it with the usual umask 022 ...
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    _cli(home, "init")  # ... is made private by init
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + "CF000501,Lindqvist,Marta,,1970-01-02,F,,,,,\n", encoding="utf-8")
    _cli(home, "patients", "import", str(roster))

    watch = subprocess.Popen([sys.executable, "-m", "chartfile.cli.main", "--home", str(home), "watch", "--inbox",
                              str(inbox)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=_umask_022)  # noqa: PLW1509
    try:
        (inbox / "fax.pdf").write_bytes(patient_pdf_bytes("Marta", "Lindqvist", "01/02/1970", "CF000501", 1))
        assert wait_for(lambda: _processed(home, 1), 90)
    finally:
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(90) == 0
    src = tmp_path / "scan.pdf"
    src.write_bytes(patient_pdf_bytes("Marta", "Lindqvist", "01/02/1970", "CF000501", 2))
    _cli(home, "ingest", str(src))
    _cli(home, "documents", "export", "-o", str(out / "docs.jsonl"))
    _cli(home, "intake", "export", "-o", str(out / "intake.jsonl"))
    _cli(home, "audit", "export", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "jsonl",
         "-o", str(out / "audit.jsonl"))
    asked = _cli(home, "roi", "request", "add", "--mrn", "CF000501", "--received", "2026-12-01", "--channel", "fax",
                 "--requester", "Valley Cardiology", *TO, "--basis", "tpo", "--types", "all")
    request_id = asked.stdout.split("#", 1)[1].split()[0]
    _cli(home, "roi", "release", "--mrn", "CF000501", "--documents", "1", *TO, "--method", "mail", "--basis", "tpo",
         "--purpose", "Continuity of care", "--request", request_id, "--output", str(out / "packet.pdf"))
    _cli(home, "roi", "release", "--mrn", "CF000501", "--documents", "2", *TO, "--method", "mail", "--basis", "tpo",
         "--purpose", "Continuity of care", "--request", request_id, check=False)  # packet in the home's exports
    _cli(home, "backup", str(tmp_path / "backup"))
    _cli(tmp_path / "restored", "restore", str(tmp_path / "backup"))

    written = [out / "docs.jsonl", out / "intake.jsonl", out / "audit.jsonl", out / "packet.pdf"]
    assert all(p.is_file() for p in written)
    assert {p.name for p in (home / "archive").rglob("*.pdf")} and (home / "index").is_dir()
    loose = _loose(home, tmp_path / "backup", tmp_path / "restored", *written)
    assert loose == [], "\n".join(loose)
    doctor = _cli(home, "doctor")
    assert "Private" in doctor.stdout

    os.chmod(next((home / "archive").rglob("*.pdf")), 0o644)  # a file opened up by hand
    warned = _cli(home, "doctor", check=False)
    assert warned.returncode == 6 and "should be 0600" in warned.stdout and "doctor --fix" in warned.stderr
    check = _cli(home, "intake", "check")
    assert "WARNING: file archive/" in check.stdout  # a warning, not an inconsistency
    fixed = _cli(home, "doctor", "--fix")
    assert "Made 1 paths private" in fixed.stdout
    assert _loose(home) == [] and "Private" in _cli(home, "doctor").stdout

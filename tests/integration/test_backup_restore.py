"""Backup → restore: identical exports, a verifying audit chain, damaged backups and busy homes refused."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from chartfile.service.runner import ingest
from chartfile.service.storage import restore
from indexer.archive_verify import verify_archive
from indexer.audit import verify_trail
from indexer.backup.create import create_backup
from indexer.backup.manifest import MANIFEST, read
from indexer.db.engine import Database
from indexer.exports import iter_documents, iter_intake
from intake.config import load_config
from intake.errors import IntegrityError, RefusedError
from tests.conftest import CliResult
from tests.e2e.helpers import make_home, text_pdf_bytes


def restore_backup(backup: Path, home: Path) -> object:
    return restore(load_config(home, environ={}), "admin", backup, environ={})


def _exports(db: Database) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    with db.session() as s:
        return list(iter_documents(s)), list(iter_intake(s))


@pytest.fixture
def office(tmp_path: Path) -> tuple[Path, Database]:
    cfg, db = make_home(tmp_path)
    files = []
    for n in range(3):
        src = tmp_path / "drop" / f"lab {n}.pdf"
        src.parent.mkdir(exist_ok=True)
        src.write_bytes(text_pdf_bytes(300 + n))
        files.append(src)
    files.append(tmp_path / "drop" / "again.pdf")
    files[-1].write_bytes(text_pdf_bytes(300))  # a re-send: a duplicate
    bad = tmp_path / "drop" / "notes.pdf"
    bad.write_bytes(b"<html>not a pdf</html>")  # quarantined
    files.append(bad)
    outcomes = ingest(cfg, db, files)
    assert sorted(outcomes.values()) == ["duplicate", "processed", "processed", "processed", "quarantined"]
    (cfg.home / "exports").mkdir(exist_ok=True)
    (cfg.home / "exports" / "release-1.pdf").write_bytes(b"%PDF packet")
    return cfg.home, db


def test_backup_then_restore_gives_identical_exports_and_a_verifying_chain(office: tuple[Path, Database],
                                                                         tmp_path: Path) -> None:
    home, db = office
    cfg = load_config(home, environ={})
    result = create_backup(cfg, db, tmp_path / "backup", actor="admin")
    assert result.ok and result.manifest.items == {"processed": 3, "duplicate": 1, "quarantined": 1}
    backup = tmp_path / "backup"
    assert backup.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in backup.rglob("*") if p.is_file())
    names = {f.path for f in read(backup).files}
    assert "home/exports/release-1.pdf" in names and "database/chartfile.db" in names
    assert not any(n.startswith("home/index/") for n in names)  # derived: rebuilt at restore
    before = _exports(db)

    restored = tmp_path / "restored"
    restore_backup(backup, restored)  # raises (exit 7) unless intake check, archive and audit trail verify
    rdb = Database(load_config(restored, environ={}))
    after = _exports(rdb)
    assert after == before
    assert verify_archive(load_config(restored, environ={}), rdb).ok
    trail = verify_trail(rdb)
    assert trail.ok and trail.checked > 0, trail.problem
    assert (restored / "exports" / "release-1.pdf").read_bytes() == b"%PDF packet"
    assert restored.stat().st_mode & 0o777 == 0o700
    rdb.dispose()


def test_a_damaged_backup_is_refused_before_anything_is_written(office: tuple[Path, Database],
                                                               tmp_path: Path) -> None:
    home, db = office
    cfg = load_config(home, environ={})
    create_backup(cfg, db, tmp_path / "backup", actor="admin")
    archived = next((tmp_path / "backup" / "home" / "archive").rglob("*.pdf"))
    data = bytearray(archived.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archived.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="damaged"):
        restore_backup(tmp_path / "backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    manifest = tmp_path / "backup" / MANIFEST
    manifest.write_text(manifest.read_text().replace('"sqlite"', '"sqlitE"'))
    with pytest.raises(IntegrityError, match="manifest"):
        restore_backup(tmp_path / "backup", tmp_path / "restored")


def test_restore_never_overwrites_and_backup_stays_outside_the_home(office: tuple[Path, Database],
                                                                    tmp_path: Path) -> None:
    home, db = office
    cfg = load_config(home, environ={})
    with pytest.raises(RefusedError, match="overlap"):
        create_backup(cfg, db, home / "backups" / "today", actor="admin")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("something")
    with pytest.raises(RefusedError, match="not an empty folder"):
        create_backup(cfg, db, busy, actor="admin")
    create_backup(cfg, db, tmp_path / "backup", actor="admin")
    with pytest.raises(RefusedError, match="not empty"):
        restore_backup(tmp_path / "backup", home)


def test_an_original_altered_in_the_archive_is_named_by_the_backup(office: tuple[Path, Database],
                                                                   tmp_path: Path) -> None:
    home, db = office
    cfg = load_config(home, environ={})
    archived = next((home / "archive").glob("*/*/*.pdf"))
    os.chmod(archived, 0o600)
    archived.write_bytes(archived.read_bytes() + b"\n% tampered")
    result = create_backup(cfg, db, tmp_path / "backup", actor="admin")
    assert not result.ok and len(result.manifest.damaged) == 1
    assert json.loads((tmp_path / "backup" / MANIFEST).read_text())["damaged"] == result.manifest.damaged


def test_the_backup_is_the_state_of_one_moment(office: tuple[Path, Database], tmp_path: Path) -> None:
    """The database copy and the file list agree: a file the copy does not know is not in the backup."""
    home, db = office
    cfg = load_config(home, environ={})
    stray = home / "spool" / "99999999-later.pdf"
    stray.write_bytes(text_pdf_bytes(999))  # an item newer than the database copy
    create_backup(cfg, db, tmp_path / "backup", actor="admin")
    assert not (tmp_path / "backup" / "home" / "spool" / stray.name).exists()
    con = sqlite3.connect(tmp_path / "backup" / "database" / "chartfile.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        events = [r[0] for r in con.execute("SELECT event_type FROM audit_events ORDER BY seq")]
    finally:
        con.close()
    assert events[-1] == "backup.create"  # audited before the copy was taken


def _ingest_then_back_up(home: Path, tmp_path: Path, first_seed: int, files: int) -> CliResult:
    """Ingest ``files`` one-page lab PDFs (Person<first_seed>…) into ``home``, then ``chartfile backup``."""
    from tests.conftest import run_chartfile

    drop = tmp_path / "drop"
    drop.mkdir()
    for n in range(files):
        (drop / f"lab {n}.pdf").write_bytes(text_pdf_bytes(first_seed + n))
    assert run_chartfile(home, "ingest", str(drop)).code == 0
    return run_chartfile(home, "backup", str(tmp_path / "backup"))


def test_restore_drill_on_the_command_line(home: Path, tmp_path: Path) -> None:
    """The drill a practice runs: backup, restore into a new folder, identical exports, the trail verifies."""
    from tests.conftest import run_chartfile

    done = _ingest_then_back_up(home, tmp_path, 700, 3)
    assert done.code == 0 and "audit key is not in the backup" in done.out, done.err
    restored = tmp_path / "restored"
    back = run_chartfile(restored, "restore", str(tmp_path / "backup"))
    assert back.code == 0 and "verified" in back.out, back.err
    for where in (home, restored):
        for what in ("documents", "intake"):
            assert run_chartfile(where, what, "export", "-o", str(tmp_path / f"{where.name}-{what}.jsonl")).code == 0
    for what in ("documents", "intake"):
        assert (tmp_path / f"home-{what}.jsonl").read_bytes() == (tmp_path / f"restored-{what}.jsonl").read_bytes()
    assert run_chartfile(restored, "audit", "verify").code == 0
    assert run_chartfile(restored, "intake", "check").code == 0
    assert run_chartfile(restored, "search", "Person00701", "--json").out.count('"doc_id"') == 1
    again = run_chartfile(restored, "restore", str(tmp_path / "backup"))
    assert again.code == 6 and "not empty" in again.err  # never over a home


def test_restore_drill_on_postgresql(tmp_path: Path, pg_server: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The same drill on PostgreSQL: pg_dump on the ledger's snapshot, pg_restore into an empty database."""
    from tests.conftest import run_chartfile
    from tests.pgcluster import new_database

    source_db, target_db = new_database(pg_server), new_database(pg_server)
    monkeypatch.setenv("CHARTFILE_DATABASE_URL", source_db)
    pg_home = tmp_path / "pg-home"
    init = run_chartfile(pg_home, "init")  # init_home() ignores the environment; the CLI reads it
    assert init.code == 0, init.err
    done = _ingest_then_back_up(pg_home, tmp_path, 800, 2)
    assert done.code == 0, done.err
    man = json.loads((tmp_path / "backup" / MANIFEST).read_text(encoding="utf-8"))
    assert man["database"] == "postgresql"

    monkeypatch.setenv("CHARTFILE_DATABASE_URL", target_db)
    restored = tmp_path / "restored"
    back = run_chartfile(restored, "restore", str(tmp_path / "backup"))
    assert back.code == 0 and "verified" in back.out, back.err
    exports = {}
    for where, url in ((pg_home, source_db), (restored, target_db)):
        monkeypatch.setenv("CHARTFILE_DATABASE_URL", url)
        for what in ("documents", "intake"):
            out = tmp_path / f"{where.name}-{what}.jsonl"
            assert run_chartfile(where, what, "export", "-o", str(out)).code == 0
            exports[where.name, what] = out.read_bytes()
    for what in ("documents", "intake"):
        assert exports["pg-home", what] == exports["restored", what] and exports["restored", what]
    assert run_chartfile(restored, "audit", "verify").code == 0
    assert run_chartfile(restored, "search", "Person00801", "--json").out.count('"doc_id"') == 1
    again = run_chartfile(restored, "restore", str(tmp_path / "backup"))
    assert again.code == 6  # the restored database is not empty: never over an office

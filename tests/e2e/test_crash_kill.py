"""kill -9 of ``chartfile watch`` at random moments during a batch, restarted each time.

Files arrive in waves while the service is repeatedly killed with SIGKILL
(during start-up, recovery, claiming, OCR, commits and index writes alike),
then a last run drains the inbox and stops with SIGTERM.  Checked: every
dropped file is accounted for by exactly one intake item with a final
outcome, no content was filed twice, the database and the Whoosh index agree
(each filed/review document indexed exactly once), files sit where their
states say, and the audit chain is intact.  An empty file is never taken (its
sender has not written it yet): it is the only thing left in the inbox.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from chartfile.service.checks import check
from indexer.audit import verify_trail
from indexer.db.engine import Database
from indexer.db.models import Document, IntakeItem
from intake.config import load_config
from tests.e2e.helpers import REPO, drop, fax_tiff_bytes, text_pdf_bytes, wait_for, write_settings

SEED = int(os.environ.get("INTAKE_CRASH_TEST_SEED", "20261123"))
KILLS = int(os.environ.get("INTAKE_CRASH_TEST_KILLS", "5"))
FINAL = ("processed", "quarantined", "duplicate")
EMPTY = "empty.pdf"  # never taken: a sender that created the file has not written it yet


def _files() -> dict[str, bytes]:
    files = {f"lab report {i:03d}.pdf": text_pdf_bytes(2000 + i) for i in range(34)}
    files |= {f"fax {i:02d}.tif": fax_tiff_bytes(3000 + i) for i in range(4)}
    files |= {f"two pages {i}.pdf": text_pdf_bytes(4000 + i, pages=2) for i in range(2)}
    files |= {"portal.pdf": b"<html>expired</html>", "empty.pdf": b"", "note.txt": b"call back\n",
              "cut.pdf": text_pdf_bytes(5000)[:900]}
    return files


def _start(home: Path, inbox: Path, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with open(log, "ab") as fh:
        return subprocess.Popen([sys.executable, "-m", "chartfile.cli.main", "--home", str(home), "-v", "watch",
                                 "--inbox", str(inbox)], env=env, stdout=fh, stderr=fh, cwd=REPO)


def _starts(log: Path) -> int:
    return log.read_text(errors="replace").count("watch started")


def _finished(home: Path) -> int:
    db = Database(load_config(home, environ={}))
    try:
        with db.session() as s:
            return int(s.scalar(select(func.count()).select_from(IntakeItem)
                                .where(IntakeItem.state.in_(FINAL))) or 0)
    except OperationalError:  # not migrated yet
        return 0
    finally:
        db.dispose()


def test_sigkill_at_random_moments_loses_nothing_and_files_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    home, inbox, log = tmp_path / "home", tmp_path / "inbox", tmp_path / "watch.log"
    write_settings(home)
    inbox.mkdir()
    files = _files()
    taken = {name: data for name, data in files.items() if name != EMPTY}
    names = sorted(files)
    rng.shuffle(names)
    size = -(-len(names) // KILLS)  # a new wave before every run: each kill finds work in hand
    waves = [names[i:i + size] for i in range(0, len(names), size)]
    kills = 0
    progress: list[int] = []
    for run in range(KILLS):
        if run < len(waves):
            for name in waves[run]:
                drop(inbox, name, files[name])
        before = progress[-1] if progress else 0
        proc = _start(home, inbox, log)
        if run == 1:  # once during start-up and recovery
            time.sleep(rng.uniform(0.5, 2.0))
        else:  # otherwise once work is flowing: while files are claimed, read, committed, indexed
            def flowing(before: int = before, proc: subprocess.Popen[bytes] = proc) -> bool:
                return _finished(home) > before or before == len(taken) or proc.poll() is not None

            assert wait_for(flowing, 180, 0.05)
            time.sleep(rng.uniform(0.0, 1.5))
        assert proc.poll() is None, log.read_text()[-3000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        kills += 1
        progress.append(_finished(home))

    cfg = load_config(home, environ={})
    db = Database(cfg)
    starts = _starts(log)
    proc = _start(home, inbox, log)
    try:
        assert wait_for(lambda: _starts(log) > starts, 120, 0.1), "the last run did not start"
        def drained() -> bool:
            with db.session() as s:
                final = s.scalar(select(func.count()).select_from(IntakeItem).where(IntakeItem.state.in_(FINAL)))
                total = s.scalar(select(func.count()).select_from(IntakeItem))
            return [p.name for p in inbox.iterdir()] == [EMPTY] and total == final == len(taken)

        ok = wait_for(drained, timeout=240, step=1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(90)
    assert ok, log.read_text()[-4000:]
    assert code == 0, log.read_text()[-3000:]

    with db.session() as s:
        items = list(s.scalars(select(IntakeItem)))
        docs = list(s.scalars(select(Document)))
    assert sorted(i.original_name for i in items) == sorted(taken), "a file was lost or taken twice"
    state = {i.original_name: i.state for i in items}
    bad = {"portal.pdf", "note.txt", "cut.pdf"}
    assert {n for n, st in state.items() if st == "quarantined"} == bad, state
    assert all(state[n] == "processed" for n in taken if n not in bad)
    per_item: dict[int, int] = {}
    for d in docs:
        per_item[d.intake_item_id] = per_item.get(d.intake_item_id, 0) + 1
    assert all(n == 1 for n in per_item.values()), "a file produced its documents twice"
    assert len(docs) == len(taken) - len(bad)
    report = check(cfg, db)
    assert report.ok, report.problems
    assert verify_trail(db).ok
    mid_work = sum(p < len(taken) for p in progress)
    assert mid_work >= (KILLS + 1) // 2, f"most kills came after the work was done: {progress}"
    print(f"crash test: {len(files)} files, {kills} kills (finished items at each kill: {progress}), "
          "lost 0, duplicates 0")

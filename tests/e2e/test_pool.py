"""The worker pool: per-task deadlines, crash isolation, cancellation, re-initialisation."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.errors import FileRejected
from intake.pool import TaskResult, WorkerFailed, WorkerPool
from tests.e2e import faults


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    p = WorkerPool(2, faults.init_marker, ("one",))
    yield p
    p.close()


def _collect(pool: WorkerPool, n: int, timeout: float = 60.0) -> dict[int, TaskResult]:
    out: dict[int, TaskResult] = {}
    end = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        for r in pool.poll(0.5):
            out[r.task_id] = r
    assert len(out) == n, f"only {len(out)} of {n} results"
    return out


def test_results_and_exceptions_come_back(pool: WorkerPool) -> None:
    ids = [pool.submit(faults.square, i, tag=i) for i in range(6)]
    bad = pool.submit(faults.reject, "The PDF is damaged.", tag="bad")
    odd = pool.submit(faults.raise_unpicklable, tag="odd")
    res = _collect(pool, 8)
    assert [res[i].value for i in ids] == [i * i for i in range(6)]
    rejected, odd_error = res[bad].error, res[odd].error
    assert isinstance(rejected, FileRejected) and rejected.reason == "The PDF is damaged."
    assert isinstance(odd_error, WorkerFailed) and "_Unpicklable" in odd_error.detail
    assert pool.idle()


def test_a_crash_fails_only_its_own_task(pool: WorkerPool) -> None:
    slow = pool.submit(faults.slow_square, 3, 1.5, tag="innocent")
    crash = pool.submit(faults.die, 9, tag="culprit")
    res = _collect(pool, 2)
    assert res[slow].ok and res[slow].value == 9
    died = res[crash].error
    assert isinstance(died, WorkerFailed) and died.kind == "crash" and "exit code 9" in died.detail
    # the pool is whole again
    after = [pool.submit(faults.square, i) for i in range(4)]
    res = _collect(pool, 4)
    assert [res[t].value for t in after] == [0, 1, 4, 9]
    assert len(pool.pids()) == 2


def test_a_task_past_its_deadline_is_killed_with_its_children(pool: WorkerPool, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    hung = pool.submit(faults.child_then_hang, str(pidfile), tag="hang", timeout=2.0)
    ok = pool.submit(faults.slow_square, 4, 0.5, tag="fine", timeout=30)
    res = _collect(pool, 2)
    assert res[ok].value == 16
    err = res[hung].error
    assert isinstance(err, WorkerFailed) and err.kind == "timeout"
    assert 1.9 <= time.monotonic() - started < 30
    child = int(pidfile.read_text())
    end = time.monotonic() + 5
    while time.monotonic() < end and _alive(child):
        time.sleep(0.1)
    assert not _alive(child), "the hung task's child process survived"
    again = pool.submit(faults.square, 5)
    assert _collect(pool, 1)[again].value == 25


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone between open() and read()
        return False


def test_cancel_drops_queued_and_ignores_running(pool: WorkerPool) -> None:
    a = pool.submit(faults.slow_square, 1, 1.0, tag="x")
    b = pool.submit(faults.slow_square, 2, 1.0, tag="x")
    c = pool.submit(faults.slow_square, 3, 0.1, tag="x")
    keep = pool.submit(faults.square, 7, tag="y")
    assert pool.cancel("x") == 3
    res = _collect(pool, 1, timeout=10)
    assert set(res) == {keep}
    time.sleep(1.5)
    assert pool.poll(0.5) == [] and {a, b, c}.isdisjoint(res)


def test_reinit_restarts_workers_with_new_arguments(pool: WorkerPool) -> None:
    t = pool.submit(faults.marker)
    assert _collect(pool, 1)[t].value == "one"
    pool.reinit(("two",))
    ts = [pool.submit(faults.marker) for _ in range(4)]
    res = _collect(pool, 4)
    assert {res[t].value for t in ts} == {"two"}


def test_workers_exit_when_the_parent_is_gone(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import sys, time; from intake.pool import WorkerPool; from tests.e2e import faults\n"
        "p = WorkerPool(2); p.submit(faults.square, 2); print(p.poll(60)[0].value)\n"
        "print(' '.join(map(str, p.pids())), flush=True); time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "4"
    pids = [int(x) for x in proc.stdout.readline().split()]
    assert len(pids) == 2
    proc.kill()  # SIGKILL: no cleanup in the parent
    proc.wait()
    end = time.monotonic() + 10
    while time.monotonic() < end and any(_alive(p) for p in pids):
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids), "workers outlived their parent"


def test_worker_pid_is_not_the_parent() -> None:
    p = WorkerPool(1)
    try:
        t = p.submit(faults.pid)
        assert _collect(p, 1)[t].value != os.getpid()
    finally:
        p.close()

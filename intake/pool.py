"""A small process pool for compute-only intake work, with per-task deadlines.

Owns the worker processes of intake.  Unlike ``concurrent.futures``, each
worker runs exactly one task at a time over its own pipe, so the parent always
knows which task a worker holds.  That buys three things:

* a task that runs past its deadline is stopped by killing *its* worker (and
  the worker's process group, so a tesseract child dies too); a fresh worker
  is started in its place;
* a worker that dies (segfault, ``os._exit``, OOM killer) fails only the task
  it held: innocent tasks in flight elsewhere are not touched;
* results come back through :meth:`WorkerPool.poll`, in the caller's thread,
  so the caller (the single writer) never shares state with a callback thread.

Workers exit by themselves when the parent goes away (their pipe closes), so
a parent killed with SIGKILL leaves nothing running for long.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing as mp
import os
import pickle
import signal
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from intake import worker_logs

log = logging.getLogger(__name__)

PRELOAD = ("intake.workers", "intake.pages", "intake.entities")
MAX_START_FAILURES = 5  # workers dying before they are ready, in a row: give up
STOP_GRACE_SECONDS = 2.0


class PoolError(Exception):
    """The pool cannot run (workers keep dying at start)."""


class WorkerFailed(Exception):
    """A task failed in a way the worker could not report as an ordinary exception."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # "timeout" | "crash" | "error"
        self.detail = detail

    def __reduce__(self) -> tuple[type[WorkerFailed], tuple[str, str]]:
        return (WorkerFailed, (self.kind, self.detail))


@dataclass
class TaskResult:
    """Outcome of one task: ``ok`` with ``value``, or an exception in ``error``."""

    task_id: int
    tag: Hashable
    ok: bool
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0


@dataclass
class _Task:
    task_id: int
    tag: Hashable
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    timeout: float
    started: float = 0.0
    deadline: float = 0.0
    cancelled: bool = False


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    generation: int
    ready: bool = False
    task: _Task | None = None
    retire: bool = False
    spawned: float = field(default_factory=time.monotonic)
    logs: Connection | None = None  # the worker's log records (see intake.worker_logs)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any unpicklable exception is replaced by a plain one
        return WorkerFailed("error", f"{type(exc).__name__}: {str(exc)[:300]}")


def _call_hook(hook: str | None) -> None:
    if not hook:
        return
    module, _, attr = hook.partition(":")
    getattr(importlib.import_module(module), attr)()


def _worker_main(conn: Connection, initializer: Callable[..., None] | None, initargs: tuple[Any, ...],
                 hook: str | None, logs: Connection | None = None, log_level: int = logging.WARNING) -> None:
    """Body of a worker process: init, say ready, then run one task at a time until EOF."""
    worker_logs.install(logs, log_level)
    try:
        os.setpgrp()  # own process group: a kill also reaches tesseract children
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    if initializer is not None:
        initializer(*initargs)
    _call_hook(hook)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # parent gone
        if msg is None:
            return
        task_id, fn, args = msg
        try:
            reply: tuple[Any, ...] = (task_id, True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            reply = (task_id, False, _picklable(exc))
        try:
            conn.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            conn.send((task_id, False, WorkerFailed("error", f"result not transferable: {exc}")))
        except (BrokenPipeError, OSError):
            return


def default_context() -> str:
    """forkserver where available (safe with threads, cheap respawns), else spawn."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


class WorkerPool:
    """``size`` worker processes; one task per worker; per-task deadlines."""

    def __init__(self, size: int, initializer: Callable[..., None] | None = None,
                 initargs: Sequence[Any] = (), hook: str | None = None,
                 context: str | None = None) -> None:
        self.size = max(1, int(size))
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._hook = hook
        self._ctx = mp.get_context(context or default_context())
        if self._ctx.get_start_method() == "forkserver":
            self._ctx.set_forkserver_preload(list(PRELOAD))
        self._generation = 0
        self._workers: list[_Worker] = []
        self._queue: deque[_Task] = deque()
        self._results: list[TaskResult] = []
        self._next_id = 0
        self._start_failures = 0
        self._closed = False
        for _ in range(self.size):
            self._spawn()

    # ----- workers -----------------------------------------------------------
    def _spawn(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        log_in, log_out = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main, name="chartfile-worker", daemon=True,
            args=(child, self._initializer, self._initargs, self._hook, log_out,
                  logging.getLogger().getEffectiveLevel()))
        proc.start()
        child.close()
        log_out.close()
        self._workers.append(_Worker(proc, parent, self._generation, logs=log_in))

    @staticmethod
    def _close_conns(worker: _Worker) -> None:
        worker_logs.drain(worker.logs)
        worker.conn.close()
        if worker.logs is not None:
            worker.logs.close()

    def _kill(self, worker: _Worker) -> None:
        pid = worker.process.pid
        if pid is not None:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                    break
                except (ProcessLookupError, PermissionError, OSError):
                    continue
        worker.process.join(timeout=5)
        self._close_conns(worker)

    def _replace(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        if not worker.ready:
            self._start_failures += 1
            if self._start_failures >= MAX_START_FAILURES:
                raise PoolError("OCR worker processes keep failing at start; see the log above.")
        if not self._closed:
            self._spawn()

    def reinit(self, initargs: Sequence[Any]) -> None:
        """New settings for workers (e.g. a changed roster): idle ones restart now, busy ones after their task."""
        self._initargs = tuple(initargs)
        self._generation += 1
        for worker in list(self._workers):
            if worker.task is None:
                self._stop_worker(worker)
            else:
                worker.retire = True

    def _stop_worker(self, worker: _Worker) -> None:
        try:
            worker.conn.send(None)
        except OSError:
            pass
        worker.process.join(timeout=STOP_GRACE_SECONDS)
        if worker.process.is_alive():
            self._kill(worker)
        else:
            self._close_conns(worker)
        self._workers.remove(worker)
        if not self._closed:
            self._spawn()

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    # ----- tasks -------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, tag: Hashable = None, timeout: float = 0.0) -> int:
        """Queue ``fn(*args)``; ``timeout`` seconds of running time (0 = none). Returns the task id."""
        if self._closed:
            raise PoolError("pool is closed")
        self._next_id += 1
        self._queue.append(_Task(self._next_id, tag, fn, args, float(timeout)))
        self._dispatch()
        return self._next_id

    def cancel(self, tag: Hashable) -> int:
        """Forget the tasks with ``tag``: queued ones are dropped, running ones' results ignored."""
        before = len(self._queue)
        self._queue = deque(t for t in self._queue if t.tag != tag)
        n = before - len(self._queue)
        for worker in self._workers:
            if worker.task is not None and worker.task.tag == tag:
                worker.task.cancelled = True
                n += 1
        self._results = [r for r in self._results if r.tag != tag]
        return n

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def running(self) -> int:
        return sum(1 for w in self._workers if w.task is not None)

    def idle(self) -> bool:
        return not self._queue and not self.running and not self._results

    def _dispatch(self) -> None:
        for worker in self._workers:
            if not self._queue:
                return
            if not worker.ready or worker.task is not None or worker.retire:
                continue
            task = self._queue.popleft()
            task.started = time.monotonic()
            task.deadline = task.started + task.timeout if task.timeout > 0 else float("inf")
            try:
                worker.conn.send((task.task_id, task.fn, task.args))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                self._results.append(TaskResult(task.task_id, task.tag, False,
                                                error=WorkerFailed("error", f"task not transferable: {exc}")))
                continue
            except OSError:
                self._queue.appendleft(task)  # the worker died: its sentinel will tell
                continue
            worker.task = task

    # ----- results -----------------------------------------------------------
    def poll(self, timeout: float = 0.0) -> list[TaskResult]:
        """Wait up to ``timeout`` seconds for results; handle deaths and deadlines; return results."""
        end = time.monotonic() + max(timeout, 0.0)
        while True:
            self._dispatch()
            if self._results:
                break
            now = time.monotonic()
            deadlines = [w.task.deadline for w in self._workers if w.task is not None]
            wake = min([end, *deadlines])
            waitables: list[Any] = ([w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
                                    + [w.logs for w in self._workers if w.logs is not None])
            ready = wait(waitables, timeout=max(0.0, wake - now)) if waitables else []
            if not waitables and wake > now:
                time.sleep(wake - now)
            self._collect(ready)
            self._enforce_deadlines()
            if self._results or time.monotonic() >= end:
                break
        out, self._results = self._results, []
        self._dispatch()
        return out

    def _collect(self, ready: list[Any]) -> None:
        ready_set = set(ready)
        for worker in self._workers:
            if worker.logs is not None and worker.logs in ready_set:
                worker_logs.drain(worker.logs)
        for worker in list(self._workers):
            if worker.conn in ready_set:
                self._receive(worker)
        for worker in list(self._workers):
            if worker in self._workers and worker.process.sentinel in ready_set:
                self._reap(worker)

    def _receive(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                try:
                    msg = worker.conn.recv()
                except (EOFError, OSError):
                    raise
                except Exception as exc:  # noqa: BLE001 - an answer that cannot be unpickled here
                    task = worker.task
                    if task is None:
                        continue
                    msg = (task.task_id, False, WorkerFailed("error", f"unreadable answer: {exc}"))
                self._on_message(worker, msg)
        except (EOFError, OSError):
            self._reap(worker)

    def _on_message(self, worker: _Worker, msg: tuple[Any, ...]) -> None:
        if msg[0] == "ready":
            worker.ready = True
            self._start_failures = 0
            return
        task_id, ok, value = msg
        task = worker.task
        if task is None or task.task_id != task_id:
            return  # a cancelled task's late answer
        worker.task = None
        seconds = time.monotonic() - task.started
        if task.cancelled:
            pass
        elif ok:
            self._results.append(TaskResult(task_id, task.tag, True, value=value, seconds=seconds))
        else:
            self._results.append(TaskResult(task_id, task.tag, False, error=value, seconds=seconds))
        if worker.retire or worker.generation != self._generation:
            self._stop_worker(worker)

    def _reap(self, worker: _Worker) -> None:
        if worker not in self._workers:
            return
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        task = worker.task
        self._close_conns(worker)
        if task is not None and not task.cancelled:
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            log.warning("worker %s died (%s) during task %s", worker.process.pid, how, task.task_id)
            self._results.append(TaskResult(task.task_id, task.tag, False,
                                            error=WorkerFailed("crash", how),
                                            seconds=time.monotonic() - task.started))
        self._replace(worker)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            task = worker.task
            if task is None or now < task.deadline:
                continue
            log.warning("task %s ran past its %.0f s limit; stopping worker %s", task.task_id, task.timeout,
                        worker.process.pid)
            worker.task = None
            self._kill(worker)
            if not task.cancelled:
                self._results.append(TaskResult(task.task_id, task.tag, False,
                                                error=WorkerFailed("timeout", f"{task.timeout:.0f} s"),
                                                seconds=now - task.started))
            self._workers.remove(worker)
            if not self._closed:
                self._spawn()

    # ----- shutdown ----------------------------------------------------------
    def close(self, wait_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Stop every worker: ask politely, then kill. Queued tasks are dropped."""
        self._closed = True
        self._queue.clear()
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        end = time.monotonic() + wait_seconds
        for worker in self._workers:
            worker.process.join(timeout=max(0.0, end - time.monotonic()) if worker.task is None else 0.0)
            if worker.process.is_alive():
                self._kill(worker)
            else:
                self._close_conns(worker)
        self._workers.clear()

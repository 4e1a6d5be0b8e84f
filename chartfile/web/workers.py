"""Several web processes on one port, each with its own listening socket, kept running until stopped.

Owns ``chartfile serve`` with ``web.workers`` > 1.  Python runs one request at
a time per process, so the workstation runs several; each opens the office of
``$CHARTFILE_HOME`` (:func:`chartfile.web.app.app_from_environment`) and
listens on its own ``SO_REUSEPORT`` socket, so the kernel spreads the
connections over the processes.  (With one socket shared by every process — how
uvicorn's ``--workers`` does it — the first idle process accepts a whole burst
of connections: twenty clerks logging in at nine o'clock all landed on one
process while the other stood idle.)  A process that dies is replaced; one
that cannot start at all stops the server with the reason in the log.  SIGINT
or SIGTERM stops every process gracefully (uvicorn finishes the requests in
hand), then returns.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import logging.config
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from intake.errors import ConfigError

log = logging.getLogger(__name__)

APP = "chartfile.web.app:app_from_environment"
PR_SET_PDEATHSIG = 1
LISTEN_BACKLOG = 2048
QUICK_EXIT_SECONDS = 15.0  # a process that dies this soon after starting is failing to start
QUICK_EXITS_ALLOWED = 3
STOP_SECONDS = 20.0  # graceful stop of a process (uvicorn's own limit is timeout_graceful_shutdown)


def die_with_parent() -> None:
    """In a child process: get SIGTERM if the server dies without stopping it (Linux prctl)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the server's own shutdown still stops it
        pass


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on host:port that other processes of this server may also bind (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def _serve_one(host: str, port: int, options: dict[str, Any], log_config: dict[str, Any], ready: Any) -> None:
    """One web process (run in a spawned child): its own socket, uvicorn on the app factory; ``ready`` set
    once it serves (after its warm-up)."""
    import uvicorn

    die_with_parent()
    logging.config.dictConfig(log_config)
    sock = listening_socket(host, port)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_config=log_config, **options)
    server = uvicorn.Server(config)

    def tell_when_started() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready.set()

    threading.Thread(target=tell_when_started, daemon=True).start()
    server.run(sockets=[sock])


class Workers:
    """The web processes of one ``chartfile serve``."""

    def __init__(self, count: int, host: str, port: int, options: dict[str, Any],
                 log_config: dict[str, Any]) -> None:
        self.count, self.host, self.port = count, host, port
        self.options, self.log_config = options, log_config
        self._ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no state copied from this one
        self._stop = threading.Event()
        self._procs: list[tuple[BaseProcess, float]] = []
        self._quick_exits = 0
        self._ready: list[Any] = []  # multiprocessing Events: set by each process once it serves

    def _start(self) -> tuple[BaseProcess, float]:
        ready = self._ctx.Event()
        self._ready.append(ready)
        proc = self._ctx.Process(target=_serve_one, name="chartfile-web",
                                 args=(self.host, self.port, self.options, self.log_config, ready))
        proc.start()
        return proc, time.monotonic()

    def _wait_ready(self, on_ready: Callable[[], None]) -> None:
        """Call ``on_ready`` once every first process serves (or one died: then the loop reports it)."""
        while not self._stop.is_set():
            if all(e.is_set() for e in self._ready) or any(not p.is_alive() for p, _ in self._procs):
                break
            time.sleep(0.1)
        if all(e.is_set() for e in self._ready):
            on_ready()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("stopping the web processes (signal %d)", signum)
        self._stop.set()

    def run(self, on_ready: Callable[[], None] = lambda: None) -> None:
        """Start the processes (``on_ready`` when all serve), replace any that die, stop all on SIGINT/SIGTERM."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._procs = [self._start() for _ in range(self.count)]
            self._wait_ready(on_ready)
            while not self._stop.wait(0.5):
                self._replace_dead()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _replace_dead(self) -> None:
        for i, (proc, started) in enumerate(self._procs):
            if proc.is_alive():
                continue
            if time.monotonic() - started < QUICK_EXIT_SECONDS:
                self._quick_exits += 1
                if self._quick_exits >= QUICK_EXITS_ALLOWED:
                    raise ConfigError(f"the web processes keep failing to start (last exit code {proc.exitcode})",
                                      hint="See the messages above; check the data home with 'chartfile status'.")
            log.warning("web process %s stopped (exit code %s); starting another", proc.pid, proc.exitcode)
            self._procs[i] = self._start()

    def _stop_all(self) -> None:
        for proc, _ in self._procs:
            if proc.is_alive() and proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()  # SIGTERM: uvicorn finishes the requests in hand
        deadline = time.monotonic() + STOP_SECONDS
        for proc, _ in self._procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()

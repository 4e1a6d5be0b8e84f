"""``chartfile serve``: the web workstation and JSON API, with the hot-folder service alongside.

The command lives with the web app (the CLI registers it by name, so neither
entrypoint imports the other); it gets the CLI's context object through
click (``cfg``, ``office``).

The web app runs under uvicorn in ``web.workers`` processes (default 2:
Python runs one request at a time per process, so a search no longer holds up
the worklist of the clerk beside it; see :mod:`chartfile.web.workers`; with 1
it runs in this process).  Unless ``--no-watch`` the intake service
runs as a child process (``chartfile watch``), so both share the data home and
stop together on Ctrl-C/SIGTERM.  uvicorn's own access log is off: the app
logs route templates only (no query strings, so no PHI), see
:mod:`chartfile.web.security`.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from chartfile.web.workers import die_with_parent
from intake.config import MAX_WEB_WORKERS
from intake.errors import ConfigError
from intake.spool import private_umask

log = logging.getLogger(__name__)
WATCHER_STOP_SECONDS = 120


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}",
                              hint="Another program uses that port: pick another with --port.") from None


def _start_watcher(ctx: click.Context, home: Path, inbox: Path | None) -> subprocess.Popen[bytes]:
    root = ctx.find_root()
    module = root.command.callback.__module__ if root.command.callback else "chartfile.cli.main"
    cmd = [sys.executable, "-m", module, "--home", str(home), "watch"]
    if inbox is not None:
        cmd += ["--inbox", str(inbox)]
    return subprocess.Popen(cmd, preexec_fn=die_with_parent)  # noqa: S603,PLW1509 - our own interpreter


def _stop_watcher(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        log.warning("the intake service had already stopped (exit %s)", proc.returncode)
        return
    proc.terminate()  # SIGTERM: finish the work in hand
    try:
        proc.wait(WATCHER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _worker_logging() -> dict[str, Any]:
    """Logging of a worker process as this process has it (named loggers to stderr at the -v level)."""
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                    "stream": "ext://sys.stderr"}},
            "root": {"level": logging.getLogger().getEffectiveLevel(), "handlers": ["stderr"]}}


def _run(app: Any, host: str, port: int, workers: int, on_ready: Callable[[], None]) -> None:
    """uvicorn in this process (1 worker) or in ``workers`` processes (:mod:`chartfile.web.workers`)."""
    common: dict[str, Any] = {"access_log": False, "server_header": False, "log_level": "warning",
                              "proxy_headers": True, "forwarded_allow_ips": "127.0.0.1",
                              "timeout_graceful_shutdown": 10}
    if workers == 1:
        import uvicorn

        from chartfile.web.app import serving_app  # FastAPI only when serving (keeps other commands quick)

        on_ready()
        uvicorn.run(serving_app(app.office), host=host, port=port, **common)
        return
    from chartfile.web.workers import Workers

    os.environ["CHARTFILE_HOME"] = str(app.cfg.home.resolve())  # each process opens this office
    Workers(workers, host, port, common, _worker_logging()).run(on_ready)


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (web.host, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (web.port, default 8080).")
@click.option("--workers", type=click.IntRange(1, MAX_WEB_WORKERS), default=None,
              help="Web server processes (web.workers, default 2).")
@click.option("--no-watch", is_flag=True, help="Only the web app; run 'chartfile watch' elsewhere.")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), help="Folder the intake service watches.")
@click.pass_obj
def serve_cmd(app: Any, host: str | None, port: int | None, workers: int | None, no_watch: bool,
              inbox: Path | None) -> None:
    """The clerk's web workstation and the JSON API (with the intake service unless --no-watch)."""
    private_umask()  # main() set it already; serve makes sure, for packets and exports it writes (0600)
    cfg = app.cfg
    host = host or cfg.web.host
    port = port or cfg.web.port
    app.office  # noqa: B018 - refuses a data home that is missing or not ready (exit 5, with the fix)
    _check_port(host, port)
    watcher = None if no_watch else _start_watcher(click.get_current_context(), cfg.home, inbox)
    shown = f"[{host}]" if ":" in host else host

    def tell() -> None:
        click.echo(f"Chartfile is running at http://{shown}:{port}/ (Ctrl-C to stop). "
                   f"Log in with a user from 'chartfile users add'.", err=True)

    try:
        _run(app, host, port, workers or cfg.web.workers, tell)
    finally:
        if watcher is not None:
            _stop_watcher(watcher)

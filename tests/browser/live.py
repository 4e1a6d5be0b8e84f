"""A real ``chartfile serve`` on a free loopback port, for browser, API-fuzz and load tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import run_chartfile

CHARTFILE = str(Path(sys.executable).with_name("chartfile"))
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chartfile(home: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run the real ``chartfile`` command; returns stdout, raises with stderr on failure."""
    done = subprocess.run([CHARTFILE, "--home", str(home), *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300, check=False)
    if done.returncode != 0:
        raise AssertionError(f"chartfile {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


@dataclass
class LiveServer:
    home: Path
    inbox: Path
    port: int
    watch: bool = True
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> LiveServer:
        cmd = [CHARTFILE, "--home", str(self.home), "serve", "--port", str(self.port), "--inbox", str(self.inbox)]
        if not self.watch:
            cmd.append("--no-watch")
        self.log = self.home.parent / f"serve-{self.port}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         env={**os.environ, "OMP_THREAD_LIMIT": "1", **self.env},
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"chartfile serve exited: {self.log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{self.url}/login", timeout=2) as resp:  # noqa: S310 - loopback
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("chartfile serve did not answer in time")

    def stop(self) -> None:
        """SIGTERM the server (it stops its watcher); then nothing of its process group may be left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # leftovers (a watcher whose server crashed)
        except ProcessLookupError:
            pass


def make_home(root: Path, roster: Path | None = None, idle_minutes: float | None = None) -> tuple[Path, Path]:
    """A data home with fast test timings, the roster imported and one user per role (password PASSWORD)."""
    home, inbox = root / "home", root / "inbox"
    home.mkdir(parents=True)
    inbox.mkdir()
    settings = "[intake]\nquiet_seconds = 0.5\nrescan_seconds = 1.0\n[ocr]\nworkers = 1\n"
    if idle_minutes is not None:
        settings += f"[web]\nidle_minutes = {idle_minutes}\n"
    (home / "chartfile.toml").write_text(settings, encoding="utf-8")
    init = run_chartfile(home, "init")
    assert init.code == 0, init.err
    if roster is not None:
        imported = run_chartfile(home, "patients", "import", str(roster))
        assert imported.code == 0, imported.err
    add_users(home)
    return home, inbox


def add_users(home: Path) -> None:
    """One user per role, ``<role>1`` with password PASSWORD (through the service, in this process)."""
    from chartfile.service import users
    from chartfile.service.actor import Role
    from chartfile.service.office import open_office
    from intake.config import load_config
    from tests.web.conftest import ADMIN

    office = open_office(load_config(home, environ={}))
    try:
        for role in Role:
            users.add_user(office, ADMIN, f"{role.value}1", role, PASSWORD)
    finally:
        office.close()

"""A throwaway PostgreSQL cluster for the tests that need a real server.

Uses ``CHARTFILE_TEST_PG_URL`` when it is set (a scratch server the caller
owns); otherwise starts a private cluster with Debian's ``initdb``/``pg_ctl``
(package ``postgresql``, installed by ``.ci/setup-debian.sh``) in a temporary
folder, listening on a Unix socket only (no TCP port, nothing on the network),
and stops and removes it at the end of the session.  As root the server runs
as the ``postgres`` account, as PostgreSQL requires.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path | None:
    """Newest ``/usr/lib/postgresql/N/bin`` with initdb, or the PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(cmd: list[str]) -> list[str]:
    """Run ``cmd`` as ``postgres`` when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def cluster() -> Iterator[str | None]:
    """Yield a server URL ``postgresql+psycopg://…`` (no database part), or None when none can run."""
    given = os.environ.get("CHARTFILE_TEST_PG_URL", "")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    bindir = _bin_dir()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        yield None
        return
    data = Path(tempfile.mkdtemp(prefix="chartfile-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    try:
        subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust",
                                        "-U", "postgres", "-E", "UTF8", "--no-sync"]), **run)  # type: ignore[call-overload]
        opts = f"-k {data} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-w", "-t", "60",
                                        "-l", str(data / "server.log"), "-o", opts, "start"]), **run)  # type: ignore[call-overload]
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(data, ignore_errors=True)
        raise RuntimeError(f"could not start a test PostgreSQL: {exc.stderr.decode(errors='replace')}") from exc
    try:
        yield f"postgresql+psycopg://postgres@/?host={data}"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate",
                                        "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(data, ignore_errors=True)


def new_database(server_url: str) -> str:
    """Create an empty database on the server and return its URL."""
    from sqlalchemy import create_engine, text

    name = f"chartfile_{uuid.uuid4().hex[:12]}"
    base, _, query = server_url.partition("?")
    admin = create_engine(f"{base.rstrip('/')}/postgres{'?' + query if query else ''}", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return f"{base.rstrip('/')}/{name}{'?' + query if query else ''}"

"""A throwaway PostgreSQL cluster for the tests: Debian's server, started in a temporary folder
on a Unix socket (no TCP port), stopped when the test ends, however it ends.

The server refuses to run as root: run as root (a container, CI), it runs as ``nobody``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from penguin_course.setup import system

NOBODY = 65534
ROLE, DATABASE = "grader", "gradebook"


def as_server_user() -> list[str]:
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []


@contextlib.contextmanager
def cluster():
    """Start a cluster with one database; yield its SQLAlchemy URL (psycopg, over the socket)."""
    programs = Path(system.ensure(system.POSTGRES)).resolve().parent
    folder = Path(tempfile.mkdtemp(prefix="penguin-pg-"))  # short: a socket's path has at most 107 bytes
    data, socket = folder / "data", folder / "socket"
    socket.mkdir()
    if os.geteuid() == 0:
        for path in (folder, socket):
            os.chown(path, NOBODY, NOBODY)
    os.chmod(folder, 0o755)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "HOME": str(folder)}
    run = [*as_server_user()]
    try:
        subprocess.run(run + [str(programs / "initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8",
                              "--no-sync"], check=True, capture_output=True, env=env)
        subprocess.run(run + [str(programs / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
                              "-o", f"-k {socket} -c listen_addresses=''", "start"],
                       check=True, capture_output=True, env=env)
        try:
            subprocess.run([str(programs / "createdb"), "-h", str(socket), "-U", ROLE, DATABASE], check=True,
                           capture_output=True, env=env)
            yield f"postgresql+psycopg://{ROLE}@/{DATABASE}?host={socket}"
        except Exception:
            print("the server's log:", (folder / "server.log").read_text()[-2000:])  # pytest shows it on failure
            raise
        finally:
            subprocess.run(run + [str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, env=env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

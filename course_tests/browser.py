"""Helpers for the browser tests: Debian's Chromium driven by Playwright, JupyterLab servers
that are always stopped, nbgrader commands, and a screenshot of every step.

Playwright cannot download its own browsers here, so it drives the system's Chromium
(`apt-get install chromium`); `playwright install` is never needed.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from penguin_course.course.paths import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "browser-screenshots"
VENV_BIN = Path(sys.executable).parent
SERVER_START_TIMEOUT = 90  # seconds; JupyterLab starts in about 5 s on 2 cores
SERVER_STOP_TIMEOUT = 20  # seconds for the server to shut its kernels down after SIGTERM


# ---------------------------------------------------------------------------------------------
# the browser

def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing: apt-get install chromium"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is missing: pip install playwright"
    return None


@contextmanager
def chromium() -> Iterator["playwright.sync_api.Browser"]:  # noqa: F821
    """Debian's Chromium, headless, through Playwright; closed on exit, also on failure."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-")


class Screenshots:
    """browser-screenshots/<test>/<NN>-<step>.png at the repository root, numbered in order."""

    def __init__(self, test_name: str, root: Path = SCREENSHOTS):
        self.folder = root / safe_name(test_name)
        if self.folder.exists():
            shutil.rmtree(self.folder)  # no stale pictures of an earlier run
        self.folder.mkdir(parents=True)
        self.count = 0
        self.prefix = ""  # the stage of the test, before each step's name
        self.paths: list[Path] = []

    def take(self, page, step: str, full_page: bool = False) -> Path:
        self.count += 1
        name = f"{self.prefix}-{step}" if self.prefix else step
        path = self.folder / f"{self.count:02d}-{safe_name(name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.paths.append(path)
        return path


# ---------------------------------------------------------------------------------------------
# users, environments, commands

def student_identity(config_dir: Path, student: str) -> Path:
    """An nbgrader config in ``config_dir`` (to put on JUPYTER_CONFIG_PATH) naming the student.

    nbgrader names the student after the operating system's user (nbgrader.utils.get_username
    reads pwd.getpwuid(os.getuid()), not $USER), unless CourseDirectory.student_id is set, as
    `--student` does on the command line: the Assignments tab then submits and fetches feedback
    as ``student``. (A real second user cannot run this .venv where its Python lies under
    /root/.pyenv, mode 700.)"""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "nbgrader_config.py"
    path.write_text(f"c = get_config()  # noqa: F821\nc.CourseDirectory.student_id = {student!r}\n")
    return path


def environment(**variables: str) -> dict[str, str]:
    """This process's environment with .venv/bin first on PATH (nbgrader runs `alembic` from
    it) and ``variables`` set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "JPY_"))}
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "/usr/bin:/bin")])
    env.update(variables)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    """Run ``command``; its output, or AssertionError with the output if it fails."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"`{' '.join(command)}` failed in {cwd} (exit {result.returncode}):\n{output}"
    return output


def nbgrader(*args: str, cwd: Path, env: dict[str, str]) -> str:
    """``nbgrader ARGS`` with this Python, in the course folder ``cwd``."""
    return run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env)


# ---------------------------------------------------------------------------------------------
# JupyterLab servers

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class JupyterServer:
    root_dir: Path
    port: int
    token: str
    process: subprocess.Popen
    log: Path
    children: set[tuple[int, str]] = field(default_factory=set)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/lab") -> str:
        """The address of ``path`` with the token, which logs the browser in."""
        separator = "&" if "?" in path else "?"
        return f"{self.base}{path}{separator}token={self.token}"

    def get(self, path: str, timeout: float = 5) -> bytes:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (to tell it from a later process with the same id)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process below ``pid``: a Jupyter server's kernels run in
    sessions of their own, so they are not in the server's process group."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            start = process_start(child)
            if start is not None:
                found.add((child, start))
                todo.append(child)
    return found


def alive(processes: set[tuple[int, str]]) -> set[tuple[int, str]]:
    return {(pid, start) for pid, start in processes if process_start(pid) == start}


def stop(server: JupyterServer) -> None:
    """Stop the server: SIGTERM to its process group (it shuts its kernels down), then SIGKILL
    to the group and to any of its kernels still alive after a while. Only what it started."""
    process = server.process
    server.children |= descendants(process.pid)
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
    except ProcessLookupError:
        pass
    process.wait()
    deadline = time.monotonic() + 10  # orphaned kernels see their parent gone within a second or two
    while alive(server.children) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid, _ in alive(server.children):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while alive(server.children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = alive(server.children)
    assert not left, f"processes of the JupyterLab in {server.root_dir} still run: {sorted(pid for pid, _ in left)}"


@contextmanager
def jupyter_lab(root_dir: Path, env: dict[str, str], log: Path) -> Iterator[JupyterServer]:
    """JupyterLab serving ``root_dir`` (also its working folder) with ``env``; waits until it
    answers, and stops it on exit, also when the test fails."""
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
               "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = JupyterServer(root_dir, port, token, process, log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise AssertionError(f"JupyterLab in {root_dir} exited ({process.returncode}):\n{server.log_tail()}")
            try:
                server.get("/api/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"JupyterLab in {root_dir} did not answer within {SERVER_START_TIMEOUT} s:\n"
                                     f"{server.log_tail()}")
            time.sleep(0.25)
        yield server
    finally:
        stop(server)


# ---------------------------------------------------------------------------------------------
# JupyterLab in the browser

def lab_settings(config_dir: Path) -> None:
    """User settings under ``config_dir`` (JUPYTER_CONFIG_DIR): no news pop-up, no update check."""
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')


def open_lab(page, server: JupyterServer, path: str = "/lab") -> None:
    """Open JupyterLab and wait until its file browser has loaded."""
    page.goto(server.url(path))
    page.locator("#filebrowser .jp-DirListing-content").wait_for(timeout=60_000)


def log_in(page, server: JupyterServer) -> None:
    """Log the browser in with the token, through a route of Jupyter's own.

    Formgrader's pages take the token too, but the login cookie that Jupyter then sets gets
    formgrader's base URL with its slash stripped (nbgrader's BaseHandler.base_url), so an
    empty path: the browser keeps it for that page's folder only, and the page's own API
    calls are redirected to /login. A cookie set through /api/status has the path /."""
    response = page.goto(server.url("/api/status"))
    assert response is not None and response.ok, f"cannot log in to {server.base}"


def open_formgrader(page, server: JupyterServer, path: str = "/formgrader") -> None:
    log_in(page, server)
    page.goto(server.base + path)

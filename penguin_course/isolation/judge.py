"""Judge the tests outside the student's kernel: the grader's side.

nbgrader (and otter-grader) run a notebook's test cells in the student's own kernel, where
the student's code can rewrite them before they run, patch the functions they call or fake
their output. Here, while grading, a test cell never enters the student's kernel. It runs in
the *judge* (``judge_process``): a process in a sandbox of its own, forked fresh for each
notebook from a zygote that has imported the tests' libraries and never runs student code.

The executor (``JudgeTests``, mixed into nbclient's or nbgrader's) sends each test cell to the
judge at its place in the notebook. When the test reads one of the student's names, or calls
one of the student's functions, the judge asks; the executor asks the student's kernel, which
writes its answer as data (``crossing``) to a file in its working folder; the executor passes
the bytes on, unread. The judge's outputs become the cell's outputs, so the graded notebook,
the scores and the feedback look as they always have.

Files the student's code wrote (a saved model) are copied into the judge's working folder
before each test cell, as data: the judge's imports never look there.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import multiprocessing.util
import os
import secrets
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from nbclient.exceptions import CellTimeoutError
from nbclient.util import ensure_async, run_hook, run_sync
from nbgrader.utils import is_grade, is_solution

from penguin_course.isolation import crossing, judge_process
from penguin_course.isolation.kept_answers import NotebookAnswers
from penguin_course.isolation.sandbox import SANDBOX_UID_BASE, Limits, Sandbox, namespace_members
from penguin_course.isolation.sandbox import cpu_seconds as sandbox_cpu_seconds

KERNEL_MODULE = crossing.KERNEL_MODULE
bootstrap_code = crossing.bootstrap_code
REPLY_LIMIT = crossing.MAX_BYTES + 2**20
MAX_FILES = 200  # of the student's, copied for the judge
PACKAGE = Path(judge_process.__file__).parents[1]  # penguin_course/, mounted read-only in the judge's sandbox


class JudgeFailed(RuntimeError):
    """The judge died or stopped answering: the notebook is recorded as for a kernel that dies."""


def is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def judge_argv(package: Path, given: Path, socket_path: Path, modules: list[str]) -> list[str]:
    """The judge's zygote, run from the course's ``package`` folder (as the judge sees it) by its file
    path, so that `ps` shows what runs: isolated mode (no environment variables, no current folder
    on sys.path); it puts the package and the given files (the tests' helpers) ahead of the libraries."""
    program = package / Path(judge_process.__file__).relative_to(PACKAGE)
    return [sys.executable, "-I", str(program), str(socket_path), str(given), *modules]


class JudgeSandbox(Sandbox):
    """The judge's own sandbox: another user than any kernel's, the course's package read-only."""

    uid_base = SANDBOX_UID_BASE + 2**22  # above any pid: never a kernel sandbox's uid

    def read_only(self) -> dict[Path, Path]:
        return {**self.given_files(), PACKAGE: self.scratch / "lib" / "penguin_course"}

    def zygote_argv(self) -> list[str]:
        (self.scratch / "lib" / "penguin_course").mkdir(parents=True, exist_ok=True)
        return judge_argv(self.scratch / "lib" / "penguin_course", self.given, self.runtime / "judge", self.warm_modules)


def die_with_parent() -> None:
    """In the unsandboxed judge's child: end when the grader ends (bwrap does this when sandboxed)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Judge:
    """A judge zygote for one assignment's tests, in its sandbox unless ``sandboxed`` is False; or,
    in a grading worker, the grading run's (``shared_with_workers``, ``adopt``)."""

    def __init__(self, given: list[Path], modules: list[str], sandboxed: bool = True,
                 env: dict[str, str] | None = None, limits: Limits = Limits()):
        self.given_files, self.modules, self.sandboxed = list(given), list(modules), sandboxed
        self.env, self.limits = env or {}, limits
        self.sandbox: JudgeSandbox | None = None
        self.process: subprocess.Popen | None = None
        self.scratch: Path | None = None
        self.start_seconds = 0.0
        self.launched_at = 0.0
        self.up = False  # its zygote listens
        # the grading run's judge (``shared_with_workers``), used while it lives instead of one of
        # this process's own; its bwrap (or unsandboxed zygote) as a pidfd, its PID namespace
        self.run_judge: dict | None = None
        self.run_judge_pidfd = -1
        self.run_judge_namespace = ""

    def start(self) -> None:
        """Start the zygote and wait until it listens."""
        self.launch()
        self.ready()

    def launch(self) -> None:
        """Start the zygote, which imports the libraries while the caller goes on (``ready`` waits)."""
        self.launched_at = time.monotonic()
        try:
            if self.run_judge is not None:
                self.use_run_judge()
            else:
                self.launch_zygote()
        except BaseException:  # nothing half-started stays: the next ``ready`` starts afresh
            self.close()
            raise

    def launched(self) -> bool:
        return self.sandbox is not None or self.process is not None or self.run_judge_pidfd >= 0

    def launch_zygote(self) -> None:
        if self.sandboxed:
            self.sandbox = JudgeSandbox(self.limits, self.env, self.given_files, self.modules)
            self.sandbox.launch()
            self.socket_path, self.workdir = self.sandbox.runtime / "judge", self.sandbox.workdir
            self.given = {path.name for path in self.sandbox.given.iterdir()}
        else:
            self.scratch = Path(tempfile.mkdtemp(prefix="penguin-judge-"))
            given, self.workdir = self.scratch / "given", self.scratch / "work"
            for folder in (given, self.workdir):
                folder.mkdir()
                for path in self.given_files:
                    shutil.copy(path, folder / path.name)
            self.given = {path.name for path in self.given_files}
            self.socket_path = self.scratch / "judge"
            argv = judge_argv(PACKAGE, given, self.socket_path, self.modules)
            self.process = subprocess.Popen(argv, cwd=self.scratch, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            env={**os.environ, **self.env}, preexec_fn=die_with_parent)

    def wait_zygote(self) -> None:
        if self.sandbox is not None:
            self.sandbox.wait_ready()
        elif self.process is not None:
            if not self.process.stdout.readline():
                raise JudgeFailed(f"the judge did not start (exit code {self.process.wait()})")
        else:
            self.wait_run_judge()

    def ready(self) -> None:
        """Start the zygote unless it runs, and wait until it listens."""
        if not self.launched():
            self.launch()
        if not self.up:
            try:
                self.wait_zygote()
            except BaseException:
                self.close()
                raise
            self.up = True
            self.start_seconds = time.monotonic() - self.launched_at

    def shared_with_workers(self) -> dict:
        """What a grading worker needs to use this judge, launched: its zygote forks each worker's
        judges as it forks one worker's, and each worker shares files with them in a working
        folder of its own (``adopt``)."""
        scratch = self.sandbox.scratch if self.sandbox is not None else self.scratch
        return {"socket": str(self.socket_path), "scratch": str(scratch),
                "given": str(self.sandbox.given if self.sandbox is not None else scratch / "given"),
                "uid": self.sandbox.uid if self.sandbox is not None else None,
                "pid": (self.sandbox.zygote if self.sandbox is not None else self.process).pid}

    def adopt(self, run_judge: dict) -> None:
        """Use the grading run's judge (``shared_with_workers``) while it lives; if it ends, start one's own."""
        self.close()
        self.run_judge = run_judge

    def use_run_judge(self) -> None:
        shared = self.run_judge
        try:
            self.run_judge_pidfd = os.pidfd_open(shared["pid"])
        except ProcessLookupError:
            self.run_judge = None  # it has ended: one's own
            self.launch_zygote()
            return
        self.socket_path, given = Path(shared["socket"]), Path(shared["given"])
        self.workdir = Path(tempfile.mkdtemp(prefix="work-", dir=shared["scratch"]))  # the worker's own
        self.given = {path.name for path in given.iterdir()}
        for name in self.given:
            shutil.copy(given / name, self.workdir / name)
            os.chmod(self.workdir / name, 0o444)
        if shared["uid"] is not None and os.geteuid() == 0:
            os.chown(self.workdir, shared["uid"], shared["uid"])  # the judges write there (a test's files)

    def wait_run_judge(self) -> None:
        """Wait until the grading run's judge listens (it marks it with a file beside its socket)."""
        deadline = time.monotonic() + 600
        while not Path(f"{self.socket_path}.ready").exists():
            if select.select([self.run_judge_pidfd], [], [], 0.05)[0] or time.monotonic() > deadline:
                self.close()  # it has ended (readable pidfd): this process's own, from now on
                self.launch()
                self.wait_zygote()
                return
        if self.run_judge["uid"] is not None:  # sandboxed: its PID namespace, to find a judge's pid here
            pid = self.run_judge["pid"]
            init = int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])
            self.run_judge_namespace = os.readlink(f"/proc/{init}/ns/pid")

    def open(self, deadline: float) -> JudgeSession:
        """A fresh judge for one notebook (the zygote started again if it has gone)."""
        self.ready()
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(self.socket_path))
        except OSError:  # the zygote died (killed, out of memory): a new one, once, of this process's own
            self.close()
            self.ready()
            connection.connect(str(self.socket_path))
        session = JudgeSession(self, connection)
        ready, _ = session.receive(deadline)
        session.pid = ready["pid"]
        return session

    def outer_pids(self, pid: int) -> list[int]:
        """The judge whose pid (as its sandbox sees it) is ``pid``, as pids here."""
        namespace = self.sandbox.namespace if self.sandbox is not None else self.run_judge_namespace
        if namespace:
            return [outer for outer, inner in namespace_members(namespace).items() if inner == pid]
        return [pid]

    def kill(self, pid: int) -> None:
        """Kill the judge whose pid (as its sandbox sees it) is ``pid``."""
        for outer in self.outer_pids(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(outer, signal.SIGKILL)

    def close(self) -> None:
        """Stop this process's zygote; leave the grading run's, and use it no more."""
        self.up = False
        if self.run_judge_pidfd >= 0:
            os.close(self.run_judge_pidfd)
            self.run_judge_pidfd = -1
        self.run_judge, self.run_judge_namespace = None, ""
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


_shared: dict[tuple, Judge] = {}


def shared(given: list[Path], modules: list[str], sandboxed: bool, env: dict[str, str]) -> Judge:
    """The judge of this process for these tests: its zygote starts once (it imports TensorFlow)
    and forks a fresh judge for every notebook of every student this process grades."""
    key = (tuple(given), tuple(modules), sandboxed, tuple(sorted(env.items())))
    if key not in _shared:
        _shared[key] = judge = Judge(given, modules, sandboxed, env)
        atexit.register(judge.close)
        multiprocessing.util.Finalize(judge, judge.close, exitpriority=10)  # a pool worker skips atexit
    return _shared[key]


class JudgeSession:
    """The conversation with one notebook's judge."""

    def __init__(self, judge: Judge, connection: socket.socket):
        self.judge, self.connection = judge, connection
        self.file = connection.makefile("rwb")
        self.pid = 0

    def send(self, message: dict, payload: bytes = b"") -> None:
        if payload:
            message = {**message, "size": len(payload)}
        try:
            self.file.write(json.dumps(message).encode() + b"\n" + payload)
            self.file.flush()
        except OSError as error:
            raise JudgeFailed(f"the judge stopped listening ({error})") from None

    def receive(self, deadline: float) -> tuple[dict, bytes]:
        self.connection.settimeout(max(0.5, deadline - time.monotonic()))
        try:
            line = self.file.readline(judge_process.MAX_LINE * 64)
            message = json.loads(line) if line else None
            size = message.get("size", 0) if message else 0
            payload = self.file.read(size) if size else b""
        except TimeoutError:
            raise CellTimeoutError("the notebook ran past its time limit while a test was being judged") from None
        except (OSError, ValueError) as error:
            raise JudgeFailed(f"the judge failed ({error})") from None
        if message is None or len(payload) != size:
            raise JudgeFailed("the judge died")
        return message, payload

    def close(self) -> None:
        with contextlib.suppress(OSError, JudgeFailed):
            self.send({"op": "end"})
        with contextlib.suppress(OSError):
            self.file.close()
            self.connection.close()
        if self.pid:
            self.judge.kill(self.pid)  # if it has not ended yet


def open_folder(folder: Path) -> int:
    """A descriptor of the kernel's folder, not of what a link put in its place: the files in it
    are then opened relative to it, never through a path the student's code could redirect."""
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def read_file(folder: int, name: str, limit: int) -> bytes | None:
    """The bytes of ``name`` in ``folder`` if it is a plain file of at most ``limit`` bytes: the
    student's code could leave a link to a file of the grader's there, or a pipe."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        return file.read(limit + 1)


def write_new(folder: int, name: str, data: bytes) -> None:
    """Create ``name`` in ``folder`` (never following or reusing what is there), readable by the kernel's user."""
    descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def copy_files(source: int, destination: Path, skip: set[str], budget: list[int], depth: int = 0) -> None:
    """Plain files and folders of the folder open as ``source`` (the student's) into ``destination``,
    within ``budget`` ([files, bytes] left): no links, pipes or devices."""
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if entry.name in skip or entry.name.startswith(".judge-") or entry.name.endswith(".ipynb"):
            continue
        if entry.is_dir(follow_symlinks=False) and depth < 4:
            try:
                folder = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=source)
            except OSError:
                continue
            try:
                (destination / entry.name).mkdir(exist_ok=True)
                copy_files(folder, destination / entry.name, set(), budget, depth + 1)
            finally:
                os.close(folder)
        elif entry.is_file(follow_symlinks=False) and budget[0] > 0:
            data = read_file(source, entry.name, budget[1])
            if data is None or len(data) > budget[1]:
                continue
            budget[0] -= 1
            budget[1] -= len(data)
            (destination / entry.name).write_bytes(data)


def test_sources(notebook) -> dict[str, str]:
    """grade id -> code of the notebook's test cells (of a source/ notebook: the instructor's)."""
    return {cell.metadata.nbgrader.grade_id: cell.source for cell in notebook.cells if is_test_cell(cell)}


class JudgeTests:
    """Mixed into an nbclient executor: test cells run in ``judge`` (None: in the kernel, as usual).

    ``tests`` (grade id -> code, from source/) says which cells are tests and what they run: a
    cell that a student marked as a test of their own is their code, and runs in their kernel.
    None trusts the notebook's own test cells (the course's tests of its own notebooks)."""

    judge: Judge | None = None
    tests: dict[str, str] | None = None
    # Where the kernel is (see ``kept_answers``): how many kernel cells have run, and how many calls
    # of the student's functions the tests made since; and, if kept, what the judge received.
    place = calls_here = 0
    answers: NotebookAnswers | None = None
    # make bench only: the CPU each cell costs the kernel (in ``sandbox``) and the judge, in its
    # timing metadata (finding the processes scans /proc: not for every grading)
    measure_cpu = False
    sandbox = None

    def cpu_of_kernel(self) -> float | None:
        if not (self.measure_cpu and self.record_timing and self.sandbox is not None):
            return None
        if getattr(self, "kernel_pids", None) is None:  # the notebook's kernel, found once
            self.kernel_pids = self.sandbox.kernel_pids()
        return sandbox_cpu_seconds(self.kernel_pids)

    def cpu_of_judge(self) -> float | None:
        session = getattr(self, "judge_session", None)
        if not (self.measure_cpu and self.record_timing) or session is None:
            return None
        if getattr(self, "judge_pids", None) is None:
            self.judge_pids = self.judge.outer_pids(session.pid)
        return sandbox_cpu_seconds(self.judge_pids)

    def judged_source(self, cell) -> str | None:
        if self.judge is None or not is_test_cell(cell):
            return None
        grade_id = cell.metadata.nbgrader.grade_id
        return cell.source if self.tests is None else self.tests.get(grade_id)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        source = self.judged_source(cell)
        kernel_before = self.cpu_of_kernel()
        if source is None:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if cell.cell_type == "code":
                self.place, self.calls_here = self.place + 1, 0
                if kernel_before is not None:
                    # nbformat's schema: timing metadata are strings
                    cell["metadata"].setdefault("execution", {})["cpu.kernel"] = \
                        f"{self.cpu_of_kernel() - kernel_before:.2f}"
            return cell
        await run_hook(self.on_cell_start, cell=cell, cell_index=cell_index)
        started, self.kernel_seconds = datetime.now(timezone.utc), 0.0
        cell.outputs = []
        deadline = time.monotonic() + (self._get_timeout(cell) or 10**6)
        session = getattr(self, "judge_session", None)
        if session is None:
            session = self.judge_session = self.judge.open(deadline)
        self.share_files()
        judge_before = self.cpu_of_judge()
        session.send({"op": "run", "source": source, "name": cell.metadata.nbgrader.grade_id,
                      "cwd": str(self.judge.workdir)})
        while True:
            message, payload = session.receive(deadline)
            if message["op"] == "done":
                break
            reply, data = await self.ask_kernel(cell, message, payload)
            if self.answers is not None:
                self.answers.keep(self.place, self.calls_here, message, payload, reply, data)
            if message.get("op") == "call":
                self.calls_here += 1
            session.send(reply, data)
        cell.outputs = [nbformat.from_dict(output) for output in message["outputs"]]
        if self.record_timing:  # for make bench: the judge's time, and the kernel's answering in it
            cell["metadata"]["execution"] = {"judge.started": started.isoformat(),
                                             "judge.finished": datetime.now(timezone.utc).isoformat(),
                                             "judge.kernel_seconds": f"{self.kernel_seconds:.4f}"}
            if kernel_before is not None and judge_before is not None:
                cell["metadata"]["execution"].update({"cpu.kernel": f"{self.cpu_of_kernel() - kernel_before:.2f}",
                                                      "cpu.judge": f"{self.cpu_of_judge() - judge_before:.2f}"})
        return cell

    # nbclient binds its synchronous execute_cell to its own async_execute_cell, and nbconvert's
    # ExecutePreprocessor (nbgrader's Execute) calls execute_cell: bind it to this one.
    execute_cell = run_sync(async_execute_cell)

    def end_judging(self) -> None:
        session = getattr(self, "judge_session", None)
        if session is not None:
            session.close()
            self.judge_session = None

    def kernel_folder(self) -> Path:
        return Path(self.resources.get("metadata", {}).get("path") or ".")

    def clear_workdir(self) -> Path:
        """The judge's working folder, with only the given files left in it."""
        workdir = self.judge.workdir
        for entry in workdir.iterdir():
            if entry.name not in self.judge.given:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        return workdir

    def share_files(self) -> None:
        """The judge's working folder: the given files, and the student's as they are now."""
        workdir = self.clear_workdir()
        folder = open_folder(self.kernel_folder())
        try:
            copy_files(folder, workdir, self.judge.given, [MAX_FILES, crossing.MAX_BYTES])
        finally:
            os.close(folder)
        if self.answers is not None:
            self.answers.keep_files(self.place, self.calls_here, workdir, self.judge.given)

    async def run_silently(self, cell, code: str) -> None:
        message_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False,
                                                        stop_on_error=False))
        await self.async_wait_for_reply(message_id, cell)

    async def ask_kernel(self, cell, message: dict, payload: bytes) -> tuple[dict, bytes]:
        """The kernel's answer to the judge's question (the value of a name, the result of a call)."""
        name = str(message.get("name", ""))[:200]
        if message.get("op") not in ("fetch", "call"):
            raise JudgeFailed(f"the judge asked something it may not ({message.get('op')!r})")
        token = secrets.token_hex(8)
        folder, out, args = self.kernel_folder(), f".judge-{token}.reply", f".judge-{token}.args"
        request = {"op": message["op"], "name": name, "out": str(folder / out)}
        if not getattr(self, "kernel_primed", False):
            await self.run_silently(cell, bootstrap_code())
            self.kernel_primed = True
        descriptor = open_folder(folder)
        asked = time.monotonic()
        try:
            if message["op"] == "call":
                request["handle"], request["args"] = int(message["handle"]), str(folder / args)
                write_new(descriptor, args, payload)
            await self.run_silently(cell, f"__import__('sys').modules[{KERNEL_MODULE!r}].answer({json.dumps(request)!r})")
            data = read_file(descriptor, out, REPLY_LIMIT)
        finally:
            self.kernel_seconds += time.monotonic() - asked
            for name_in_folder in (out, args):
                with contextlib.suppress(OSError):
                    os.unlink(name_in_folder, dir_fd=descriptor)
            os.close(descriptor)
        status, _, rest = (data or b"").partition(b"\n")
        try:
            status = json.loads(status)
            kind = status["status"]
        except (ValueError, KeyError, TypeError):
            what = f"{name}()" if message["op"] == "call" else name
            return {"op": "refused", "message": f"the kernel gave no answer for {what}"}, b""
        if kind == "value":
            return {"op": "value"}, rest
        if kind in ("missing", "refused", "raised"):
            return {"op": kind, "message": str(status.get("message", ""))[:2000]}, b""
        return {"op": "refused", "message": f"the kernel gave no answer for {name}"}, b""

"""Run a student's kernel in a sandbox: bubblewrap (Linux namespaces) plus resource limits.

nbgrader runs student code with all the grader's rights: it could rewrite source/, the
gradebook or another student's results, read the hidden tests, print CI's secrets. Here
each student's kernel starts inside ``bwrap`` and sees only:

- the system's programs and libraries, Python and the course's virtual environment, read-only;
- one scratch folder of its own (a copy of the assignment's files), read-write;
- a private /tmp, /proc and /dev, no network (loopback only), a clean environment.

It runs as an unprivileged user with limits on memory, processes and file size. The
kernel talks to the grader over ZeroMQ's ``ipc`` transport (Unix sockets in the
scratch folder), as TCP cannot cross the network namespace.

Why not a separate user alone: it would still see every file readable by others.
Why not Docker: not installed on every runner, and it needs a daemon with root rights.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from queue import Empty

from jupyter_client import AsyncKernelClient, AsyncKernelManager
from traitlets import Float

from penguin_course.isolation import warm_kernel

INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: sudo apt install bubblewrap; Fedora: sudo dnf install bubblewrap), "
                "or grade without a sandbox with SANDBOX=off (make) or --no-sandbox: student code then runs "
                "with all your rights")
# A uid no account uses, one per grading worker, so that the process limit of one
# student's kernel does not count another's (Linux counts processes per user).
SANDBOX_UID_BASE = 1_900_000_000
WARM_KERNEL = Path(warm_kernel.__file__).resolve()  # the zygote's program, and its launcher's
# Files of /etc that programs in the sandbox read: the dynamic linker's cache, time zone, fonts, users.
ETC_FILES = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "passwd", "group",
             "nsswitch.conf", "mime.types"]


def process_statuses() -> dict[int, dict[str, str]]:
    """Every process on this machine that can still be read: pid -> the fields of /proc/<pid>/status."""
    statuses = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                status = Path(entry.path, "status").read_text()
            except OSError:  # it ended meanwhile
                continue
            statuses[int(entry.name)] = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return statuses


def namespace_members(namespace: str) -> dict[int, int]:
    """The processes in PID namespace ``namespace``: their pid here and their pid inside."""
    members = {}
    for pid, fields in process_statuses().items():
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != namespace:
                continue
        except OSError:
            continue
        members[pid] = int(fields["NSpid"].split()[-1])
    return members


def kill_bwrap(process: subprocess.Popen) -> None:
    """Kill a bwrap ``process`` and the sandbox it started. --die-with-parent takes the sandbox
    with it, but only once bwrap has set it up: killed before, its child would wait forever."""
    pidfds = []
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split():
            with contextlib.suppress(OSError):
                pidfds.append(os.pidfd_open(int(child)))
    process.kill()
    process.wait()
    for pidfd in pidfds:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        os.close(pidfd)


def empty(folder: Path, keep: set[str] = frozenset()) -> None:
    """Remove what ``folder`` holds, but the entries named in ``keep``."""
    for path in folder.iterdir():
        if path.name not in keep:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def stopped_state(pid: int) -> bool:
    """Whether process ``pid`` is stopped (or gone): it can fork no more."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in "TtZX"


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user and system, all threads, and their children that ended) of the processes
    ``pids`` so far; one that has gone counts 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def processes_of(uid: int) -> list[int]:
    """The processes whose real user is ``uid`` (zombies too: they count against its limit until reaped)."""
    return [pid for pid, fields in process_statuses().items() if int(fields["Uid"].split()[0]) == uid]


class SandboxUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 6 * 2**30  # address space per process: a TensorFlow kernel needs ~3 GiB
    processes: int = 256  # processes and threads of the sandbox's user: TensorFlow starts ~60
    file_bytes: int = 2**30  # largest file it may write
    tmp_bytes: int = 512 * 2**20  # its private /tmp lives in memory


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def folders_above(path: str, made: set[str]) -> list[str]:
    """bwrap arguments making the folders above mount point ``path`` that are not ``made`` yet, open
    to the sandbox's user (bwrap would make them private, 0700)."""
    args = []
    for parent in reversed(Path(path).parents[:-1]):
        if str(parent) not in made:
            args += ["--perms", "0755", "--dir", str(parent)]
            made.add(str(parent))
    return args


def system_binds(made: set[str]) -> list[str]:
    """Read-only views of the system: /usr (with /bin, /lib… as on this machine), the /etc files
    programs need, Python and the virtual environment the grader runs in."""
    args = ["--ro-bind", "/usr", "/usr", "--perms", "0755", "--dir", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for prefix in sorted({os.path.realpath(sys.base_prefix), sys.base_prefix, sys.prefix}):
        if not prefix.startswith("/usr/"):
            args += folders_above(prefix, made) + ["--ro-bind", prefix, prefix]
    return args


def kernel_environment(home: Path, extra: dict[str, str]) -> dict[str, str]:
    """All the kernel sees of environment variables: nothing of the grader's (tokens, CI secrets)."""
    return {"PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
            "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1", **extra}


def matplotlib_font_cache() -> list[Path]:
    """The grader's matplotlib font list: without it each kernel spends seconds rebuilding it."""
    import matplotlib

    cache = Path(matplotlib.get_cachedir())
    if not list(cache.glob("fontlist-*.json")):
        import matplotlib.font_manager  # noqa: F401  builds it
    return list(cache.glob("fontlist-*.json"))


def command(scratch: Path, workdir: Path, kernel_argv: list[str], env: dict[str, str],
            limits: Limits, uid: int, read_only: dict[Path, Path] | None = None, template: bool = False) -> list[str]:
    """The command line that runs ``kernel_argv`` sandboxed, with ``workdir`` as its cwd, and
    ``read_only``'s files (of the scratch folder) at their destinations, unchangeable. A ``template``
    (as root only) stays the sandbox's root, with the capabilities to change user and no limits:
    each student's zygote it forks drops them (``warm_kernel.isolate``)."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}")
    as_root = os.geteuid() == 0
    args = [bwrap, "--die-with-parent", "--new-session",
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if as_root:
        # No user namespace: the kernel must be a real unprivileged user for the process
        # limit to hold (root's processes are never counted). setpriv drops to it inside.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user"]
    # /tmp first: a virtual environment or scratch folder under /tmp is mounted on top of it
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    made = {"/tmp", "/usr", "/etc"}
    args += system_binds(made)
    args += folders_above(str(scratch), made) + ["--bind", str(scratch), str(scratch)]
    for source, destination in (read_only or {}).items():
        args += ["--ro-bind", str(source), str(destination)]
    args += ["--chdir", str(workdir),
             "--hostname", "sandbox", "--clearenv"]
    for name, value in kernel_environment(scratch / "home", env).items():
        args += ["--setenv", name, value]
    args.append("--")
    if template:
        return args + kernel_argv
    if as_root:
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    # Limits are set inside the sandbox: set outside, a user namespace would count every
    # process of the grader's user against them.
    args += ["prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.processes}",
             f"--fsize={limits.file_bytes}", "--core=0", "--"]
    return args + kernel_argv


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's kernel client, without the idle wait at the end of ``wait_for_ready``:
    once the kernel has answered kernel_info on both channels, jupyter_client reads IOPub until
    0.2 s pass without a message, which is 0.2 s of every notebook spent waiting. nbclient ignores
    the messages that do not answer its own requests (the rest of kernel_info's status), so none
    needs reading first. The loop is jupyter_client's own otherwise."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if reply["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once the request's status comes on it
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(reply)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


class DisposableKernelManager(AsyncKernelManager):
    """A kernel manager for kernels that run one notebook and are thrown away."""

    # jupyter_client interrupts a kernel before asking it to shut down. An idle kernel has no
    # use for it, and one that has just replied may not yet ignore SIGINT again: it then logs
    # "KeyboardInterrupt caught in kernel" on the grader's terminal. A kernel still busy (its
    # cell ran past the time limit) is killed once it has not ended within shutdown_wait_time.
    shutdown_wait_time = Float(2.0)

    async def _async_interrupt_kernel(self):
        if not self.shutting_down:
            await super()._async_interrupt_kernel()

    async def _async_finish_shutdown(self, waittime=None, pollinterval=0.1, restart=False):
        # a kernel ends within milliseconds of its shutdown reply: looked for every 10 ms, not 100
        await super()._async_finish_shutdown(waittime, min(pollinterval, 0.01), restart)


class Sandbox:
    """One student's sandbox: a scratch folder, and a zygote that forks each notebook's kernel.

    The sandbox starts once per student (with the zygote, which imports ``warm_modules``);
    each notebook then runs in a kernel forked from the zygote, in the working folder
    refilled for it, with a home of its own, after every process of the notebook before
    it has ended. The assignment's ``given`` files (the dataset, the test helpers) are in
    the working folder read-only.
    """

    uid_base = SANDBOX_UID_BASE
    # The other uid of a grading process's kernels (see Spares): above the judge's.
    second_uid_offset = 2**23

    def __init__(self, limits: Limits = Limits(), env: dict[str, str] | None = None,
                 given: list[Path] = (), warm_modules: list[str] = (), second_uid: bool = False):
        self.limits = limits
        self.env = env or {}
        self.warm_modules = list(warm_modules)
        self.uid = self.uid_base + os.getpid() + (self.second_uid_offset if second_uid else 0)
        self.scratch = self.new_scratch()
        self.runtime = self.make("runtime")
        self.workdir = self.make("work")
        self.home = self.scratch / "home"
        self.given = self.scratch / "given"
        self.given.mkdir()
        for path in given:
            shutil.copy(path, self.given / path.name)
            os.chmod(self.given / path.name, 0o444)
            (self.workdir / path.name).touch()  # where bwrap mounts it
        self.notebooks = 0
        self.start_seconds = 0.0
        self.zygote: subprocess.Popen | None = None
        self.namespace = ""  # the zygote's PID namespace
        self.init = self.zygote_here = 0  # the namespace's init and the zygote, as pids here
        self.launchers: list[subprocess.Popen] = []  # what jupyter_client started for each kernel

    def new_scratch(self) -> Path:
        scratch = Path(tempfile.mkdtemp(prefix="penguin-sandbox-"))
        os.chmod(scratch, 0o755)
        return scratch

    def make(self, name: str) -> Path:
        folder = self.scratch / name
        folder.mkdir()
        self.give(folder)
        return folder

    def give(self, path: Path) -> None:
        """Make ``path`` (in the scratch folder) the sandbox user's, so its kernel can write there."""
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.uid)
            for folder, _, files in os.walk(path):
                os.chown(folder, self.uid, self.uid)
                for name in files:
                    os.chown(os.path.join(folder, name), self.uid, self.uid)

    def given_files(self) -> dict[Path, Path]:
        """The given files, mounted read-only in the working folder."""
        return {self.given / path.name: self.workdir / path.name for path in self.given.iterdir()}

    def read_only(self) -> dict[Path, Path]:
        """The given files, and the zygote's program: what the sandbox sees but cannot change."""
        return {**self.given_files(), WARM_KERNEL: self.program}

    def fresh_home(self) -> None:
        """An empty home folder, but for matplotlib's font list (rebuilding it takes seconds)."""
        # emptied, not replaced: a template's zygote has this very folder mounted as its home
        empty(self.home) if self.home.exists() else self.home.mkdir()
        cache = self.home / ".cache" / "matplotlib"
        cache.mkdir(parents=True)
        for path in matplotlib_font_cache():
            shutil.copy(path, cache / path.name)
        self.give(self.home)

    @property
    def program(self) -> Path:
        """Where the sandbox sees ``warm_kernel``'s file: run by its path, so that `ps` shows what runs."""
        return self.scratch / "lib" / WARM_KERNEL.name

    def zygote_argv(self) -> list[str]:
        """The program that starts in the sandbox, prints {"ready": pid} and forks on request."""
        self.program.parent.mkdir(exist_ok=True)
        self.program.touch()  # where bwrap mounts it
        return [sys.executable, str(self.program), "serve", str(self.runtime / "zygote"), *self.warm_modules]

    def start(self) -> None:
        """Start the sandbox and its zygote; return once the zygote has imported its modules."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the sandbox and its zygote, which goes on importing its modules in the background."""
        self.fresh_home()
        argv = command(self.scratch, self.scratch, self.zygote_argv(), self.env, self.limits, self.uid,
                       self.read_only())
        self.zygote = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)

    def wait_ready(self) -> None:
        """Wait until the zygote has imported its modules (``start_seconds``: how long that was waited for)."""
        started = time.monotonic()
        ready, _, _ = select.select([self.zygote.stdout], [], [], 600)
        line = self.zygote.stdout.readline() if ready else b""
        if not line:
            raise SandboxUnavailable(f"the sandbox did not start (bwrap exit code {self.zygote.poll()})")
        init = int(Path(f"/proc/{self.zygote.pid}/task/{self.zygote.pid}/children").read_text().split()[0])
        self.found(json.loads(line)["ready"], os.readlink(f"/proc/{init}/ns/pid"), init, started)

    def found(self, zygote_pid: int, namespace: str, init: int, started: float) -> None:
        """The zygote is ready: ``zygote_pid`` as seen in PID namespace ``namespace``, whose init is ``init`` here."""
        self.zygote_pid, self.namespace, self.init = zygote_pid, namespace, init
        self.zygote_here = next((pid for pid, inside in namespace_members(self.namespace).items()
                                 if inside == self.zygote_pid), 0)
        self.start_seconds = time.monotonic() - started

    def launched(self) -> bool:
        return self.zygote is not None

    def ready(self) -> None:
        """Start the sandbox, or wait for it if it was launched ahead, until its zygote is ready."""
        if not self.launched():
            self.launch()
        if not self.namespace:
            self.wait_ready()

    def fill(self, files_from: Path) -> Path:
        """The working folder, emptied of the last notebook's files and processes and refilled
        with ``files_from``'s files (but notebooks) around the given ones; its path."""
        self.end_kernels()
        if self.namespace:
            self.fresh_home()
        else:
            self.ready()
        given = {path.name for path in self.given.iterdir()}
        empty(self.workdir, keep=given)
        for path in files_from.iterdir():
            if path.name not in given and path.suffix != ".ipynb" and path.is_file():
                shutil.copy2(path, self.workdir / path.name)
        self.give(self.workdir)
        self.notebooks += 1
        return self.workdir

    def kernel_pids(self) -> list[int]:
        """The processes of this sandbox but its zygote and init (the kernel, and what it started), as pids here."""
        if not self.namespace:
            return []
        return [pid for pid, inside in namespace_members(self.namespace).items() if inside not in (1, self.zygote_pid)]

    def unreaped(self) -> list[int]:
        """Processes of this sandbox that ended but that its init has not reaped yet (as pids here):
        they still count against the process limit, but have left the namespace's listing."""
        try:
            children = Path(f"/proc/{self.init}/task/{self.init}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children if int(pid) != self.zygote_here]

    def end_kernels(self) -> None:
        """Wait until the kernels started here, and every process they started, are gone.

        nbclient returns once the kernel has said goodbye, which can be before it has exited;
        and what it forked (a fork bomb, say) lives on unless killed: it would still count
        against the next kernel's process limit. Only the zygote is left.
        """
        for launcher in self.launchers:
            try:
                launcher.wait(timeout=10)
            except subprocess.TimeoutExpired:
                launcher.kill()  # the zygote kills the kernel when its launcher goes
                launcher.wait()
        self.launchers.clear()
        if not self.namespace:
            return
        # Killing a fork bomb one listing at a time can lose the race: every kill frees a slot
        # under the process limit that a survivor forks into. Stopped processes cannot fork, so
        # first stop all of them until a listing finds none running, then kill them.
        deadline = time.monotonic() + 30
        stopped: dict[int, int] = {}  # pid -> pidfd: a pid can be reused once its process is reaped
        try:
            while time.monotonic() < deadline:
                fresh = [pid for pid in self.kernel_pids() if pid not in stopped]
                if not fresh and all(stopped_state(pid) for pid in stopped):
                    break
                for pid in fresh:
                    if (pidfd := self.member_pidfd(pid)) is not None:
                        stopped[pid] = pidfd
                        with contextlib.suppress(ProcessLookupError):
                            signal.pidfd_send_signal(pidfd, signal.SIGSTOP)
            for pidfd in stopped.values():
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        finally:
            for pidfd in stopped.values():
                os.close(pidfd)
        while (left := self.kernel_pids() + self.unreaped()) and time.monotonic() < deadline:
            for pid in self.kernel_pids():
                if (pidfd := self.member_pidfd(pid)) is not None:
                    with contextlib.suppress(ProcessLookupError):
                        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                    os.close(pidfd)
            time.sleep(0.02)
        if left:
            raise SandboxUnavailable(f"{len(left)} processes of the last notebook would not end: "
                                     "the sandbox cannot serve another notebook")

    def member_pidfd(self, pid: int) -> int | None:
        """A pidfd of process ``pid`` if it is (still) in this sandbox, else None."""
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            return None
        # checked once the pidfd holds the process: its pid cannot have been reused since
        if self.owns(pid):
            return pidfd
        os.close(pidfd)
        return None

    def owns(self, pid: int) -> bool:
        try:
            return os.readlink(f"/proc/{pid}/ns/pid") == self.namespace
        except OSError:
            return False

    def alive(self) -> bool:
        """Whether the zygote was started and still runs."""
        return self.zygote is not None and self.zygote.poll() is None

    def kill_zygote(self) -> None:
        """Kill the zygote, and wait until it is gone (the sandbox is then no use)."""
        kill_bwrap(self.zygote)

    def kernel_manager_class(self) -> type[DisposableKernelManager]:
        """A kernel manager class whose kernels the zygote forks (nbclient wants a class)."""
        sandbox = self

        class SandboxedKernelManager(DisposableKernelManager):
            def __init__(self, **kwargs):
                name = f"kernel-{sandbox.notebooks}"
                super().__init__(transport="ipc", ip=str(sandbox.runtime / name),
                                 connection_file=str(sandbox.runtime / f"{name}.json"),
                                 client_class=f"{__name__}.{PromptKernelClient.__name__}", **kwargs)

            def write_connection_file(self, **kwargs):
                super().write_connection_file(**kwargs)
                sandbox.give(Path(self.connection_file))  # written private to the grader's user

            async def _async_launch_kernel(self, kernel_cmd, **kw):
                await super()._async_launch_kernel(kernel_cmd, **kw)
                sandbox.launchers.append(self.provisioner.process)

            def format_kernel_cmd(self, extra_arguments=None):
                argv = super().format_kernel_cmd(extra_arguments)
                kernel_arguments = argv[argv.index("ipykernel_launcher") + 1:]
                return [sys.executable, "-I", str(WARM_KERNEL), "launch",
                        str(sandbox.runtime / "zygote"), str(sandbox.workdir), str(sandbox.home), *kernel_arguments]

        return SandboxedKernelManager

    def close(self) -> None:
        with contextlib.suppress(SandboxUnavailable):  # killing the zygote ends its PID namespace: all of it
            self.end_kernels()
        if self.zygote is not None:
            self.kill_zygote()
            if os.geteuid() == 0:  # a sandbox of the next student's starts with this uid: wait for this one's end
                started = time.monotonic()
                while processes_of(self.uid) and time.monotonic() < started + 10:
                    time.sleep(0.02)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Template:
    """A grading process's template (as root only): one sandbox whose process imports the
    modules once and then forks each student's zygote, which walls itself off before it serves
    (``warm_kernel.isolate``). A student's sandbox then costs a fork, not seconds of imports.

    Why sharing it is safe: the template never runs student code, and takes requests only from
    the grader (its socket is in a folder of root's). Each zygote it forks becomes a user of its
    own, without capabilities, in user, mount, network, IPC and UTS namespaces of its own, with a
    fresh /tmp in which only its own scratch folder is mounted, before it runs a line of a student's:
    it can neither signal nor read the template nor another student's processes, nor see their
    files. What a student's kernels share with the template is the memory of the modules imported
    before the fork, copied on write, as kernels forked from one zygote already do.
    """

    def __init__(self, env: dict[str, str], warm_modules: list[str], limits: Limits = Limits()):
        self.folder = Path(tempfile.mkdtemp(prefix="penguin-template-"))  # the students' scratch folders, too
        os.chmod(self.folder, 0o711)
        self.home = self.folder / "home"
        cache = self.home / ".cache" / "matplotlib"
        cache.mkdir(parents=True)
        for path in matplotlib_font_cache():
            shutil.copy(path, cache / path.name)
        control = self.folder / "control"
        control.mkdir(mode=0o700)
        self.socket = control / "template"
        program = control / WARM_KERNEL.name
        program.touch()  # where bwrap mounts it
        argv = command(self.folder, self.folder, [sys.executable, str(program), "template", str(self.socket),
                                                  *warm_modules], env, limits, 0, {WARM_KERNEL: program}, template=True)
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        self.namespace = ""
        self.init = 0
        self.checked = False  # whether it has started a student's sandbox (it cannot where user namespaces are forbidden)

    def ready(self) -> None:
        """Wait until the template has imported its modules."""
        if self.namespace:
            return
        ready, _, _ = select.select([self.process.stdout], [], [], 600)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            raise SandboxUnavailable(f"the template sandbox did not start (bwrap exit code {self.process.poll()})")
        self.init = int(Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()[0])
        self.namespace = os.readlink(f"/proc/{self.init}/ns/pid")

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        kill_bwrap(self.process)  # and with it the zygotes it forked
        shutil.rmtree(self.folder, ignore_errors=True)

    def shared(self) -> dict:
        """What another process (a grading worker) needs to use this template: ``SharedTemplate``."""
        return {"folder": str(self.folder), "pid": self.process.pid}


class SharedTemplate(Template):
    """A template another process started (the grading run's, once for all its workers): used
    here as one's own, but never closed from here. Its workers' sandboxes are each their own
    user's, as the sandboxes of one worker are: sharing the template across workers is as safe as
    across the students of one worker."""

    def __init__(self, folder: str, pid: int):  # not Template.__init__, which would start another
        self.folder = Path(folder)
        self.home = self.folder / "home"
        self.socket = self.folder / "control" / "template"
        self.pid, self.pidfd = pid, os.pidfd_open(pid)  # its bwrap
        self.namespace = ""
        self.init = 0
        self.checked = False

    def ready(self) -> None:
        """Wait until the template listens (it marks it with a file beside its socket)."""
        deadline = time.monotonic() + 600
        while not self.namespace:
            if not self.alive() or time.monotonic() > deadline:
                raise SandboxUnavailable("the grading run's template sandbox did not start")
            if Path(f"{self.socket}.ready").exists():
                self.init = int(Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()[0])
                self.namespace = os.readlink(f"/proc/{self.init}/ns/pid")
            else:
                time.sleep(0.05)

    def alive(self) -> bool:
        return self.pidfd >= 0 and not select.select([self.pidfd], [], [], 0)[0]  # readable once it has ended

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


class TemplateSandbox(Sandbox):
    """A student's sandbox whose zygote a ``Template`` forks: the same walls, no imports of its own.
    The students' zygotes share the template's PID namespace: a sandbox's processes are its user's."""

    def __init__(self, template: Template, **kwargs):
        self.template = template
        self.connection: socket.socket | None = None
        super().__init__(**kwargs)

    def new_scratch(self) -> Path:
        scratch = Path(tempfile.mkdtemp(prefix="sandbox-", dir=self.template.folder))
        os.chown(scratch, self.uid, self.uid)
        return scratch

    def fresh_home(self) -> None:
        """An empty home as the template left its own after its imports (matplotlib's folders, its
        font list): the modules imported there remember those paths, where this home is mounted."""
        self.template.ready()
        empty(self.home) if self.home.exists() else self.home.mkdir()
        shutil.copytree(self.template.home, self.home, dirs_exist_ok=True)
        self.give(self.home)

    def launch(self) -> None:
        self.fresh_home()
        keep = [str(self.scratch), *sorted({os.path.realpath(sys.base_prefix), sys.base_prefix, sys.prefix})]
        request = {"uid": self.uid, "socket": str(self.runtime / "zygote"), "scratch": str(self.scratch),
                   "keep": keep, "cover": ["/tmp", str(self.template.folder)],
                   "home": str(self.home), "home_seen_as": str(self.template.home),
                   "read_only": {str(source): str(destination) for source, destination in self.given_files().items()},
                   "tmp_bytes": self.limits.tmp_bytes, "cwd": str(self.workdir),
                   "limits": {"memory_bytes": self.limits.memory_bytes, "processes": self.limits.processes,
                              "file_bytes": self.limits.file_bytes},
                   "env": kernel_environment(self.template.home, self.env)}
        self.connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.connection.connect(str(self.template.socket))
        self.connection.sendall(json.dumps(request).encode() + b"\n")

    def wait_ready(self) -> None:
        started = time.monotonic()
        ready, _, _ = select.select([self.connection], [], [], 600)
        line = self.connection.makefile("rb").readline() if ready else b""
        self.connection.close()
        reply = json.loads(line) if line else {"error": "no answer"}
        if "ready" not in reply:
            raise SandboxUnavailable(f"the template could not start a student's sandbox ({reply.get('error')})")
        self.found(reply["ready"], self.template.namespace, self.template.init, started)

    def launched(self) -> bool:
        return self.connection is not None

    def check(self) -> None:
        """Start this sandbox and close it: raise SandboxUnavailable, saying why, if the template
        cannot start a student's (before any student's depends on it)."""
        try:
            self.ready()
        finally:
            self.close()

    def kernel_pids(self) -> list[int]:
        """The processes of this sandbox's user but its zygote (ended ones too, until reaped)."""
        return [pid for pid in processes_of(self.uid) if pid != self.zygote_here] if self.namespace else []

    def unreaped(self) -> list[int]:
        return []  # among kernel_pids

    def owns(self, pid: int) -> bool:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        return int(uid_line.split()[1]) == self.uid

    def alive(self) -> bool:
        return self.connection is not None and self.template.alive() and (
            not self.namespace or (self.zygote_here != 0 and self.owns(self.zygote_here)
                                   and not stopped_state(self.zygote_here)))

    def kill_zygote(self) -> None:
        if self.connection is not None and not self.namespace:
            with contextlib.suppress(SandboxUnavailable, ValueError, OSError):
                self.wait_ready()  # launched ahead and never used: killed once it is there
        if self.zygote_here and (pidfd := self.member_pidfd(self.zygote_here)) is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)  # the template reaps it
            os.close(pidfd)
        started = time.monotonic()
        while processes_of(self.uid) and time.monotonic() < started + 10:
            time.sleep(0.02)

    def close(self) -> None:
        with contextlib.suppress(SandboxUnavailable):
            self.end_kernels()
        self.kill_zygote()
        shutil.rmtree(self.scratch, ignore_errors=True)


class Spares:
    """The next student's sandbox, started while this one's is graded: its zygote's imports (seconds
    of one core's time) then overlap the grading, where a core is often idle.

    A spare has never run student code, so it is the sandbox the next student would get anyway.
    It runs as the grading process's other uid (sandboxes alternate between two): a student's
    kernel cannot reach it, and cannot use up its process limit, which Linux counts per uid.
    """

    def __init__(self):
        self.spare: Sandbox | None = None
        self.key: tuple = ()
        self.second_uid = False
        self.templates: dict[tuple, Template] = {}  # as root: per environment and modules
        self.without_template = False

    def new(self, key: tuple) -> Sandbox:
        self.second_uid = not self.second_uid
        env, given, warm_modules = key
        settings = {"env": dict(env), "given": list(given), "warm_modules": list(warm_modules),
                    "second_uid": self.second_uid}
        # Without root, no template can become another user: each sandbox of its own. Nor where
        # the zygotes cannot wall themselves off (user namespaces forbidden, as Ubuntu may).
        if os.geteuid() != 0 or self.without_template:
            return Sandbox(**settings)
        template = self.template(env, warm_modules)
        if not template.checked:
            try:
                TemplateSandbox(template, **{**settings, "given": []}).check()
            except (SandboxUnavailable, OSError):
                template.close()
                del self.templates[(env, warm_modules)]
                self.without_template = True
                return Sandbox(**settings)
            template.checked = True
        return TemplateSandbox(template, **settings)

    def template(self, env: tuple, warm_modules: tuple) -> Template:
        """The template for these settings, started (in the background) if it was not running."""
        template = self.templates.get((env, warm_modules))
        if template is None or not template.alive():
            if template is not None:
                template.close()
            template = self.templates[(env, warm_modules)] = Template(dict(env), list(warm_modules))
        return template

    def adopt(self, env: dict[str, str], warm_modules: list[str], shared: dict) -> None:
        """Use another process's template (``Template.shared``) for these settings."""
        self.templates[(tuple(sorted(env.items())), tuple(warm_modules))] = SharedTemplate(**shared)

    def start_template(self, env: dict[str, str], warm_modules: list[str]) -> None:
        """As root, start the template for these settings now: its imports run while the caller goes on."""
        if os.geteuid() == 0 and not self.without_template:
            self.template(tuple(sorted(env.items())), tuple(warm_modules))

    def take(self, env: dict[str, str], given: list[Path], warm_modules: list[str]) -> Sandbox:
        """A sandbox for these settings: the spare if it was started for them, else a new one."""
        key = (tuple(sorted(env.items())), tuple(given), tuple(warm_modules))
        spare, self.spare = self.spare, None
        if spare is not None and self.key == key and spare.alive():
            return spare
        if spare is not None:
            spare.close()
        self.key = key
        return self.new(key)

    def ahead(self, env: dict[str, str], given: list[Path], warm_modules: list[str]) -> None:
        """Start a sandbox with these settings, for the first student to come."""
        self.key = (tuple(sorted(env.items())), tuple(given), tuple(warm_modules))
        self.prepare()

    def prepare(self) -> None:
        """Start the next sandbox (with the settings last taken) in the background."""
        if self.spare is None and self.key:
            self.spare = self.new(self.key)
            try:
                self.spare.launch()
            except OSError:  # the next student then starts one as usual
                self.spare.close()
                self.spare = None

    def close(self) -> None:
        if self.spare is not None:
            self.spare.close()
            self.spare = None
        for template in self.templates.values():
            template.close()
        self.templates.clear()


_spares: Spares | None = None


def spares() -> Spares:
    """This process's spare sandboxes, closed when it exits (a pool worker skips atexit)."""
    global _spares
    if _spares is None:
        _spares = Spares()
        atexit.register(_spares.close)
        multiprocessing.util.Finalize(_spares, _spares.close, exitpriority=10)
    return _spares


def check() -> None:
    """Raise SandboxUnavailable, saying why, unless a sandboxed Python runs here."""
    if bwrap_path() is None:
        raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}")
    with Sandbox() as sandbox:
        argv = command(sandbox.scratch, sandbox.workdir, [sys.executable, "-c", "print('ok')"], {},
                       sandbox.limits, sandbox.uid)
        run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if run.returncode != 0 or run.stdout.strip() != "ok":
        detail = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise SandboxUnavailable(f"bubblewrap cannot start a sandbox here ({detail}); on Ubuntu 24.04 and later, "
                                 "unprivileged user namespaces may need "
                                 "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`; or "
                                 "grade without a sandbox with SANDBOX=off (make) or --no-sandbox")

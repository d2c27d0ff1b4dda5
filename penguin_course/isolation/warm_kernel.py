"""Warm kernels: fork each notebook's kernel from a Python that has already imported the libraries.

A fresh kernel spends seconds importing TensorFlow, pandas and seaborn before the student's
first line runs, and nbgrader pays that in every notebook. Here one *zygote* per student,
started inside the student's sandbox, imports them once; each notebook's kernel is a fork of
it: a fresh process of its own (its own memory, working folder and home), started in
milliseconds.

Two programs, both run as this file (``python .../warm_kernel.py``, so that `ps` shows what runs):

- ``serve SOCKET MODULE...`` (the zygote, inside the sandbox): imports the modules, then, for
  each connection on the Unix socket SOCKET, forks a kernel, and reports its exit.
- ``launch SOCKET WORKDIR HOME ARG...`` (outside): the command jupyter_client starts as "the
  kernel". It asks the zygote for a kernel with ipykernel's arguments ARG..., forwards
  signals to it and exits when it exits, with its exit code; killing it kills the kernel.

The zygote uses the standard library only (and must not start threads: it forks).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path


# What ipykernel imports as a kernel starts (IPKernelApp.initialize: its debugger, IPython's
# history and inspector), imported by the zygote ahead: otherwise 0.07 s of every notebook's
# kernel start. None of them starts a thread.
KERNEL_START = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
                "IPython.core.history", "IPython.core.completerlib", "IPython.core.oinspect",
                "IPython.extensions.storemagic", "IPython.utils.wildcard", "tornado.platform.asyncio",
                "faulthandler", "psutil"]


def import_modules(modules: list[str]) -> None:
    import importlib

    # What ipykernel sets when it starts, and matplotlib reads when it is imported.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # What ipykernel's kernel spec sets for a Python with frozen modules: else its debugger,
    # imported here, warns on the grader's terminal that breakpoints may be missed.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001  a module that fails here fails again, visibly, in the notebook
            pass


def listen(path: str) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    return server


def serve(path: str, modules: list[str]) -> None:
    """The zygote: import ``modules``, then fork a kernel per request on the Unix socket ``path``."""
    import_modules([*modules, *KERNEL_START])
    server = listen(path)
    print(json.dumps({"ready": os.getpid()}), flush=True)
    serve_kernels(server)


def serve_kernels(server: socket.socket) -> None:
    """Fork a kernel per request on ``server``; report each one's exit to its launcher."""
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # kernels print their connection details there: not the student's output
    kernels: dict[socket.socket, int] = {}  # connection of the launcher -> pid of its kernel
    while True:
        readable, _, _ = select.select([server, wakeup_read, *kernels], [], [])
        if wakeup_read in readable:
            os.read(wakeup_read, 512)
            reap(kernels)
        if server in readable:
            connection, _ = server.accept()
            request = json.loads(connection.makefile().readline())
            pid = fork()
            if pid is None:  # the launcher reports a kernel that never started; the zygote serves on
                connection.sendall(json.dumps({"pid": None}).encode() + b"\n" + json.dumps({"exit": 1}).encode() + b"\n")
                connection.close()
                continue
            if pid == 0:
                for fd in (server, connection, *kernels):
                    fd.close()
                os.close(wakeup_read)
                os.close(wakeup_write)
                run_kernel(request)
            kernels[connection] = pid
            connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        for connection in [c for c in readable if c in kernels]:
            message = connection.recv(4096)
            pid = kernels[connection]
            if not message:  # the launcher is gone: so is its kernel
                kill(pid, signal.SIGKILL)
                del kernels[connection]
                connection.close()
                continue
            for line in message.decode().splitlines():
                kill(pid, json.loads(line)["signal"])


def template(path: str, modules: list[str]) -> None:
    """The template (one per grading run, in a sandbox of its own, as its root): import
    ``modules`` once, then, per request on the Unix socket ``path`` (which only the grader can
    reach), fork a student's zygote and wall it off (``isolate``). It never runs student code.
    The grading run's workers share it."""
    import_modules([*modules, *KERNEL_START])
    server = listen(path)
    Path(path + ".ready").touch()  # for the grading workers that use it: they cannot read this process's output
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    print(json.dumps({"ready": os.getpid()}), flush=True)
    while True:
        readable, _, _ = select.select([server, wakeup_read], [], [])
        if wakeup_read in readable:  # a zygote ended: reaped at once, so that its user has no process left
            os.read(wakeup_read, 512)
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
        if server not in readable:
            continue
        connection, _ = server.accept()
        request = json.loads(connection.makefile().readline())
        pid = fork()
        if pid == 0:
            server.close()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for descriptor in (wakeup_read, wakeup_write):
                os.close(descriptor)
            try:
                isolate(request)
                zygote = listen(request["socket"])
                connection.sendall(json.dumps({"ready": os.getpid()}).encode() + b"\n")
                connection.close()
            except BaseException as error:  # noqa: BLE001  the grader says why this student's sandbox failed
                with contextlib.suppress(OSError):
                    connection.sendall(json.dumps({"error": f"{type(error).__name__}: {error}"}).encode() + b"\n")
                os._exit(1)
            serve_kernels(zygote)
        if pid is None:
            connection.sendall(json.dumps({"error": "no process could be started"}).encode() + b"\n")
        connection.close()


# The walls of a student's zygote forked from the template: Linux system calls that Python 3.11's
# os module lacks (unshare, mount, capset), through the C library.
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 38, 47, 4


def _libc():
    import ctypes

    return ctypes, ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        ctypes, _ = _libc()
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _, libc = _libc()
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    _call(libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def _bind(source: str, target: str, read_only: bool) -> None:
    """Mount ``source`` (a path or /proc/self/fd/N) on ``target``; read-only keeps the flags the
    kernel locks on a mount from a more privileged namespace (nosuid, nodev, noexec)."""
    _mount(source, target, None, MS_BIND)
    if read_only:
        locked = os.statvfs(target).f_flag & (os.ST_NOSUID | os.ST_NODEV | os.ST_NOEXEC)
        flags = (MS_NOSUID if locked & os.ST_NOSUID else 0) | (MS_NODEV if locked & os.ST_NODEV else 0) | \
                (MS_NOEXEC if locked & os.ST_NOEXEC else 0)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)


def _loopback_up() -> None:
    """What bwrap does in a new network namespace: the loopback interface up, nothing else."""
    import fcntl
    import struct

    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = fcntl.ioctl(probe, SIOCGIFFLAGS, struct.pack("16sh22x", b"lo", 0))
        flags = struct.unpack("16sh22x", request)[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sh22x", b"lo", flags | IFF_UP))


def _drop_capabilities() -> None:
    ctypes, libc = _libc()
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    _call(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    for capability in range(last + 1):
        _call(libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), "drop a bounding capability")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: none, in both 32-bit halves
    _call(libc.capset(header, data), "capset")


def isolate(request: dict) -> None:
    """In the template's child: become the student's zygote, walled off as bwrap walls a sandbox off.

    - its own user (``uid``): no signal, ptrace or /proc access to the template, nor to another
      student's processes; its own process limit;
    - its own user, mount, network, IPC and UTS namespaces: a fresh /tmp, /dev/shm and folder of
      the students' scratch folders (``cover``), in which only its own scratch folder and the
      Python installation (``keep``) are mounted again: no other student's folder, no file left
      by another; loopback only; no shared memory of another;
    - its home (``home``) mounted where the template's was, since the imported modules
      remember that path (matplotlib's configuration folder);
    - the given files read-only; no capability, no new privileges; the resource limits.
    """
    import resource

    _, libc = _libc()
    uid = int(request["uid"])
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to another user: every capability of the template's is gone
    _call(libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")  # a user's own /proc/self, to map its user
    _call(libc.unshare(CLONE_NEWUSER), "unshare the user namespace")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{uid} {uid} 1")
    _call(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare namespaces")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    kept = {path: os.open(path, os.O_PATH) for path in request["keep"]}  # before they are covered
    covered = []
    for cover in request["cover"]:  # /tmp, and the students' folders unless they are in it (then gone)
        if os.path.isdir(cover):
            _mount("tmpfs", cover, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(request['tmp_bytes'])},mode=1777")
            covered.append(cover)
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    for path, descriptor in kept.items():
        if any(path.startswith(cover.rstrip("/") + "/") for cover in covered):
            os.makedirs(path, exist_ok=True)
            _bind(f"/proc/self/fd/{descriptor}", path, read_only=path != request["scratch"])
        os.close(descriptor)
    os.makedirs(request["home_seen_as"], exist_ok=True)
    _bind(request["home"], request["home_seen_as"], read_only=False)
    for source, destination in request["read_only"].items():
        _bind(source, destination, read_only=True)
    _call(libc.sethostname(b"sandbox", 7), "sethostname")
    _loopback_up()
    _drop_capabilities()
    _call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
    limits = request["limits"]
    for name, value in (("RLIMIT_AS", limits["memory_bytes"]), ("RLIMIT_NPROC", limits["processes"]),
                        ("RLIMIT_FSIZE", limits["file_bytes"]), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))
    os.setsid()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])


def fork(tries: int = 50) -> int | None:
    """os.fork(), tried again for a few seconds while this sandbox's process limit is reached
    (processes of the last notebook not yet reaped); None if it never succeeds."""
    for _ in range(tries):
        try:
            return os.fork()
        except BlockingIOError:  # EAGAIN
            time.sleep(0.1)
    return None


def run_kernel(request: dict) -> None:
    """In the forked child: become the notebook's ipykernel, as ``python -m ipykernel_launcher`` would."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    os.chdir(request["cwd"])
    os.environ["HOME"] = request["home"]
    sys.path[0] = request["cwd"]  # the notebook's folder comes first, as with `python -m`
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    code = 0
    try:
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def reap(kernels: dict) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for connection, kernel in list(kernels.items()):
            if kernel == pid:
                code = os.waitstatus_to_exitcode(status)
                try:
                    connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
                except OSError:
                    pass
                connection.close()
                del kernels[connection]


def kill(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def launch(path: str, workdir: str, home: str, argv: list[str]) -> int:
    """Outside the sandbox: ask the zygote for a kernel and stand for it until it exits."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    connection.sendall(json.dumps({"cwd": workdir, "home": home, "argv": argv}).encode() + b"\n")
    replies = connection.makefile()
    json.loads(replies.readline())  # {"pid": …}: the kernel runs

    def forward(signum, _frame):
        connection.sendall(json.dumps({"signal": signum}).encode() + b"\n")

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    line = replies.readline()
    return json.loads(line)["exit"] if line else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "template":
        template(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "launch":
        sys.exit(launch(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))

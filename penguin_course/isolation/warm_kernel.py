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

import json
import os
import select
import signal
import socket
import sys
import time


def serve(path: str, modules: list[str]) -> None:
    """The zygote: import ``modules``, then fork a kernel per request on the Unix socket ``path``."""
    import importlib

    # What ipykernel sets when it starts, and matplotlib reads when it is imported.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001  a module that fails here fails again, visibly, in the notebook
            pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    print(json.dumps({"ready": os.getpid()}), flush=True)
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
    elif sys.argv[1] == "launch":
        sys.exit(launch(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))

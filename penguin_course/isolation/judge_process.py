"""The judge: runs the course's test cells, in a process where no student code has ever run.

Started in a sandbox of its own (``judge``), ``serve`` imports the libraries the tests use and
then forks one judge per notebook, for each connection on its Unix socket. A judge runs each
test cell it is sent with ``exec``, in a namespace of its own: a name the test reads that the
test did not define is asked of the grader, which asks the student's kernel and sends back
its value as data (``crossing``). A student's function crosses as a handle: calling it asks
the grader again, with the arguments as data. What the test prints and the error that ends
it come back as the cell's outputs, as a kernel would have sent them.

Messages on the socket are JSON lines; one with a "size" is followed by that many bytes.
Imports the standard library, NumPy and ``crossing`` only, before the tests' own imports.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import linecache
import os
import signal
import socket
import sys
import traceback

if __name__ == "__main__":
    # Started as a file, `python -I .../penguin_course/isolation/judge_process.py SOCKET GIVEN MODULE...`
    # (see judge.judge_argv): isolated mode puts no folder of ours on sys.path; the course's
    # package, two folders up, and the given files (the tests' helpers) go first.
    sys.path[:0] = [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), sys.argv[2]]

from penguin_course.isolation import crossing  # noqa: E402

MAX_LINE = 2**20


class JudgeError(RuntimeError):
    """The conversation with the grader broke down: the judge ends."""


class StudentCodeError(Exception):
    """The student's function raised an error when a test called it."""


class Channel:
    def __init__(self, connection: socket.socket):
        self.file = connection.makefile("rwb")

    def send(self, message: dict, payload: bytes = b"") -> None:
        if payload:
            message = {**message, "size": len(payload)}
        self.file.write(json.dumps(message).encode() + b"\n" + payload)
        self.file.flush()

    def receive(self) -> tuple[dict, bytes]:
        line = self.file.readline(MAX_LINE)
        if not line:
            raise JudgeError("the grader hung up")
        message = json.loads(line)
        size = message.get("size", 0)
        payload = self.file.read(size) if size else b""
        if len(payload) != size:
            raise JudgeError("the grader hung up")
        return message, payload

    def ask(self, message: dict, payload: bytes = b"") -> tuple[dict, bytes]:
        self.send(message, payload)
        return self.receive()


class StudentFunction:
    """A function of the student's: calling it runs it in the student's kernel, on data."""

    def __init__(self, channel: Channel, handle: int, name: str, context: crossing.Context):
        self.channel, self.handle, self.__name__, self.context = channel, handle, name, context

    def __call__(self, *args, **kwargs):
        document, blobs = crossing.encode([list(args), dict(kwargs)])
        reply, payload = self.channel.ask({"op": "call", "handle": self.handle, "name": self.__name__},
                                          crossing.pack(document, blobs))
        if reply["op"] == "raised":
            raise StudentCodeError(f"{self.__name__}() raised {reply['message']}")
        if reply["op"] == "refused":
            raise crossing.CrossingRefused(reply["message"])
        return crossing.decode(*crossing.unpack(payload), name=f"the result of {self.__name__}()",
                               context=self.context)

    def __repr__(self) -> str:
        return f"<function {self.__name__} (the student's)>"


class Namespace(dict):
    """A test cell's globals: what tests defined, and the student's names, fetched as they are read."""

    def __init__(self, channel: Channel, modules: frozenset[str]):
        super().__init__(__builtins__=builtins, __name__="__main__")
        self.channel, self.modules = channel, modules
        self.context = crossing.Context(self.function, self.modules)
        self.begin()

    def begin(self) -> None:
        """Before a test cell: the student's names may have changed since the last one."""
        for name in getattr(self, "fetched", ()):
            self.pop(name, None)
        self.fetched, self.absent = set(), set()

    def function(self, handle: int, name: str) -> StudentFunction:
        return StudentFunction(self.channel, handle, name, self.context)

    def __missing__(self, name: str):
        if name in builtins.__dict__ or name.startswith("__") or name in self.absent:
            raise KeyError(name)
        reply, payload = self.channel.ask({"op": "fetch", "name": name})
        if reply["op"] == "missing":
            self.absent.add(name)
            raise KeyError(name)
        if reply["op"] == "refused":
            raise crossing.CrossingRefused(reply["message"])
        value = crossing.decode(*crossing.unpack(payload), name=name, context=self.context)
        self[name] = value
        self.fetched.add(name)
        return value


HERE = os.path.dirname(os.path.abspath(__file__))  # the judge's own code: not the test's story
GIVEN = ""  # the folder of the assignment's given files (the tests' helpers), set by serve


def test_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The traceback from the test's own line on: without the judge's machinery, and with the
    helpers named by file name (their folder is the judge's scratch folder, different every run)."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)[1:]
              if not os.path.abspath(frame.filename).startswith(HERE + os.sep)]
    for frame in frames:
        if GIVEN and os.path.abspath(frame.filename).startswith(GIVEN + os.sep):
            frame.filename = os.path.basename(frame.filename)
    return frames


def run_cell(source: str, name: str, namespace: Namespace) -> list[dict]:
    """Run one test cell; its outputs in nbformat's form."""
    namespace.begin()
    filename = f"<test {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    stdout, stderr = io.StringIO(), io.StringIO()
    error = None
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            exec(compile(source, filename, "exec"), namespace)  # noqa: S102  the course's own test code
        except Exception as raised:  # noqa: BLE001  the test failed: its error is the cell's output
            error = raised
    outputs = [{"output_type": "stream", "name": stream, "text": text.getvalue()}
               for stream, text in (("stdout", stdout), ("stderr", stderr)) if text.getvalue()]
    if error is not None:
        lines = traceback.format_list(test_frames(error)) + traceback.format_exception_only(type(error), error)
        outputs.append({"output_type": "error", "ename": type(error).__name__, "evalue": str(error),
                        "traceback": ["Traceback (most recent call last):\n", *lines]})
    return outputs


def judge(connection: socket.socket, modules: frozenset[str]) -> None:
    """One notebook's judge: run each test cell the grader sends, until it says it is done."""
    channel = Channel(connection)
    channel.send({"op": "ready", "pid": os.getpid()})
    namespace = Namespace(channel, modules)
    while True:
        message, _ = channel.receive()
        if message["op"] == "end":
            return
        os.chdir(message.get("cwd", "."))
        outputs = run_cell(message["source"], message["name"], namespace)
        channel.send({"op": "done", "outputs": outputs})


def guard_keras_loading() -> None:
    """A test that loads a model file the student saved gets it only if it is made of Keras's own
    layers and library functions: the configuration is checked as data before Keras reads it
    (``crossing``). Keras saves some library functions by a name it cannot load back (``tf.nn.softmax``
    as ``softmax_v2``): the allowlist's functions are found by that name."""
    keras = sys.modules.get("keras")
    if keras is None:
        return
    load_model = keras.saving.load_model

    def checked_load_model(filepath, *args, **kwargs):
        named = crossing.check_model_file(os.fspath(filepath))
        kwargs["safe_mode"] = True
        with keras.saving.custom_object_scope(named):
            return load_model(filepath, *args, **kwargs)

    keras.saving.load_model = keras.models.load_model = checked_load_model


def reap(*_) -> None:
    """Collect the judges that have ended (a SIGCHLD handler)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def serve(path: str, modules: list[str], given: str = "") -> None:
    """The judge's zygote: import ``modules``, then fork a judge for each connection on ``path``;
    ``given`` is the folder of the assignment's given files."""
    import importlib

    global GIVEN
    GIVEN = os.path.abspath(given) if given else ""
    import warnings

    warnings.simplefilter("ignore")  # as the kernels' PYTHONWARNINGS=ignore (isolated mode reads no variables)
    os.environ.setdefault("MPLBACKEND", "agg")
    for module in modules:
        with contextlib.suppress(Exception):  # a test that needs it fails, visibly
            importlib.import_module(module)
    guard_keras_loading()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    print(json.dumps({"ready": os.getpid()}), flush=True)
    open(path + ".ready", "w").close()  # for grading workers sharing this zygote: they cannot read its output
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    allowed = frozenset(modules)
    # each judge is reaped as it ends: a zombie left until the next notebook would make the
    # grader, closing the sandbox, wait for it in vain
    signal.signal(signal.SIGCHLD, reap)
    while True:
        connection, _ = server.accept()
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                judge(connection, allowed)
            except BaseException:  # noqa: BLE001  the grader records a judge that fails
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        connection.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[3:], sys.argv[2])

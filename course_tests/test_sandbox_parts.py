"""The sandbox's walls, one at a time, with a small Python program in place of a kernel (fast)."""

import json
import os
import socket
import subprocess
import sys

import pytest

from penguin_course.grading import grade
from penguin_course.isolation import sandbox, warm_kernel
from penguin_course.course.paths import ROOT

PROBE = r"""
import json, os, resource, socket, sys
report = {"uid": os.getuid(), "env": dict(os.environ), "cwd": os.getcwd(),
          "sees_course": os.path.exists(sys.argv[1]),
          "limits": [resource.getrlimit(getattr(resource, name))[0] for name in ("RLIMIT_AS", "RLIMIT_NPROC")]}
def can(action):
    try:
        action()
        return True
    except OSError:
        return False
report["writes_own_file"] = can(lambda: open("answer.txt", "w").write("mine"))
report["writes_given_file"] = can(lambda: open("given.csv", "a").write("x"))
report["removes_given_file"] = can(lambda: os.remove("given.csv"))
report["connects_to_grader"] = can(lambda: socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2))
report["given_content"] = open("given.csv").read()
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """What a program finds in a sandbox with one given file, read-only, in its working folder."""
    server = socket.create_server(("127.0.0.1", 0))
    os.environ["PLANTED_TOKEN"] = "planted-secret"
    try:
        files = tmp_path_factory.mktemp("files")
        (files / "given.csv").write_text("a,b\n")
        with sandbox.Sandbox(env={"GIVEN": "yes"}, given=[files / "given.csv"]) as box:
            workdir = box.fill(files)
            argv = sandbox.command(box.scratch, workdir, [sys.executable, "-c", PROBE, str(ROOT / "source"),
                                                           str(server.getsockname()[1])],
                                   box.env, box.limits, box.uid, box.read_only())
            run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stderr
            yield json.loads(run.stdout), workdir, box
    finally:
        del os.environ["PLANTED_TOKEN"]
        server.close()


def test_it_sees_only_its_own_folder_not_the_course(probe):
    report, workdir, _ = probe
    assert report["cwd"] == str(workdir)
    assert not report["sees_course"]


def test_it_writes_its_own_files_but_not_the_given_ones(probe):
    report, workdir, _ = probe
    assert report["writes_own_file"] and (workdir / "answer.txt").read_text() == "mine"
    assert not report["writes_given_file"] and not report["removes_given_file"]
    assert report["given_content"] == "a,b\n"


def test_its_environment_is_its_own(probe):
    report, _, _ = probe
    assert "PLANTED_TOKEN" not in report["env"] and report["env"]["GIVEN"] == "yes"
    assert not any(str(ROOT) in value for name, value in report["env"].items() if name != "PATH")


def test_it_has_no_network(probe):
    report, _, _ = probe
    assert not report["connects_to_grader"]


def test_it_runs_unprivileged_within_limits(probe):
    report, _, box = probe
    assert report["uid"] != 0
    assert report["limits"] == [box.limits.memory_bytes, box.limits.processes]


def test_without_bubblewrap_it_says_what_to_install(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt install bubblewrap"):
        sandbox.check()


# The zygote, its fork failing `failures` times first, as when the last notebook's processes
# still fill the sandbox's process limit.
FAILING_FORKS = r"""
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import warm_kernel
failures, real_fork = int(sys.argv[3]), os.fork
def fork():
    global failures
    if failures:
        failures -= 1
        raise BlockingIOError(11, "Resource temporarily unavailable")
    return real_fork()
warm_kernel.os.fork = fork
warm_kernel.time.sleep = lambda seconds: None
warm_kernel.serve(sys.argv[2], [])
"""


def test_a_kernel_that_cannot_be_forked_fails_alone_and_the_zygote_serves_on(tmp_path):
    zygote_socket = str(tmp_path / "zygote")
    tries = warm_kernel.fork.__defaults__[0]
    zygote = subprocess.Popen([sys.executable, "-c", FAILING_FORKS, str(sandbox.WARM_KERNEL), zygote_socket,
                               str(tries + 3)], stdout=subprocess.PIPE)
    try:
        assert json.loads(zygote.stdout.readline())["ready"] == zygote.pid

        def launch():  # a "kernel" that prints ipykernel's version and exits 0
            return subprocess.run([sys.executable, str(sandbox.WARM_KERNEL), "launch", zygote_socket,
                                   str(tmp_path), str(tmp_path), "--version"], timeout=60).returncode

        assert launch() == 1, "the fork never succeeded: that kernel failed"
        assert zygote.poll() is None
        assert launch() == 0, "three more failed forks, then one that succeeded"
    finally:
        zygote.kill()
        zygote.wait()


@pytest.fixture
def template():
    if os.geteuid() != 0:
        pytest.skip("templates are for root only: without root, each student's sandbox starts on its own")
    started = sandbox.Template({}, [])
    try:
        yield started
    finally:
        started.close()


def test_a_zygote_that_cannot_wall_itself_off_says_why_and_the_template_serves_on(template):
    broken = sandbox.TemplateSandbox(template)
    broken.given_files = lambda: {broken.scratch / "gone.csv": broken.workdir / "gone.csv"}  # nothing to mount
    with pytest.raises(sandbox.SandboxUnavailable, match="could not start a student's sandbox .*FileNotFoundError"):
        broken.ready()
    assert template.alive()
    working = sandbox.TemplateSandbox(template, second_uid=True)
    working.check()


def test_grading_workers_fork_from_the_run_s_template_and_leave_it_to_the_others(template):
    """make grade starts one template for all its workers (``Template.shared``): a worker's
    sandboxes are forked from it, not from one of its own; a worker that ends leaves it running
    for the others."""
    template.ready()
    for _ in range(2):  # two workers, one after the other
        worker = sandbox.Spares()
        try:
            worker.adopt({}, [], template.shared())
            box = worker.take({}, [], [])
            assert isinstance(box, sandbox.TemplateSandbox) and box.template.folder == template.folder
            box.ready()
            assert box.namespace == template.namespace, "forked by the run's template"
            assert len(worker.templates) == 1, "no template of the worker's own"
            box.close()
        finally:
            worker.close()
        assert template.alive()


def test_where_the_template_cannot_start_sandboxes_each_starts_on_its_own(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("templates are for root only")

    def refused(self):
        raise sandbox.SandboxUnavailable("unshare the user namespace: Operation not permitted")

    monkeypatch.setattr(sandbox.TemplateSandbox, "check", refused)
    spares = sandbox.Spares()
    try:
        first = spares.take({}, [], [])
        assert type(first) is sandbox.Sandbox and not spares.templates
        first.close()
        assert type(spares.take({}, [], [])) is sandbox.Sandbox, "no template tried again"
    finally:
        spares.close()

"""Hostile submissions: `make grade` keeps student code in its sandbox.

One class, graded once: an honest student beside students whose answers try to overwrite the
course and the gradebook, read the hidden tests and the grader's secrets, reach the network,
eat all memory and fork without bound. Afterwards the course is byte-identical, the honest
student's grades are what they would be alone, no secret appears anywhere, and each hostile
notebook got the score its answers earn.
"""

import hashlib
import json
import os
import re
import socket
import sqlite3
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest

from penguin_course.grading import grade
from penguin_course.course import notebooks
from penguin_course.isolation import sandbox
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.grading.autograde import grade_submission
from penguin_course.course.paths import ASSIGNMENT, RELEASE, ROOT, SOURCE

pytestmark = pytest.mark.slow

NB1, NB2 = "1-inspect-dataset.ipynb", "2-count-parameters.ipynb"
SECRET = "ghp_planted-secret-4f1c9e0b7a"
CANARY = "sandbox-escape-canary"  # the name of a file the hostile code tries to create wherever it can

VANDAL = r'''
import glob, os, sys
_course, _checkout = {course!r}, {checkout!r}
_scratch = os.path.dirname(os.getcwd())
_wrote, _read = [], []

def _places():
    # every folder above the working directory
    folder = os.getcwd()
    while folder != "/":
        yield folder
        folder = os.path.dirname(folder)
    yield "/"
    # other processes' working and root folders: the grader's, if it could see them
    for proc in glob.glob("/proc/[0-9]*"):
        yield proc + "/cwd"
        yield proc + "/root"
    # environment variables holding paths
    yield from (value for value in os.environ.values() if value.startswith("/"))
    # where the course and the repository really are
    yield _course
    yield _checkout

def _write(path, mode):
    # outside the test's copy of the course, only plant files: never damage the checkout or its .venv
    if mode == "r+b" and os.path.realpath(path).startswith(_checkout):
        return
    try:
        with open(path, mode) as handle:
            handle.write(b"vandalised")
        _wrote.append(os.path.realpath(path))
    except OSError:
        pass

def _attack(folder):
    # plant a file; rewrite the course's files, and the modules the tests import, wherever they are
    _write(os.path.join(folder, "{canary}"), "wb")
    for name in ["source", "release", "submitted", "autograded", "gradebook.db", "nbgrader_config.py",
                 "penguin_course", "penguins.csv", "penguin_checks.py"]:
        target = os.path.join(folder, name)
        walk = os.walk(target) if os.path.isdir(target) else [(folder, [], [name])]
        for base, _, files in walk:
            for file in (os.path.join(base, name) for name in files):
                if not os.path.isfile(file):
                    continue
                try:
                    if b"BEGIN HIDDEN TESTS" in open(file, "rb").read():
                        _read.append(file)
                except OSError:
                    pass
                _write(file, "r+b")

for _place in _places():
    _attack(_place)
for _module in ("numpy", "pandas", "keras", "penguin_checks"):
    _write(sys.modules[_module].__file__ if _module in sys.modules else __import__(_module).__file__, "r+b")
# its scratch folder and its private /tmp are its own
print("wrote outside the scratch folder:", sorted({{p for p in _wrote if not p.startswith((_scratch, "/tmp/"))}}))
print("read hidden tests:", _read)
'''

SNOOP = r'''
import glob, os
print(dict(os.environ))
for _path in glob.glob("/proc/*/environ"):
    try:
        print(_path, open(_path, "rb").read())
    except OSError:
        pass
'''

NETWORK = r'''
import socket
_reached = []
for _address in [("127.0.0.1", {port}), ("pypi.org", 443), ("151.101.0.223", 443)]:
    try:
        socket.create_connection(_address, timeout=5).close()
        _reached.append(_address)
    except OSError as error:
        print("unreachable:", _address, error)
print("reached:", _reached)
'''

MEMORY_HOG = r'''
_hoard = []
while True:
    _hoard.append(b"x" * 2**27)
'''

# Notebook 1 leaves traces everywhere it can; notebook 2 looks for them.
LEAVE_TRACES = r'''
import os, numpy
numpy.left_by_notebook_1 = True
for _folder in (".", os.environ["HOME"]):
    with open(os.path.join(_folder, "left-by-notebook-1"), "w") as _file:
        _file.write("x")
print("kernel", os.getpid(), "parent", os.getppid())
'''
FIND_TRACES = r'''
import os, numpy
print("traces:", [hasattr(numpy, "left_by_notebook_1"),
                  *(os.path.exists(os.path.join(f, "left-by-notebook-1")) for f in (".", os.environ["HOME"]))])
print("kernel", os.getpid(), "parent", os.getppid())
'''

FORK_BOMB = r'''
import os, time
if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.05)
'''


def filled(name, before=None, **changes):
    """The released notebook ``name`` with the solutions, some changed; ``before`` is code
    put in front of one answer, as (grade_id, code)."""
    answers = {**notebooks.solutions(SOURCE / name), **changes}
    if before:
        grade_id, code = before
        answers[grade_id] = code + "\n" + answers[grade_id]
    return notebooks.fill(notebooks.read(RELEASE / name), answers)


def hashes(folder):
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the grader's loopback: a sandboxed kernel must not reach it."""
    server = socket.create_server(("127.0.0.1", 0))
    connections = []

    def accept():
        while True:
            try:
                connections.append(server.accept())
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], connections
    server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    sandbox.check()  # a machine without bubblewrap fails here, loudly, not by skipping
    (Path(tempfile.gettempdir()) / CANARY).unlink(missing_ok=True)
    root = tmp_path_factory.mktemp("course")
    for folder in ("source", "release"):
        (root / folder).parent.mkdir(exist_ok=True)
        __import__("shutil").copytree(ROOT / folder, root / folder)
    (root / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    port, _ = listener
    vandal = VANDAL.format(course=str(root), checkout=str(ROOT), canary=CANARY)
    honest = {NB1: filled(NB1), NB2: filled(NB2)}
    hostile = {
        # a wrong answer (343), and files rewritten so that it would pass
        "vandal": {NB1: filled(NB1, before=("n-samples", vandal), **{"n-samples": "n_samples = 343"})},
        "snoop": {NB1: filled(NB1, before=("feature-names", SNOOP))},
        "network": {NB1: filled(NB1, before=("feature-names", NETWORK.format(port=port)))},
        "memory-hog": {NB1: filled(NB1), NB2: filled(NB2, before=("extra-params", MEMORY_HOG))},
        "fork-bomb": {NB1: filled(NB1, before=("species-names", FORK_BOMB)), NB2: filled(NB2)},
        "trace-leaver": {NB1: filled(NB1, before=("feature-names", LEAVE_TRACES)),
                         NB2: filled(NB2, before=("n-params", FIND_TRACES))},
    }
    for student, files in {"honest": honest, **hostile}.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, notebook in files.items():
            nbformat.write(notebook, folder / name)
    before = hashes(root)
    checkout_before = {name: hashes(ROOT / name) for name in ("source", "penguin_course")}
    os.environ.update({"GITHUB_TOKEN": SECRET, "COURSE_SECRET": SECRET, "COURSE_DIR": str(root)})
    try:
        table = grade.grade_class(Course(root), workers=2, time_limit=120)
    finally:
        for name in ("GITHUB_TOKEN", "COURSE_SECRET", "COURSE_DIR"):
            os.environ.pop(name)
    return root, table, before, checkout_before


def rows(table, student, notebook):
    selected = table[(table["student_id"] == student) & (table["notebook"] == notebook)]
    assert len(selected), f"no rows for {student}, {notebook}"
    return selected.set_index("grade_id")["status"]


def outputs(root, student, notebook=NB1):
    """Everything the student's graded notebook printed."""
    executed = nbformat.read(root / "autograded" / student / ASSIGNMENT / notebook, as_version=4)
    return "\n".join(" ".join(str(output.get(key, "")) for key in ("text", "ename", "evalue", "data"))
                     for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs)


def test_the_course_and_the_other_students_files_are_unchanged(graded):
    root, _, before, checkout_before = graded
    after = hashes(root)
    for name, digest in before.items():
        assert after.get(name) == digest, f"{name} was changed during grading"
    assert not [path for path in root.rglob(CANARY)], "hostile code created files in the course"
    assert {name: hashes(ROOT / name) for name in checkout_before} == checkout_before
    assert not [path for path in ROOT.rglob(CANARY)]
    assert not (Path(tempfile.gettempdir()) / CANARY).exists(), "the sandbox's /tmp is its own"


def test_the_vandal_could_write_nothing_outside_its_scratch_folder_nor_read_the_hidden_tests(graded):
    root, _, _, _ = graded
    printed = outputs(root, "vandal")
    assert "wrote outside the scratch folder: []" in printed
    assert "read hidden tests: []" in printed


def test_the_gradebook_is_intact_and_holds_the_honest_grades(graded):
    root, table, _, _ = graded
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    honest = table[(table["student_id"] == "honest") & table["notebook"].isin([NB1, NB2])]
    autograded = honest[honest["status"] != "needs manual grading"]
    assert (autograded["status"] == "passed").all() and (autograded["score"] == autograded["max_score"]).all()
    in_gradebook = grade.scores(Course(root))
    in_gradebook = in_gradebook[(in_gradebook["student"] == "honest") & in_gradebook["autograded"]
                                & in_gradebook["notebook"].isin([NB1, NB2])]
    assert len(in_gradebook) == len(autograded)
    assert (in_gradebook["score"] == in_gradebook["max_score"]).all()


def test_hostile_notebooks_are_graded_on_their_answers(graded):
    _, table, _, _ = graded
    vandal = rows(table, "vandal", NB1)
    assert vandal["test-n-samples"] == "failed", "rewriting the dataset must not make 343 right"
    assert set(vandal.drop(index="test-n-samples")) == {"passed"}
    for student in ("snoop", "network"):
        assert set(rows(table, student, NB1)) == {"passed"}


def test_no_secret_of_the_grader_reaches_any_output(graded):
    root, _, _, _ = graded
    printed = outputs(root, "snoop")
    assert "PATH" in printed, "the snoop's cell ran and printed its environment"
    written = [path for folder in ("autograded", "feedback") for path in (root / folder).rglob("*") if path.is_file()]
    written += [root / "grades.csv", root / "grades-by-test.csv", root / "report.html"]
    leaks = [str(path) for path in written if SECRET.encode() in path.read_bytes()]
    assert not leaks
    assert str(root) not in printed, "the kernel's environment names no path of the grader's"


def test_no_network_not_even_the_graders_loopback(graded, listener):
    root, _, _, _ = graded
    _, connections = listener
    assert connections == []
    printed = outputs(root, "network")
    assert "reached: []" in printed and printed.count("unreachable:") == 3


def test_unbounded_memory_fails_that_notebook_only(graded):
    root, table, _, _ = graded
    assert "MemoryError" in outputs(root, "memory-hog", NB2), "the memory limit stopped it, not the machine"
    assert set(rows(table, "memory-hog", NB1)) == {"passed"}
    nb2 = rows(table, "memory-hog", NB2).drop(index="answer-hidden-size")
    # the answer with the hog never defined extra_params_per_neuron: its tests fail, the others pass
    assert set(nb2[["test-extra-params-type", "test-extra-params"]]) == {"error"}
    assert set(nb2.drop(index=["test-extra-params-type", "test-extra-params"])) == {"passed"}


def test_each_notebook_runs_in_a_fresh_process_and_folder(graded):
    root, table, _, _ = graded
    first, second = outputs(root, "trace-leaver", NB1), outputs(root, "trace-leaver", NB2)
    assert "traces: [False, False, False]" in second
    kernels = [re.search(r"kernel (\d+) parent (\d+)", text).groups() for text in (first, second)]
    assert kernels[0][0] != kernels[1][0], "two processes"
    assert kernels[0][1] == kernels[1][1], "forked from the same warm zygote"
    assert set(rows(table, "trace-leaver", NB2).drop(index="answer-hidden-size")) == {"passed"}


def test_a_fork_bomb_stays_in_its_notebook(graded):
    _, table, _, _ = graded
    nb2 = rows(table, "fork-bomb", NB2)
    assert set(nb2.drop(index="answer-hidden-size")) == {"passed"}, "the next notebook starts clean"
    assert set(rows(table, "fork-bomb", NB1)) == {"passed"}, "its answers are right, and the bomb stayed inside"



def test_the_next_student_s_sandbox_starts_ahead_as_the_other_user_and_is_used(tmp_path):
    spares = sandbox.Spares()
    try:
        first = spares.take({}, [], [])
        first.ready()
        spares.prepare()  # what grading does once a student's sandbox is ready
        ahead = spares.spare
        assert ahead is not None and ahead.alive(), "started while the first student is graded"
        # another user: the first student's kernels can neither reach it nor use up its process limit
        assert ahead.uid != first.uid
        first.close()
        second = spares.take({}, [], [])
        assert second is ahead
        assert second.fill(tmp_path) == second.workdir and second.namespace, "ready, without starting another"
        spares.prepare()
        assert spares.spare.uid == first.uid, "the two users alternate"
        second.close()
        spares.spare.kill_zygote()  # a spare that died is not handed out
        dead = spares.spare
        fresh = spares.take({}, [], [])
        assert fresh is not dead
        fresh.close()
    finally:
        spares.close()


def test_grading_starts_a_sandbox_ahead_only_when_another_student_comes(graded):
    root = graded[0]
    assignment = Assignment(Course(root), ASSIGNMENT)
    spares = sandbox.spares()
    try:
        grade_submission(assignment, root / "submitted", "honest", 120, more_to_come=False)
        assert spares.spare is None, "the last student: nobody to start a sandbox for"
        result = grade_submission(assignment, root / "submitted", "honest", 120, more_to_come=True)
        assert spares.spare is not None and spares.spare.alive()
        assert sum(cell.score for notebook in result.notebooks for cell in notebook.cells) > 0
    finally:
        spares.close()


REACH = r'''
import ctypes, json, os, socket
me, report = os.getpid(), {"others": {}}
for entry in os.listdir("/proc"):
    if not entry.isdigit() or int(entry) == me:
        continue
    pid, tries = int(entry), {}
    try:
        os.kill(pid, 0)
        tries["signal"] = "sent"
    except OSError as error:
        tries["signal"] = error.strerror
    for name in ("environ", "mem", "root/etc"):
        try:
            (os.listdir if name == "root/etc" else open)(f"/proc/{pid}/{name}")
            tries[name] = "opened"
        except OSError as error:
            tries[name] = error.strerror
    report["others"][pid] = tries
report["own_user"] = os.getuid()
report["template_folder"] = sorted(os.listdir(os.path.dirname(os.path.dirname(os.getcwd()))))
report["sees"] = {path: os.path.exists(path) for path in PATHS}
try:
    socket.socket(socket.AF_UNIX).connect(TEMPLATE_SOCKET)
    report["template_socket"] = "connected"
except OSError as error:
    report["template_socket"] = error.strerror
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
report["capabilities"] = [int(status[name], 16) for name in ("CapEff", "CapPrm", "CapBnd")]
libc = ctypes.CDLL(None, use_errno=True)
report["unmounts_tmp"] = libc.umount2(b"/tmp", 2) == 0
for folder in TRACES:  # for the next student to find
    if os.path.isdir(folder):
        open(os.path.join(folder, "left-by-the-last-student"), "w").write("x")
print(json.dumps(report))
'''
TRACES = ["/tmp", "/dev/shm", "os.environ['HOME']"]
FIND_TRACES_OF_THE_LAST_STUDENT = r'''
import os
print([os.path.exists(os.path.join(folder, "left-by-the-last-student")) for folder in TRACES])
'''


def run_in(box, code, folder):
    """The output of ``code`` run in a kernel of sandbox ``box``."""
    from nbclient import NotebookClient

    code = code.replace("TRACES", "[" + ", ".join(t if t.startswith("os.") else repr(t) for t in TRACES) + "]")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(notebook, kernel_manager_class=box.kernel_manager_class(), timeout=60,
                   resources={"metadata": {"path": str(box.fill(folder))}}).execute()
    return notebook.cells[0].outputs[0]["text"]


@pytest.mark.parametrize("temporary_folder", ["/tmp", "/var/tmp"])
def test_a_student_s_kernel_cannot_reach_the_template_nor_the_next_student_s_sandbox(tmp_path, monkeypatch,
                                                                                      temporary_folder):
    """As root, students' zygotes are forked from one template per grading run (see
    sandbox.Template): a kernel must not reach the template, nor the next student's sandbox,
    started ahead from the same template while this one's kernel runs; also when the students'
    scratch folders are not in /tmp (TMPDIR elsewhere)."""
    if os.geteuid() != 0:
        pytest.skip("without root, each student's sandbox starts on its own: no template to reach")
    scratch_root = tempfile.mkdtemp(dir=temporary_folder)
    monkeypatch.setattr(tempfile, "tempdir", scratch_root)
    spares = sandbox.Spares()
    try:
        box = spares.take({}, [], ["ipykernel.kernelapp"])
        box.ready()
        spares.prepare()
        ahead = spares.spare
        ahead.ready()
        template = box.template
        assert isinstance(box, sandbox.TemplateSandbox) and ahead.template is template
        paths = [str(ahead.scratch), str(ahead.workdir), str(template.socket), str(template.socket.parent)]
        code = REACH.replace("PATHS", repr(paths)).replace("TEMPLATE_SOCKET", repr(str(template.socket)))
        report = json.loads(run_in(box, code, tmp_path))
        own = {pid for pid, inside in sandbox.namespace_members(template.namespace).items()
               if pid in sandbox.processes_of(box.uid)}
        others = {int(pid): tries for pid, tries in report["others"].items()}
        inside = {inside for pid, inside in sandbox.namespace_members(template.namespace).items() if pid not in own}
        assert {1, *inside} <= set(others) | {1}, "the template, its init and the next student's zygote are there"
        for pid in inside:
            assert others[pid] == {"signal": "Operation not permitted", "environ": "Permission denied",
                                   "mem": "Permission denied", "root/etc": "Permission denied"}, pid
        assert report["own_user"] == box.uid
        assert report["template_folder"] == sorted(["home", box.scratch.name]), "no other student's folder"
        assert report["sees"] == {path: False for path in paths}
        assert report["template_socket"] == "No such file or directory"
        assert report["capabilities"] == [0, 0, 0]
        assert report["unmounts_tmp"] is False
        assert ahead.alive(), "the next student's sandbox is untouched"
        box.close()
        assert spares.take({}, [], ["ipykernel.kernelapp"]) is ahead
        assert run_in(ahead, FIND_TRACES_OF_THE_LAST_STUDENT, tmp_path).strip() == "[False, False, False]"
    finally:
        spares.close()
        __import__("shutil").rmtree(scratch_root, ignore_errors=True)

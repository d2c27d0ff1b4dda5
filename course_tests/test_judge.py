"""Verdicts come from the judge, outside the student's kernel, when `make grade` grades a class.

Graded in the sandbox, as `make grade` does: a student whose kernel collects every code string
it can reach while its notebook is graded (a trace function, IPython's history, the frames'
code, linecache, everything the garbage collector holds), a student whose kernel exits while a
test calls its function, and a student whose judge is killed while its kernel prints that the
test passed.
"""

import hashlib
import os
import threading
import time
from pathlib import Path

import nbformat
import pytest

from penguin_course.grading import autograde, grade
from penguin_course.course import notebooks
from penguin_course.isolation import sandbox
from penguin_course.isolation.judge import Judge, JudgeFailed, JudgeSandbox
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, RELEASE, ROOT, SOURCE

pytestmark = pytest.mark.slow

NB2, NB4 = "2-count-parameters.ipynb", "4-improve-results.ipynb"
JUDGE_COMMAND = "/penguin_course/isolation/judge_process.py"


def lines_of_tests(name: str) -> list[str]:
    """The lines of the notebook's test cells that only a test would hold (asserts and the like)."""
    lines = []
    for cell in notebooks.read(SOURCE / name).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade") \
                and not cell.metadata["nbgrader"].get("solution"):
            lines += [line.strip() for line in cell.source.splitlines()
                      if len(line.strip()) > 25 and not line.strip().startswith(("#", "import", "from"))]
    return lines


def digest(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


# Installed before the student's first answer: from then on, everything the kernel runs is traced
# and every string it can reach is collected. Only digests of the test lines are in the kernel.
COLLECT = r'''
import gc, linecache, sys
_seen, _files, _codes = set(), set(), set()

def _strings(value):
    if isinstance(value, str):
        _seen.update(value.splitlines())
        _seen.add(value)

def _tracer(frame, event, arg):
    code = frame.f_code
    if code in _codes:  # each code object (a test cell run here would be a new one) read once
        return None
    _codes.add(code)
    if code.co_filename not in _files:
        _files.add(code.co_filename)
        _seen.update(line.strip() for line in linecache.getlines(code.co_filename))
    for constant in code.co_consts:
        _strings(constant)
    return None

def _collect(*_):
    shell = get_ipython()
    for entry in list(shell.history_manager.input_hist_raw) + list(shell.user_ns.get("In", [])):
        _strings(entry)
    for lines in list(linecache.cache.values()):
        _seen.update(line.strip() for line in lines[2])
    for frame in sys._current_frames().values():
        while frame is not None:
            _tracer(frame, "call", None)
            frame = frame.f_back

sys.settrace(_tracer)
get_ipython().events.register("post_run_cell", _collect)
'''

REPORT = r'''
_collect()
for _object in gc.get_objects():
    if isinstance(_object, dict):
        for _key, _value in list(_object.items()):
            _strings(_key), _strings(_value)
    elif isinstance(_object, (list, tuple)):
        for _item in _object:
            _strings(_item)
_lines = {_line.strip() for _line in _seen if isinstance(_line, str)}
_found = sorted(_digest for _digest in _DIGESTS if _digest in {__import__("hashlib").sha256(_l.encode()).hexdigest() for _l in _lines})
print(f"searched {len(_lines)} lines; found {len(_found)} test lines: {_found}")
'''

CRASH = '''
_predict_species = predict_species

def predict_species(features):
    if len(features) == 69:  # the hidden test's measurements
        import os
        os._exit(1)
    return _predict_species(features)
'''

PRETEND = '''
_predict_species = predict_species

def predict_species(features):
    if len(features) == 69:  # the hidden test's measurements: say it passed, and take a while
        import time
        print("test-accuracy-threshold: passed, 3 of 3 points")
        time.sleep(20)
    return _predict_species(features)
'''


def snooping_notebook(digests: list[str]) -> nbformat.NotebookNode:
    answers = notebooks.solutions(SOURCE / NB2)
    answers["build-model"] = COLLECT + "\n" + answers["build-model"]
    notebook = notebooks.fill(notebooks.read(RELEASE / NB2), answers)
    notebook.cells.append(nbformat.v4.new_code_cell(f"_DIGESTS = {digests!r}\n" + REPORT))
    return notebook


def with_function(wrapper: str) -> nbformat.NotebookNode:
    answers = notebooks.solutions(SOURCE / NB4)
    answers["improve"] += "\n" + wrapper
    return notebooks.fill(notebooks.read(RELEASE / NB4), answers)


def course(root: Path, students: dict[str, dict[str, nbformat.NotebookNode]]) -> Path:
    for folder in ("source", "release"):
        __import__("shutil").copytree(ROOT / folder, root / folder)
    (root / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    for student, files in students.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, notebook in files.items():
            nbformat.write(notebook, folder / name)
    return root


def rows(table, student, notebook):
    selected = table[(table["student_id"] == student) & (table["notebook"] == notebook)]
    return selected.set_index("grade_id")


def printed(root: Path, student: str, notebook: str) -> str:
    executed = nbformat.read(root / "autograded" / student / ASSIGNMENT / notebook, as_version=4)
    return "\n".join(str(output.get("text", "")) for cell in executed.cells if cell.cell_type == "code"
                     for output in cell.outputs)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    sandbox.check()
    digests = [digest(line) for line in lines_of_tests(NB2)]
    root = course(tmp_path_factory.mktemp("course"), {
        "snoop": {NB2: snooping_notebook(digests)},
        "crasher": {NB4: with_function(CRASH)},
    })
    table = grade.grade_class(Course(root), workers=2, time_limit=150)
    return root, table, digests


def test_the_students_kernel_never_sees_a_test_cell_while_graded(graded):
    root, table, digests = graded
    report = [line for line in printed(root, "snoop", NB2).splitlines() if line.startswith("searched")]
    assert report, "the snooping cell did not run"
    searched = int(report[0].split()[1])
    assert searched > 10_000, report  # it did look: the libraries' own code and strings
    assert report[0].endswith("found 0 test lines: []"), report
    statuses = rows(table, "snoop", NB2)["status"]
    tests = [cell for cell in statuses.index if cell.startswith("test-")]
    assert set(statuses[tests]) == {"passed"}, statuses  # and its honest answers are judged as usual


def test_the_snooping_cell_would_find_the_tests_if_they_ran_in_the_kernel(tmp_path):
    """The search works: run as nbgrader runs a notebook, tests in the kernel, it finds them."""
    from penguin_course.grading.execute import execute

    digests = [digest(line) for line in lines_of_tests(NB2)]
    submitted = notebooks.restore_tests(snooping_notebook(digests), notebooks.read(SOURCE / NB2))
    executed = execute(submitted, judged=False)
    report = [line for cell in executed.cells for output in cell.get("outputs", [])
              for line in str(output.get("text", "")).splitlines() if line.startswith("searched")]
    assert report and "found 0 test lines" not in report[0], report


def test_a_kernel_that_exits_while_a_test_calls_it_loses_that_test_and_the_rest(graded):
    _, table, _ = graded
    notebook = rows(table, "crasher", NB4)
    assert notebook.loc["test-improved-model-type", "status"] == "passed"
    assert notebook.loc["test-predict-species-output", "status"] == "passed"
    assert notebook.loc["test-improved-model-trained", "status"] == "passed"
    for test in ("test-accuracy-threshold", "test-predict-species-generalises"):
        assert notebook.loc[test, "score"] == 0 and notebook.loc[test, "status"] == "error"


def parents() -> dict[int, int]:
    """Every process on this machine: pid -> parent pid."""
    return {pid: int(fields["PPid"]) for pid, fields in sandbox.process_statuses().items()}


def judge_processes() -> dict[int, int]:
    """The judge's zygotes and judges started by this test (not another test's, running beside it,
    nor the bwrap processes whose command lines hold the zygote's): pid -> parent pid."""
    tree, found = parents(), {}
    for pid, parent in tree.items():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        ancestor = parent
        while ancestor not in (0, 1, os.getpid()):
            ancestor = tree.get(ancestor, 0)
        if len(argv) > 2 and argv[2].endswith(JUDGE_COMMAND) and ancestor == os.getpid():
            found[pid] = parent
    return found


def test_a_test_whose_judge_is_killed_scores_0_whatever_the_kernel_prints(tmp_path):
    sandbox.check()
    root = course(tmp_path, {"pretender": {NB4: with_function(PRETEND)}})
    stop, killed, first_seen = threading.Event(), [], {}

    def kill_long_judges():
        # A notebook's judge (a child of the judge's zygote) that has lived for 8 s is the one
        # waiting on the pretender's slow function: kill it.
        while not stop.wait(0.2):
            judges = judge_processes()
            for pid, parent in judges.items():
                if parent in judges:
                    first_seen.setdefault(pid, time.monotonic())
                    if time.monotonic() - first_seen[pid] > 8 and pid not in killed:
                        try:
                            os.kill(pid, 9)
                        except ProcessLookupError:  # it ended (and was reaped) meanwhile
                            continue
                        killed.append(pid)

    killer = threading.Thread(target=kill_long_judges, daemon=True)
    killer.start()
    try:
        table = grade.grade_class(Course(root), workers=1, time_limit=150)
    finally:
        stop.set()
        killer.join()
    assert killed, "no judge lived long enough to be killed"
    notebook = rows(table, "pretender", NB4)
    assert notebook.loc["test-improved-model-trained", "status"] == "passed"
    for test in ("test-accuracy-threshold", "test-predict-species-generalises"):
        assert notebook.loc[test, "score"] == 0 and notebook.loc[test, "status"] == "error"
    graded_course = Course(root)
    _, run = graded_course.read_run(Assignment(graded_course, ASSIGNMENT), "pretender")
    assert "judge" in next(n.message for n in run.notebooks if n.name == NB4)


def test_the_judge_runs_the_instructors_test_code_and_nothing_the_student_marked_as_a_test(tmp_path):
    """nbgrader itself refuses a notebook with a graded cell it does not know; should one get
    through, its code is the student's and runs in their kernel, and a known test runs the
    instructor's code whatever the submitted cell says."""
    from penguin_course.grading.execute import JudgedClient, assignment_judge

    def test_cell(grade_id, source):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                     "grade_id": grade_id, "schema_version": 3}
        return cell

    notebook = nbformat.v4.new_notebook(cells=[
        test_cell("test-of-my-own", "import sys\nprint('ran in', sys.argv[0])"),
        test_cell("test-known", "print('the student rewrote this test')"),
    ])
    client = JudgedClient(notebook, timeout=120, allow_errors=True, kernel_name="python3",
                          resources={"metadata": {"path": str(tmp_path)}})
    client.judge = assignment_judge(SOURCE)
    client.tests = {"test-known": "import sys\nprint('the instructor wrote this test, run in', sys.argv[0])"}
    try:
        client.execute()
    finally:
        client.end_judging()
    own, known = ("".join(output.get("text", "") for output in cell.outputs) for cell in notebook.cells)
    assert "ran in" in own and "judge_process" not in own  # the kernel's argv, not the judge's
    assert known.startswith("the instructor wrote this test, run in") and known.endswith("/judge_process.py\n")


def test_a_judge_that_has_ended_leaves_nothing_in_its_sandbox_but_the_zygote():
    """Closing the judge's sandbox waits until every process in it has gone: a judge left
    unreaped (a zombie) would keep every grading worker waiting for it at its end."""
    sandbox.check()
    judge = Judge([], [], sandboxed=True)
    judge.start()

    def others() -> list[int]:
        return [inside for inside in sandbox.namespace_members(judge.sandbox.namespace).values()
                if inside not in (1, judge.sandbox.zygote_pid)]

    try:
        judge.open(time.monotonic() + 60).close()
        deadline = time.monotonic() + 5
        while (left := others()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"processes {left} (as the sandbox sees them) outlived their judge"
    finally:
        judge.close()


def test_a_judge_whose_start_failed_starts_afresh_when_next_asked(monkeypatch):
    """A zygote that dies while starting (killed, out of memory, in a worker's warm-up that nobody
    waits for) leaves nothing half-started: the next notebook starts a new one."""
    sandbox.check()
    wait_ready, started = JudgeSandbox.wait_ready, []

    def dies_the_first_time(self):
        wait_ready(self)
        started.append(self.namespace)
        if len(started) == 1:
            raise JudgeFailed("the judge did not start")

    monkeypatch.setattr(JudgeSandbox, "wait_ready", dies_the_first_time)
    judge = Judge([], [], sandboxed=True)
    with pytest.raises(JudgeFailed):
        judge.start()
    try:
        deadline = time.monotonic() + 5  # its processes die with the zygote, a moment later
        while sandbox.namespace_members(started[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sandbox.namespace_members(started[0]), "the first sandbox was left running"
        judge.open(time.monotonic() + 60).close()
        assert len(started) == 2
    finally:
        judge.close()


def judged_output(judge: Judge, source: str) -> str:
    """What a test cell of ``source`` prints, judged by ``judge`` in its working folder."""
    session = judge.open(time.monotonic() + 60)
    try:
        session.send({"op": "run", "source": source, "name": "test", "cwd": str(judge.workdir)})
        message, _ = session.receive(time.monotonic() + 60)
        assert message["op"] == "done", message
        return "".join(output.get("text", "") + output.get("evalue", "") for output in message["outputs"])
    finally:
        session.close()


def test_grading_workers_share_the_run_s_judge_each_in_a_working_folder_of_its_own(tmp_path):
    """make grade starts each assignment's judge once for all its workers (``GradingRun``): a
    worker's judges are forked by the run's zygote, not by one of its own; each worker shares
    its students' files with them in a folder of its own, with the given files; a worker whose
    run judge has ended starts its own."""
    sandbox.check()
    given = tmp_path / "given.csv"
    given.write_text("given data")
    run = Judge([given], [], sandboxed=True)
    run.launch()  # as make grade does: the workers wait for it
    workers = [Judge([given], [], sandboxed=True) for _ in range(2)]
    try:
        for worker in workers:
            worker.adopt(run.shared_with_workers())
            worker.ready()
        assert workers[0].workdir != workers[1].workdir
        run.ready()
        for number, worker in enumerate(workers):
            (worker.workdir / "student.txt").write_text(f"student {number}")  # as share_files copies them
        printed = [judged_output(worker, "import os\nprint(sorted(os.listdir()), open('given.csv').read(), "
                                         "open('student.txt').read())") for worker in workers]
        assert printed == [f"['given.csv', 'student.txt'] given data student {number}\n" for number in range(2)]
        for worker in workers:
            assert worker.sandbox is None and worker.process is None, "no judge of the worker's own"
            session = worker.open(time.monotonic() + 60)
            try:
                assert session.pid in sandbox.namespace_members(run.sandbox.namespace).values()
                assert worker.outer_pids(session.pid), "the worker finds its judge's process, to kill it"
            finally:
                session.close()
        run.close()  # the run's judge has ended (killed, out of memory): the worker starts its own
        assert judged_output(workers[0], "print('judged')") == "judged\n"
        assert workers[0].sandbox is not None
    finally:
        for judge in (run, *workers):
            judge.close()


def test_make_grade_s_workers_take_up_the_run_s_judge():
    """The wiring of the above in make grade: a worker's judge of an assignment's tests, once it
    has taken up what the grading run started (``adopt_grading_run``), is the run's."""
    sandbox.check()
    assignment = Course(ROOT).assignment(ASSIGNMENT)
    run = autograde.GradingRun([assignment], sandboxed=True, students_to_run=False)  # a judge, no template
    try:
        autograde.adopt_grading_run(run.shared())
        judge = autograde.assignment_judge(assignment, sandboxed=True)
        judge.ready()
        assert judge.sandbox is None and judge.socket_path == run.judges[0][1].socket_path
        assert judged_output(judge, "print(open('penguins.csv').readline().strip())").startswith("species,")
    finally:
        autograde.assignment_judge(assignment, sandboxed=True).close()
        run.close()

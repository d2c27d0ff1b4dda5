"""Students check and submit: `make validate` means it; work reaches submitted/ through
nbgrader's exchange or from a learning platform's download (zip_collect)."""

import os
import shutil
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest

from penguin_course.exchanging import collect, exchange
from penguin_course.preparing import demo
from penguin_course.course import notebooks
from penguin_course.course.directory import Course
from penguin_course.grading.execute import run_notebook
from penguin_course.course.paths import ASSIGNMENT, NOTEBOOKS, RELEASE, ROOT, SOURCE
from penguin_course.students.validate import validate
from course_tests.conftest import DAY1

pytestmark = pytest.mark.slow
NB1, NB2 = NOTEBOOKS[0], NOTEBOOKS[1]


def student_copy(tmp_path, name, answers_of=demo.COMPLETE, change=None):
    """A student's folder as fetched (the release's files), with ``name`` filled in."""
    folder = tmp_path / ASSIGNMENT
    if not folder.exists():
        shutil.copytree(RELEASE, folder)
    notebook = notebooks.fill(notebooks.read(RELEASE / name), demo.answers_of(answers_of, name, DAY1))
    if change:
        change(notebook)
    nbformat.write(notebook, folder / name)
    return folder / name


def validate_command(path, *options):
    return subprocess.run([sys.executable, "-m", "penguin_course", "validate", str(path), *options],
                          cwd=ROOT, capture_output=True, text=True)


def test_validate_passes_a_complete_notebook_and_changes_nothing(tmp_path):
    path = student_copy(tmp_path, NB1)
    before = {p.name: p.read_bytes() for p in path.parent.iterdir()}
    run = validate_command(path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all 5 visible checks pass" in run.stdout
    assert {p.name: p.read_bytes() for p in path.parent.iterdir()} == before


def test_validate_lists_what_fails_and_exits_non_zero(tmp_path):
    run = validate_command(shutil.copy(RELEASE / NB1, tmp_path / NB1))
    assert run.returncode == 1
    assert "FAIL  test-n-samples-type: NameError: name 'n_samples' is not defined" in run.stdout
    assert "FAIL  n-samples: not answered yet" in run.stdout


def test_validate_runs_the_tests_as_handed_out(tmp_path):
    def weaken_tests(notebook):
        for cell in notebook.cells:
            if notebooks.is_autograded_test(cell):
                cell.source = "pass"
        answer = next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "n-samples")
        answer.source = "n_samples = 'many'"
        test = next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "test-species-names-type")
        notebook.cells.remove(test)
    checks, problem = validate(student_copy(tmp_path, NB1, change=weaken_tests))
    failed = {check.name: check.message for check in checks if not check.passed}
    assert set(failed) == {"test-n-samples-type", "test-species-names-type"} and not problem
    assert "deleted" in failed["test-species-names-type"]


def test_validate_stops_at_the_time_limit(tmp_path):
    def endless(notebook):
        answer = next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "species-names")
        answer.source = "while True:\n    pass"
    run = validate_command(student_copy(tmp_path, NB1, change=endless), "--time-limit", "20")
    assert run.returncode == 1 and "time limit" in run.stdout


def test_zip_collect_files_each_notebook_under_its_student(course_copy, tmp_path):
    shutil.copytree(RELEASE.parent, course_copy / "release")
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.write(RELEASE / NB1, f"ada_{NB1}")  # one file per student and notebook
        archive.write(RELEASE / NB2, f"ada_{NB2}")
        archive.write(RELEASE / NB1, f"platform-export/bob-smith_{NB1}")  # in a folder of the download
        archive.write(RELEASE / NB1, "notes.ipynb")  # no student in its name
        archive.write(RELEASE / NB2, f"carol/{NB2}")  # a folder per student is not the pattern
    with pytest.raises(collect.CollectError, match="say which one the archive is for with ASSIGNMENT=name"):
        collect.zip_collect(Course(course_copy), download)  # the course has several assignments
    found, skipped = collect.zip_collect(Course(course_copy), download, name=ASSIGNMENT)
    assert found == ["ada", "bob-smith"] and sorted(skipped) == ["download/carol/2-count-parameters.ipynb",
                                                                   "download/notes.ipynb"]
    assert sorted(p.name for p in (course_copy / "submitted" / "ada" / ASSIGNMENT).glob("*.ipynb")) == [NB1, NB2]
    assert (course_copy / "submitted" / "bob-smith" / ASSIGNMENT / NB1).read_bytes() == (RELEASE / NB1).read_bytes()


# nbgrader knows a student by the account that runs it; the tests run as one account, so a
# student's commands are told their name (nbgrader reads it from nbgrader.utils.get_osusername).
AS_STUDENT = ("import sys, nbgrader.utils; user = sys.argv.pop(1); nbgrader.utils.get_osusername = lambda: user; "
              "from nbgrader.apps.nbgraderapp import main; sys.argv[0] = 'nbgrader'; main()")


def nbgrader_as(user, home, env, *args):
    """A student's nbgrader command, run in the student's home as that student."""
    run = subprocess.run([sys.executable, "-c", AS_STUDENT, user, *args], cwd=home, capture_output=True, text=True,
                         env={**env, "HOME": str(home)})
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr


def test_the_exchange_carries_work_in_and_feedback_out(course_copy, tmp_path, monkeypatch):
    """Release, fetch, submit, collect, release feedback, fetch feedback: the exchange's round trip
    with nbgrader's own commands (the browser test does the student's side in JupyterLab)."""
    shutil.copytree(RELEASE.parent, course_copy / "release")
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(tmp_path / "exchange"))
    course = Course(course_copy)  # its nbgrader_config.py reads the exchange set above
    student_config = tmp_path / "student-config" / "nbgrader_config.py"
    folder, _ = exchange.create(course, config_path=student_config)
    assert oct(folder.stat().st_mode & 0o7777) == oct(exchange.EXCHANGE_MODE)
    exchange.release_assignment(course)

    home = tmp_path / "ada"
    home.mkdir()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(student_config.parent), "PYTHONPATH": str(ROOT)}
    nbgrader_as("ada", home, env, "fetch_assignment", ASSIGNMENT)
    fetched = home / ASSIGNMENT / NB1
    nbformat.write(notebooks.fill(notebooks.read(fetched), demo.answers_of(demo.COMPLETE, NB1, DAY1)), fetched)
    nbgrader_as("ada", home, env, "submit", ASSIGNMENT)

    collect.collect(course)
    submitted = course_copy / "submitted" / "ada" / ASSIGNMENT
    assert (submitted / NB1).read_bytes() == fetched.read_bytes()
    assert (submitted / "submission_secret.txt").exists()

    # feedback as `make grade` leaves it (grading itself is tested elsewhere)
    feedback = course_copy / "feedback" / "ada" / ASSIGNMENT
    feedback.mkdir(parents=True)
    for name in ("timestamp.txt", "submission_secret.txt"):
        shutil.copy(submitted / name, feedback / name)
    (feedback / "1-inspect-dataset.html").write_text("<p>Score: 11 / 11</p>")
    assert exchange.release_feedback(course) == ["ada"]

    log = nbgrader_as("ada", home, env, "fetch_feedback", ASSIGNMENT)
    pages = list((home / ASSIGNMENT / "feedback").rglob("1-inspect-dataset.html"))
    assert len(pages) == 1 and "Score: 11 / 11" in pages[0].read_text(), log
    assert exchange.SUPERSEDED not in pages[0].read_text()

    # ada submits again; her new feedback is released: her first page says it was superseded
    time.sleep(1.1)  # a later timestamp (nbgrader's have microseconds; the folders, seconds)
    nbgrader_as("ada", home, env, "submit", ASSIGNMENT)
    collect.collect(course)
    for name in ("timestamp.txt", "submission_secret.txt"):
        shutil.copy(submitted / name, feedback / name)
    latest = (feedback / "timestamp.txt").read_text().strip()
    (feedback / "1-inspect-dataset.html").write_text("<html><body><p>Score: 10 / 11</p></body></html>")
    assert exchange.release_feedback(course) == ["ada"]
    log = nbgrader_as("ada", home, env, "fetch_feedback", ASSIGNMENT)
    pages = {page.parent.name: page.read_text() for page in (home / ASSIGNMENT / "feedback").rglob("1-inspect-dataset.html")}
    assert len(pages) == 2, log
    first, second = pages[min(pages)], pages[max(pages)]
    assert max(pages) == latest and "Score: 10 / 11" in second and exchange.SUPERSEDED not in second
    assert first.index(exchange.SUPERSEDED) < first.index("Score: 11 / 11"), "the notice comes first"
    assert f"feedback/{latest}/" in first
    exchange.release_feedback(course)  # released again: the notice is there once
    nbgrader_as("ada", home, env, "fetch_feedback", ASSIGNMENT)
    assert (home / ASSIGNMENT / "feedback" / min(pages) / "1-inspect-dataset.html").read_text().count(
        exchange.SUPERSEDED) == 1


STUDENT_ACTIVATION = """
def my_relu(x):
    return keras.ops.maximum(x, 0.0)

inputs = keras.Input(shape=(4,))
hidden_layer = keras.layers.Dense(10, activation=my_relu)(inputs)
output_layer = keras.layers.Dense(3, activation="softmax")(hidden_layer)
model = keras.Model(inputs=inputs, outputs=output_layer)
"""


def test_validate_fails_what_the_grader_cannot_check_with_the_grade_s_message(tmp_path):
    """A model with an activation of the student's own passes the visible test in the kernel, but
    cannot cross to the judge when graded: validate says so, naming the variable, as the grade will."""
    def own_activation(notebook):
        next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "build-model").source = STUDENT_ACTIVATION
    path = student_copy(tmp_path, NB2, change=own_activation)
    run = validate_command(path)
    assert run.returncode == 1, run.stdout
    line = next(line for line in run.stdout.splitlines() if "test-model-type" in line)
    assert line.startswith("  FAIL  test-model-type: CrossingRefused: model (") and "'my_relu'" in line
    graded = run_notebook(notebooks.restore_tests(notebooks.read(path), notebooks.read(SOURCE / NB2)))
    assert line == f"  FAIL  test-model-type: {graded['test-model-type'].message}"
    assert not graded["test-model-type"].passed


def test_validate_checks_the_model_file_a_hidden_test_loads(tmp_path):
    def own_activation(notebook):
        cell = next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "build-compile")
        cell.source = ("def my_softmax(x):\n    return keras.ops.softmax(x)\n\n"
                       + cell.source.replace('activation="softmax"', "activation=my_softmax"))
    run = validate_command(student_copy(tmp_path, NOTEBOOKS[2], change=own_activation))
    assert run.returncode == 1
    line = next(line for line in run.stdout.splitlines() if "my_first_model.keras:" in line)
    assert line.startswith("  FAIL  my_first_model.keras: CrossingRefused: its my_first_model.keras") \
        and "the function 'my_softmax'" in line, line


@pytest.mark.parametrize("assignment", Course(ROOT).assignments, ids=lambda assignment: assignment.name)
def test_validate_on_a_source_notebook_runs_the_hidden_tests_and_says_so(assignment, tmp_path):
    name = assignment.notebooks[0]
    with_hidden = [test.grade_id for test in notebooks.autograded_tests(assignment.source, [name]) if test.hidden]
    assert with_hidden, f"{name} has hidden tests to show"
    run = validate_command(assignment.source / name)
    assert run.returncode == 0, run.stdout + run.stderr
    assert {line.split()[1] for line in run.stdout.splitlines() if line.endswith("(hidden)")} == set(with_hidden)
    assert f"{len(with_hidden)} of them with hidden tests (a source notebook" in run.stdout
    # a copy outside source/ is a student's: its tests are put back as handed out, the hidden ones gone
    copy = shutil.copytree(assignment.source, tmp_path / assignment.name)
    students = validate_command(copy / name)
    assert "(hidden)" not in students.stdout and "visible checks pass" in students.stdout, students.stdout

"""`make grade` on every push: a run that finds nothing changed writes nothing and imports
nothing heavy; a hand grade since the last run rewrites the outputs without grading anyone;
a changed submission is graded again. Run as `python -m penguin_course grade` in a copy of the
course, as `make grade` runs it."""

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from penguin_course.course import uptodate
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, ROOT

pytestmark = pytest.mark.slow

STUDENT = "demo-complete"
OUTPUTS = ["grades.csv", "grades-by-test.csv", "report.html", f"feedback/{STUDENT}/{ASSIGNMENT}/1-inspect-dataset.html"]
# Printed by the command when it runs: which of the heavy modules it imported.
SHOW_IMPORTS = "import runpy, sys; runpy.run_module('penguin_course', run_name='__main__', alter_sys=True)"


def make_grade(root):
    """`python -m penguin_course grade` in ``root``; (exit code, output, heavy modules it imported)."""
    probe = ("import atexit, json, sys; atexit.register(lambda: print('IMPORTED ' + json.dumps(sorted("
             "{'nbgrader', 'pandas', 'jupyter_client', 'nbformat'} & set(sys.modules)))))\n")
    run = subprocess.run([sys.executable, "-c", probe + "import sys; sys.argv = ['penguin_course', 'grade']\n"
                          + SHOW_IMPORTS], cwd=root, capture_output=True, text=True, timeout=900)
    imported = json.loads(run.stdout.rsplit("IMPORTED ", 1)[1])
    return run.returncode, run.stdout + run.stderr, imported


def mtimes(root):
    return {name: (root / name).stat().st_mtime_ns for name in OUTPUTS + ["gradebook.db"]}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    for folder in ("source", "release", "penguin_course"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nbgrader_config.py", "environment.yml"):  # the students' pins go into course_tools.pyz
        shutil.copy2(ROOT / name, root / name)
    # no autograded/ yet, as in a course set up without it: the first run makes it and records its release
    shutil.copytree(DEMO_SUBMISSIONS / STUDENT, root / "submitted" / STUDENT)
    code, output, _ = make_grade(root)
    assert code == 0 and f"graded {STUDENT}" in output, output
    return root


def test_a_run_that_finds_nothing_changed_writes_nothing_and_imports_nothing_heavy(course):
    before = mtimes(course)
    code, output, imported = make_grade(course)
    assert code == 0 and "nothing changed since the last run: 1 students" in output, output
    assert imported == [], imported
    assert mtimes(course) == before


def test_a_hand_grade_since_the_last_run_rewrites_the_outputs_without_grading(course):
    with sqlite3.connect(course / "gradebook.db") as db:
        given = db.execute("UPDATE grade SET manual_score = 1, needs_manual_grade = 0 "
                           "WHERE id = (SELECT id FROM grade WHERE needs_manual_grade = 1 LIMIT 1)")
        assert given.rowcount == 1
    assert not uptodate.nothing_to_do(Course(course), course / "submitted")
    code, output, imported = make_grade(course)
    assert code == 0 and f"graded {STUDENT}" not in output and "grading" not in output, output
    assert "pandas" in imported  # it wrote the outputs
    assert uptodate.nothing_to_do(Course(course), course / "submitted") == 1


def test_a_changed_submission_is_graded_again(course):
    notebook = course / "submitted" / STUDENT / ASSIGNMENT / "1-inspect-dataset.ipynb"
    notebook.write_text(notebook.read_text().replace("penguins.head()", "penguins.tail()"))
    assert not uptodate.nothing_to_do(Course(course), course / "submitted")
    code, output, _ = make_grade(course)
    assert code == 0 and f"graded {STUDENT}" in output, output
    assert uptodate.nothing_to_do(Course(course), course / "submitted") == 1


def test_changed_exercises_release_and_grade_again(course):
    helpers = course / "source" / ASSIGNMENT / "penguin_checks.py"
    helpers.write_text(helpers.read_text() + "\n# a comment\n")
    assert not uptodate.release_is_current(Course(course))
    code, output, _ = make_grade(course)
    assert code == 0 and f"graded {STUDENT}" in output, output
    assert uptodate.release_is_current(Course(course)) and uptodate.nothing_to_do(Course(course), course / "submitted") == 1


def test_make_release_of_one_assignment_marks_it_current_and_leaves_the_others(course):
    assignments = {a.name: a for a in Course(course).assignments}
    assert len(assignments) >= 2 and uptodate.release_is_current(Course(course))
    changed, other = assignments["monitor-training"], assignments[ASSIGNMENT]
    helpers = changed.source / "hidden_monitoring.py"
    helpers.write_text(helpers.read_text() + "\n# a comment\n")
    assert uptodate.stale_releases(Course(course)) == [changed]
    other_release = {path.name: path.stat().st_mtime_ns for path in other.release.iterdir()}
    run = subprocess.run([sys.executable, "-m", "penguin_course", "release", "--assignment", changed.name],
                         cwd=course, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert uptodate.release_is_current(Course(course)), "make grade will not release it again"
    assert {path.name: path.stat().st_mtime_ns for path in other.release.iterdir()} == other_release

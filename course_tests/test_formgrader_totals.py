"""Formgrader's totals are grades.csv's: after the late penalty (penguin_course.outputs.formgrader).

The synthetic class of test_deadlines (ada and dan late, 4 of 5 points each before the penalty),
read through the API formgrader's pages call, compared with the grades.csv that nbgrader's own
export writes from the same gradebook. test_browser reads the same figures off formgrader's
pages for a student who submitted late through the exchange.
"""

import csv
import json
import shutil
import sys

import pytest
from jupyter_core.paths import jupyter_config_path
from jupyter_server.extension.config import ExtensionConfigManager
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from course_tests.test_deadlines import DAY1, SUBMITTED, synthetic_course
from penguin_course.course.directory import Course
from penguin_course.course.nbgrader_cli import nbgrader
from penguin_course.outputs import deadlines
from penguin_course.outputs.formgrader import LatePenaltyAPI, page_templates
from penguin_course.setup import instructor_jupyter

NOTEBOOK = "1-notebook"


@pytest.fixture(scope="module")
def settled(tmp_path_factory) -> Course:
    course = synthetic_course(tmp_path_factory.mktemp("late-class"))
    deadlines.settle(course)
    for student, submitted in SUBMITTED.items():  # and counts as graded what autograded/ has, as submitted
        (course.root / "submitted" / student / DAY1).mkdir(parents=True)
        (course.root / "submitted" / student / DAY1 / "timestamp.txt").write_text(str(submitted))
        (course.root / "autograded" / student / DAY1).mkdir(parents=True)
        (course.root / "autograded" / student / DAY1 / f"{NOTEBOOK}.ipynb").write_text("{}")
    nbgrader(course, "export")  # nbgrader's grades.csv: score = raw_score - late_submission_penalty
    return course


def api(course: Course, kind: type[NbGraderAPI]) -> NbGraderAPI:
    config = course.config
    config.CourseDirectory.root = str(course.root)
    config.CourseDirectory.db_url = course.db_url  # nbgrader_config.py's is relative to the folder it runs in
    return kind(CourseDirectory(config=config), config=config)


def grades_csv(course: Course) -> dict[str, float]:
    with (course.root / "grades.csv").open() as file:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(file)}


def test_the_class_has_late_students(settled):
    assert grades_csv(settled) == {"ada": 3.6, "bob": 4.0, "cy": 4.0, "dan": 3.6}
    plain = api(settled, NbGraderAPI)
    assert {s["id"]: s["score"] for s in plain.get_students()}["ada"] == 4.0, "nbgrader's own formgrader shows 4"


def test_every_total_formgrader_shows_is_grades_csv_s(settled):
    expected = grades_csv(settled)
    formgrader = api(settled, LatePenaltyAPI)
    assert {s["id"]: s["score"] for s in formgrader.get_students()} == expected  # Manage Students
    assert {s: formgrader.get_student(s)["score"] for s in expected} == expected
    assert {s["student"]: s["score"] for s in formgrader.get_submissions(DAY1)} == expected  # Manage Submissions
    for student, score in expected.items():  # a student's assignments, and their notebooks
        assert [s["score"] for s in formgrader.get_student_submissions(student)] == [score]
        assert formgrader.get_submission(DAY1, student)["score"] == score
    by_notebook = {n["student"]: n["score"] for n in formgrader.get_notebook_submissions(DAY1, NOTEBOOK)}
    assert by_notebook == expected  # Manual Grading, a notebook's submissions


def test_the_averages_are_of_grades_csv_s_scores(settled):
    average = pytest.approx(sum(grades_csv(settled).values()) / 4)
    formgrader = api(settled, LatePenaltyAPI)
    assert formgrader.get_assignment(DAY1)["average_score"] == average
    assert [n["average_score"] for n in formgrader.get_notebooks(DAY1)] == [average]


def test_a_notebook_missing_from_autograded_keeps_nbgrader_s_zero(settled, tmp_path):
    # nbgrader lists a graded notebook whose file is gone with score 0 and no id: nothing to take off
    shutil.copytree(settled.root, tmp_path, dirs_exist_ok=True)
    (tmp_path / "autograded" / "ada" / DAY1 / f"{NOTEBOOK}.ipynb").unlink()
    rows = api(Course(tmp_path), LatePenaltyAPI).get_student_notebook_submissions("ada", DAY1)
    assert [(row["id"], row["score"]) for row in rows] == [(None, 0)]


def test_formgrader_s_pages_say_which_scores_they_show():
    page = page_templates().get_template("manage_students.tpl").render(base_url="")
    assert "Manage Students" in page and 'id="main-table"' in page  # nbgrader's page, whole
    assert "after the late penalty" in page and "code and written scores are before it" in page


def test_the_instructors_environment_serves_the_course_s_formgrader():
    # make writes this when it builds .venv (penguin_course.setup.instructor_jupyter)
    assert sys.prefix != sys.base_prefix, "the tests run in the course's environment"
    extensions = ExtensionConfigManager(read_config_path=jupyter_config_path())
    assert extensions.enabled(instructor_jupyter.COURSE_FORMGRADER)
    assert not extensions.enabled(instructor_jupyter.NBGRADER_FORMGRADER), "its totals are before the penalty"


def test_install_makes_the_course_importable_and_swaps_the_extensions(tmp_path):
    course = tmp_path / "a course"
    pth, config = instructor_jupyter.install(prefix=tmp_path / "env", course=course)
    assert pth.name.endswith(".pth") and pth.read_text().strip() == str(course)
    assert "site-packages" in pth.parts
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"] == {
        instructor_jupyter.NBGRADER_FORMGRADER: False, instructor_jupyter.COURSE_FORMGRADER: True}
    # Jupyter reads the folder's files in name order: the course's after nbgrader's own
    assert sorted([config.name, "nbgrader.json"])[-1] == config.name
    shutil.rmtree(tmp_path / "env")

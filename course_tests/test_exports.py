"""`make export` and `make roster`: the gradebook's grades in the files learning platforms import.

A synthetic gradebook (nbgrader's API, no grading) with the names and ids that break naive
CSV writing: a comma and a quote in a name, accents, ids with leading zeros, a student who
submitted one of two assignments, one graded by hand, one without an email. Each platform's
file is compared byte for byte with a golden file in course_tests/golden/exports/, checked by
hand against the platform's import rules (see penguin_course/outputs/exports.py).
"""

import csv
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from penguin_course.course.directory import Course
from penguin_course.course.nbgrader_cli import nbgrader
from penguin_course.course.paths import ROOT
from penguin_course.outputs import exports

GOLDEN = Path(__file__).parent / "golden" / "exports"
DAY1, DAY2 = "penguin-classification", "day-2"
ROSTER = [  # id, first_name, last_name, email, lms_user_id
    ("007", "Ada", "Lovelace", "ada@uni.example", "0042"),
    ("bob", 'Robert "Bob"', "Tables, Jr.", "bob@uni.example", "1001"),
    ("cy", "Cyrille", "Ébène", "", "1002"),  # no email: Moodle cannot match her by email
]
SETTINGS = """
c.CourseExports.titles = {"penguin-classification": "Day 1: penguins"}
c.CourseExports.canvas_ids = {"penguin-classification": "4521"}
"""


def synthetic_course(root: Path) -> Course:
    """Two assignments (day 1: a test worth 3 and a written answer worth 2; day 2: a test worth 5);
    ada has both, bob day 1 only (his answer graded by hand, 1.5 of 2), cy day 1 with a late penalty."""
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    with (root / "nbgrader_config.py").open("a") as config:
        config.write(SETTINGS)
    course = Course(root)
    nbgrader(course, "db", "assignment", "add", DAY1)  # nbgrader's own command creates the gradebook
    with Gradebook(course.db_url) as gradebook:
        gradebook.add_notebook("1-notebook", DAY1)
        gradebook.add_grade_cell("test-a", "1-notebook", DAY1, max_score=3, cell_type="code")
        gradebook.add_grade_cell("answer-b", "1-notebook", DAY1, max_score=2, cell_type="markdown")
        gradebook.add_solution_cell("answer-b", "1-notebook", DAY1)
        gradebook.add_assignment(DAY2)
        gradebook.add_notebook("1-other", DAY2)
        gradebook.add_grade_cell("test-c", "1-other", DAY2, max_score=5, cell_type="code")
        for student in ("007", "bob", "cy"):
            gradebook.add_student(student)
        scores = {("007", DAY1): (3, 2), ("007", DAY2): (4,), ("bob", DAY1): (3, None), ("cy", DAY1): (0, 1)}
        for (student, assignment), points in scores.items():
            submission = gradebook.add_submission(assignment, student)
            grades = sorted(submission.notebooks[0].grades, key=lambda grade: grade.name, reverse=True)
            for grade, score in zip(grades, points):
                grade.auto_score = score
                grade.needs_manual_grade = False
            if (student, assignment) == ("bob", DAY1):
                grades[1].manual_score = 1.5
        gradebook.db.commit()
        gradebook.find_submission(DAY1, "cy").notebooks[0].late_submission_penalty = 0.5
        gradebook.db.commit()
    return course


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course = synthetic_course(root)
    roster = root / "students.csv"
    with roster.open("w", newline="", encoding="utf-8-sig") as file:  # as a spreadsheet saves it
        csv.writer(file).writerows([exports.ROSTER_COLUMNS, *ROSTER])
    assert exports.import_roster(course, roster) == 3
    return course


@pytest.mark.parametrize("platform", exports.PLATFORMS)
def test_each_platform_s_file_is_what_its_importer_reads(course, platform):
    written, _ = exports.export(course)
    path = course.root / "exports" / f"{platform}.csv"
    assert path in written
    assert path.read_bytes() == (GOLDEN / f"{platform}.csv").read_bytes()


def test_the_roster_reaches_the_gradebook_with_its_leading_zeros_commas_and_quotes(course):
    with Gradebook(course.db_url) as gradebook:
        found = {student.id: (student.first_name, student.last_name, student.email or "", student.lms_user_id)
                 for student in gradebook.students}
    assert found == {row[0]: row[1:] for row in ROSTER}


def test_a_student_a_platform_cannot_identify_is_named_and_left_out_of_its_file_only(course):
    _, unidentified = exports.export(course)
    assert unidentified == ["moodle: cy (no email address)"]
    with (course.root / "exports" / "moodle.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert [row[0] for row in rows] == ["Email address", "ada@uni.example", "bob@uni.example"]
    with (course.root / "exports" / "blackboard.csv").open(encoding="utf-8-sig", newline="") as file:
        assert [row[0] for row in csv.reader(file)] == ["Username", "007", "bob", "cy"]


def test_a_roster_without_an_id_column_changes_nothing(course, tmp_path):
    roster = tmp_path / "wrong.csv"
    roster.write_text("student,email\nada,ada@uni.example\n")
    with pytest.raises(exports.ExportError, match="must be 'id'"):
        exports.import_roster(course, roster)


def test_a_moodle_identity_the_course_names_wrongly_is_an_error(course, tmp_path):
    shutil.copytree(course.root, tmp_path / "course")
    with (tmp_path / "course" / "nbgrader_config.py").open("a") as config:
        config.write('c.CourseExports.moodle_identity = "login"\n')
    with pytest.raises(exports.ExportError, match="moodle_identity"):
        exports.export(Course(tmp_path / "course"))


def test_only_the_platforms_the_course_uses_are_written_and_can_fail_the_export(tmp_path, monkeypatch, capsys):
    """A Canvas-only course without a roster exports and exits 0 (Canvas knows students by their id);
    with Moodle among its platforms, the same course fails, naming who Moodle cannot identify."""
    from penguin_course import __main__ as command

    synthetic_course(tmp_path)  # no roster: nobody has an e-mail address
    config = tmp_path / "nbgrader_config.py"
    monkeypatch.setattr(command, "ROOT", tmp_path)
    with config.open("a") as file:
        file.write('c.CourseExports.platforms = ["canvas"]\n')
    assert command.main(["export"]) == 0
    assert sorted(path.name for path in (tmp_path / "exports").glob("*.csv")) == ["canvas.csv", "lateness.csv"]
    capsys.readouterr()
    with config.open("a") as file:
        file.write('c.CourseExports.platforms = ["canvas", "moodle"]\n')
    assert command.main(["export"]) == 1
    assert "moodle: 007 (no email address)" in capsys.readouterr().err
    with config.open("a") as file:
        file.write('c.CourseExports.platforms = ["canvas", "d2l"]\n')
    with pytest.raises(exports.ExportError, match="unknown platform 'd2l'"):
        exports.export(Course(tmp_path))

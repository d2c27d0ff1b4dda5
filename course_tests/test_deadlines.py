"""Deadlines, lateness and extensions, on a synthetic gradebook (nbgrader's API, no grading).

The day-1 assignment is due 2026-12-14 17:00 UTC (set as formgrader sets it, in the gradebook). ada submits 24 s after it; bob an hour before;
cy a day and six hours after, within the 48 hours more that extensions.csv gives her; dan has his
own deadline (a date-time with an offset) and submits 3 hours past it. (make demo's class, in
test_demo, shows the same through grading, the pages and the report.)
"""

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from penguin_course.course.directory import Course
from penguin_course.course.nbgrader_cli import nbgrader
from penguin_course.course.paths import ROOT
from penguin_course.outputs import deadlines
from penguin_course.outputs import exports

from course_tests.conftest import gradebook_contents

DAY1 = "penguin-classification"
DUE = datetime(2026, 12, 14, 17, 0)
SUBMITTED = {"ada": DUE + timedelta(seconds=24), "bob": DUE - timedelta(hours=1),
             "cy": DUE + timedelta(days=1, hours=6), "dan": DUE + timedelta(days=3, hours=3)}
EXTENSIONS = """student_id,assignment,due
# cy was ill; dan's deadline is in his own time zone
cy,penguin-classification,+48
dan,penguin-classification,2026-12-17T18:00:00+01:00
"""
SCORE = 4.0  # each student's notebook: 4 of 5


def synthetic_course(root: Path) -> Course:
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    (root / "extensions.csv").write_text(EXTENSIONS)
    (root / "source" / DAY1).mkdir(parents=True)  # the assignment, as due-dates.csv and formgrader find it
    nbformat.write(nbformat.v4.new_notebook(), root / "source" / DAY1 / "1-notebook.ipynb")
    course = Course(root)
    nbgrader(course, "db", "assignment", "add", DAY1)  # nbgrader's own command creates the gradebook
    with Gradebook(course.db_url) as gradebook:
        gradebook.update_or_create_assignment(DAY1, duedate=DUE)
        gradebook.add_notebook("1-notebook", DAY1)
        gradebook.add_grade_cell("test-a", "1-notebook", DAY1, max_score=5, cell_type="code")
        for student, submitted in SUBMITTED.items():
            gradebook.add_student(student)
            submission = gradebook.add_submission(DAY1, student, timestamp=submitted)
            grade = submission.notebooks[0].grades[0]
            grade.auto_score, grade.needs_manual_grade = SCORE, False
        gradebook.db.commit()
    return course


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return synthetic_course(tmp_path_factory.mktemp("template")).root


@pytest.fixture
def course(template, tmp_path):
    """A fresh copy of the synthetic course (nbgrader takes seconds to create a gradebook)."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    return Course(tmp_path)


def penalties(course: Course) -> dict[str, float | None]:
    with course.gradebook() as gradebook:
        return {submission.student_id: submission.notebooks[0].late_submission_penalty
                for submission in gradebook.find_assignment(DAY1).submissions}


def test_the_course_policy_takes_a_share_of_the_score_per_day_or_part_of_one():
    policy = deadlines.LatePolicy(percent_per_day=10)
    assert policy.late_submission_penalty("ada", 4.0, 24) == pytest.approx(0.4)
    assert policy.late_submission_penalty("ada", 4.0, 86400) == pytest.approx(0.4)
    assert policy.late_submission_penalty("ada", 4.0, 86401) == pytest.approx(0.8)
    assert policy.late_submission_penalty("ada", 4.0, 30 * 86400) == 4.0, "never more than the score"
    assert policy.late_submission_penalty("ada", 4.0, 0) is None
    graceful = deadlines.LatePolicy(percent_per_day=10, grace_minutes=5)
    assert graceful.late_submission_penalty("ada", 4.0, 24) is None
    assert graceful.late_submission_penalty("ada", 4.0, 301) == pytest.approx(0.4)
    assert deadlines.LatePolicy(percent_per_day=100).late_submission_penalty("ada", 4.0, 24) == 4.0


def test_nbgrader_config_states_the_course_policy(course):
    plugin = deadlines.late_plugin(course.config)
    assert isinstance(plugin, deadlines.LatePolicy) and plugin.percent_per_day == 10
    assert deadlines.policy_text(course.config) == "each day, or part of one, late takes 10% off a notebook's score"


def test_lateness_counts_from_each_student_s_own_deadline(course):
    assert deadlines.settle(course) == []
    assert penalties(course) == {"ada": pytest.approx(0.4), "bob": None, "cy": None, "dan": pytest.approx(0.4)}
    table = deadlines.lateness_shown(course).set_index("student_id")
    assert table.loc["ada", "late_by"] == "24 seconds" and table.loc["ada", "due"] == "2026-12-14 17:00:00 UTC"
    assert not table.loc["ada", "extended"] and table.loc["cy", "extended"] and table.loc["dan", "extended"]
    assert table.loc["cy", "due"] == "2026-12-16 17:00:00 UTC" and table.loc["cy", "late_by_seconds"] == 0
    assert table.loc["dan", "due"] == "2026-12-17 17:00:00 UTC" and table.loc["dan", "late_by"] == "3 hours"
    # the platforms' files count the score less the penalty
    exports.export(course)
    blackboard = (course.root / "exports" / "blackboard.csv").read_text(encoding="utf-8-sig").splitlines()
    assert blackboard[0].split(",")[0] == "Username" and blackboard[0].endswith(",penguin-classification")
    assert {line.split(",")[0]: line.split(",")[-1] for line in blackboard[1:]} == {
        "ada": "3.6", "bob": "4", "cy": "4", "dan": "3.6"}


def test_a_changed_extension_due_date_or_hand_grade_changes_the_penalty(course):
    deadlines.settle(course)
    (course.root / "extensions.csv").write_text("student_id,assignment,due\nada,penguin-classification,+1\n")
    deadlines.settle(course)
    assert penalties(course) == {"ada": None, "bob": None, "cy": pytest.approx(0.8), "dan": pytest.approx(1.6)}
    with course.gradebook() as gradebook:  # formgrader's Manage Assignments: a later due date
        gradebook.update_or_create_assignment(DAY1, duedate=DUE + timedelta(days=2))
        grade = gradebook.find_submission(DAY1, "dan").notebooks[0].grades[0]
        grade.manual_score = 5.0  # and a grader gives dan full marks by hand
        gradebook.db.commit()
    deadlines.settle(course)
    assert penalties(course) == {"ada": None, "bob": None, "cy": None, "dan": pytest.approx(1.0)}  # 20% of 5


def test_settling_again_writes_nothing(course):
    deadlines.settle(course)
    gradebook = course.root / "gradebook.db"
    before = gradebook.stat().st_mtime_ns
    deadlines.settle(course)
    assert gradebook.stat().st_mtime_ns == before, "an unchanged gradebook is not written (it would mark the outputs stale)"


@pytest.mark.parametrize("line, expected", [
    ("ada,penguin-classification,tomorrow", "line 3: due 'tomorrow': expected a date and time"),
    ("ada,penguin-classification,2026-12-20", "line 3: due '2026-12-20' has no time of day"),
    ("ada,day-9,+24", "line 3: there is no assignment 'day-9'"),
    ("ada,penguin-classification", "line 3: expected 3 values"),
    (",penguin-classification,+24", "line 3: the student_id is empty"),
    ("ada,penguin-classification,2026-12-13 17:00", "line 3: 2026-12-13 17:00:00 UTC is before the assignment's"),
    ("cy,penguin-classification,+12", "line 3: cy already has an extension for penguin-classification on line 2"),
])
def test_a_malformed_line_is_named_and_changes_nothing(course, line, expected):
    (course.root / "extensions.csv").write_text("student_id,assignment,due\ncy,penguin-classification,+48\n")
    deadlines.settle(course)
    before = gradebook_contents(course.db_url)
    (course.root / "extensions.csv").write_text(f"student_id,assignment,due\ncy,penguin-classification,+24\n{line}\n")
    with pytest.raises(deadlines.ExtensionsError) as error:
        deadlines.settle(course)
    assert f"{course.root / 'extensions.csv'}, {expected}" in str(error.value)
    assert gradebook_contents(course.db_url) == before


def test_a_file_without_its_header_is_refused(course):
    (course.root / "extensions.csv").write_text("ada,penguin-classification,+48\n")
    with pytest.raises(deadlines.ExtensionsError, match="line 1: expected the columns student_id,assignment,due"):
        deadlines.settle(course)


def test_hours_wait_for_a_due_date(course):
    with course.gradebook() as gradebook:
        gradebook.update_or_create_assignment(DAY1, duedate=None)
    notes = deadlines.settle(course)
    assert notes == [f"extensions.csv, line {line}: {DAY1} has no due date yet, so the extension of {student} waits "
                     "for one (set it in formgrader, Manage Assignments)" for line, student in ((3, "cy"), (4, "dan"))]
    assert set(penalties(course).values()) == {None}, "nothing is late without a due date"
    assert (deadlines.lateness(course)["late_by_seconds"] == 0).all()


def test_the_page_says_when_it_came_against_which_deadline_and_what_it_cost(course):
    config = course.config
    late = deadlines.lateness_line(DUE + timedelta(days=1, hours=2), DUE, DUE, 0.8, config)
    assert late == ("**Submitted 2026-12-15 19:00:00 UTC, 1 day 2 hours after the deadline (2026-12-14 17:00:00 UTC)**: "
                    "the late penalty takes 0.8 points off this notebook's score (the course's late policy: each day, "
                    "or part of one, late takes 10% off a notebook's score).")
    extended = deadlines.lateness_line(DUE + timedelta(hours=30), DUE + timedelta(hours=48), DUE, None, config)
    assert extended == ("Submitted 2026-12-15 23:00:00 UTC, before your deadline (2026-12-16 17:00:00 UTC, with the "
                        "extension you were given; the assignment's was 2026-12-14 17:00:00 UTC).")
    config.NbGraderAPI.timezone = "Europe/Amsterdam"
    assert "before the deadline (2026-12-14 18:00:00 CET)" in deadlines.lateness_line(DUE, DUE, DUE, None, config)


# due-dates.csv: each assignment's due date in the repository

def due_dates_file(course: Course, *lines: str) -> None:
    (course.root / deadlines.DUE_DATES).write_text("assignment,due\n# a comment\n" + "".join(f"{line}\n" for line in lines))


def gradebook_due(course: Course) -> datetime | None:
    with course.gradebook() as gradebook:
        return gradebook.find_assignment(DAY1).duedate


def test_the_file_s_due_date_wins_over_formgrader_s_and_says_so(course):
    due_dates_file(course, f"{DAY1},2026-12-15 17:00")  # a day later than the gradebook's (formgrader's)
    notes = deadlines.settle(course)
    assert gradebook_due(course) == DUE + timedelta(days=1)
    assert notes == [f"due-dates.csv, line 3: {DAY1} is due 2026-12-15 17:00:00 UTC; the gradebook had "
                     "2026-12-14 17:00:00 UTC (set in formgrader?): the file's date wins"]
    # ada (24 s after the old date) is on time now; dan's own deadline is his extension's (3 hours late)
    assert penalties(course) == {"ada": None, "bob": None, "cy": None, "dan": pytest.approx(0.4)}
    assert deadlines.settle(course) == [], "applied once, said once"


def test_a_gradebook_without_due_dates_gets_the_file_s(course):
    # a fresh clone in CI: nobody opened formgrader, the gradebook has no due date
    with course.gradebook() as gradebook:
        gradebook.update_or_create_assignment(DAY1, duedate=None)
    deadlines.settle(course)
    assert penalties(course) == {"ada": None, "bob": None, "cy": None, "dan": None}, "no due date, nobody late"
    due_dates_file(course, f"{DAY1},2026-12-14T18:00:00+01:00")  # 17:00 UTC, written with an offset
    assert deadlines.settle(course) == []
    assert gradebook_due(course) == DUE
    assert penalties(course) == {"ada": pytest.approx(0.4), "bob": None, "cy": None, "dan": pytest.approx(0.4)}


def test_an_assignment_the_file_does_not_name_keeps_formgrader_s_date(course):
    due_dates_file(course)  # the header and a comment only
    deadlines.settle(course)
    assert gradebook_due(course) == DUE


@pytest.mark.parametrize("line, expected", [
    (f"{DAY1},+24", "line 3: due '+24': expected a date and time such as 2026-12-18 17:00 (in UTC, or with an "
                    "offset such as +01:00); hours after a due date are for extensions.csv"),
    (f"{DAY1},monday", "line 3: due 'monday': expected a date and time such as 2026-12-18 17:00 (in UTC, or with "
                       "an offset such as +01:00)"),
    (f"{DAY1},2026-12-20", "line 3: due '2026-12-20' has no time of day"),
    ("day-9,2026-12-20 17:00", "line 3: there is no assignment 'day-9' in source/"),
    (f"{DAY1}", "line 3: expected 2 values (assignment, due); found 1"),
    (f"{DAY1},2026-12-20 17:00\n{DAY1},2026-12-21 17:00", f"line 4: {DAY1} already has a due date on line 3"),
])
def test_a_mistake_in_the_file_is_named_and_changes_nothing(course, line, expected):
    due_dates_file(course, line)
    with pytest.raises(deadlines.DueDatesError, match=re.escape(expected)):
        deadlines.settle(course)
    assert gradebook_due(course) == DUE and penalties(course) == {"ada": None, "bob": None, "cy": None, "dan": None}


def test_make_due_edits_the_assignment_s_line_and_keeps_the_rest(course):
    due_dates_file(course, f"{DAY1},2026-12-14 17:00")
    date = deadlines.set_due_date(course, DAY1, "2026-12-16 09:30")
    assert (date.line, date.due) == (3, datetime(2026, 12, 16, 9, 30))
    assert (course.root / deadlines.DUE_DATES).read_text() == f"assignment,due\n# a comment\n{DAY1},2026-12-16 09:30\n"
    with pytest.raises(deadlines.DueDatesError, match=f"{deadlines.DUE_DATES}, line 3: due 'friday'"):
        deadlines.set_due_date(course, DAY1, "friday")
    assert f"{DAY1},2026-12-16 09:30" in (course.root / deadlines.DUE_DATES).read_text(), "a wrong date is not written"
    assert not list(course.root.glob(".*.new"))


def test_make_due_starts_the_file_if_there_is_none(course):
    deadlines.set_due_date(course, DAY1, "2026-12-16 09:30")
    assert (course.root / deadlines.DUE_DATES).read_text() == f"assignment,due\n{DAY1},2026-12-16 09:30\n"

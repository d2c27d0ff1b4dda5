"""The demo class: submissions the repository ships, graded by `make demo`.

For every assignment of source/:

- ``demo-complete`` filled in every answer with the instructor's solution;
- ``demo-partly-wrong`` made a few typical mistakes (the ``PARTLY_WRONG`` of the assignment's
  wrong_answers.py, see ``known_answers``; only in the assignments that name some);
- ``demo-untouched`` submitted the release as it was handed out.

``make demo`` dates their submissions around each assignment's due date (``DUE`` if it has
none): ``demo-partly-wrong`` is a day and two hours late; ``demo-complete`` submits a day and six
hours after it, within the 48 hours more that the course's extensions.csv gives it.

They are built from release/ and source/, so they follow the exercises when those
change: run ``python -m penguin_course demo-submissions`` after re-releasing
(a course test fails while they are stale).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import nbformat

from penguin_course.course import notebooks
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.preparing import known_answers

COMPLETE, PARTLY_WRONG_STUDENT, UNTOUCHED = "demo-complete", "demo-partly-wrong", "demo-untouched"
STUDENTS = [COMPLETE, PARTLY_WRONG_STUDENT, UNTOUCHED]
# The due date `make demo` gives an assignment that has none (UTC), and when each demo student
# submitted, after the due date.
DUE = datetime(2026, 12, 14, 17, 0)
ON_TIME = timedelta(hours=-3)
SUBMITTED = {COMPLETE: timedelta(days=1, hours=6), PARTLY_WRONG_STUDENT: timedelta(days=1, hours=2),
             UNTOUCHED: ON_TIME}


def students_of(assignment: Assignment) -> list[str]:
    return [student for student in STUDENTS
            if student != PARTLY_WRONG_STUDENT or known_answers.load(assignment).partly_wrong]


def answers_of(student: str, notebook: str, assignment: Assignment) -> dict[str, str]:
    """What ``student`` typed into the solution cells of ``assignment``'s ``notebook``."""
    if student == UNTOUCHED:
        return {}
    answers = notebooks.solutions(assignment.source / notebook)
    if student == PARTLY_WRONG_STUDENT:
        known = known_answers.load(assignment)
        for test in known.partly_wrong:
            mistake = known.wrong_answers[test]
            if mistake.notebook == notebook:
                answers.update(mistake.answers)
    return answers


def build(course: Course, destination: Path) -> Path:
    """Write every demo student's notebooks to ``destination/<student>/<assignment>/`` (the course's
    demo/submitted/, or elsewhere), for every assignment of ``course``."""
    for assignment in course.assignments:
        for student in students_of(assignment):
            folder = destination / student / assignment.name
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for name in assignment.notebooks:
                released = notebooks.read(assignment.release / name)
                nbformat.write(notebooks.fill(released, answers_of(student, name, assignment)), folder / name)
    return destination

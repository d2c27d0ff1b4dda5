"""The demo class: submissions the repository ships, graded by `make demo`.

For every assignment of source/:

- ``demo-complete`` filled in every answer with the instructor's solution;
- ``demo-partly-wrong`` made a few typical mistakes (see ``wrong_answers.PARTLY_WRONG``; only
  in the assignments whose typical mistakes the course knows);
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
from penguin_course.course.paths import ASSIGNMENT, SOURCE
from penguin_course.preparing.wrong_answers import PARTLY_WRONG, WRONG_ANSWERS

COMPLETE, PARTLY_WRONG_STUDENT, UNTOUCHED = "demo-complete", "demo-partly-wrong", "demo-untouched"
STUDENTS = [COMPLETE, PARTLY_WRONG_STUDENT, UNTOUCHED]
# The due date `make demo` gives an assignment that has none (UTC), and when each demo student
# submitted, after the due date.
DUE = datetime(2026, 12, 14, 17, 0)
ON_TIME = timedelta(hours=-3)
SUBMITTED = {COMPLETE: timedelta(days=1, hours=6), PARTLY_WRONG_STUDENT: timedelta(days=1, hours=2),
             UNTOUCHED: ON_TIME}
# The typical mistakes the course knows, by assignment (wrong_answers is about the day-1 lesson).
KNOWN_MISTAKES = {ASSIGNMENT: PARTLY_WRONG}


def students_of(assignment: Assignment) -> list[str]:
    return [student for student in STUDENTS
            if student != PARTLY_WRONG_STUDENT or KNOWN_MISTAKES.get(assignment.name)]


def answers_of(student: str, notebook: str, source_dir: Path = SOURCE) -> dict[str, str]:
    """What ``student`` typed into the solution cells of ``notebook`` (of the assignment in ``source_dir``)."""
    if student == UNTOUCHED:
        return {}
    answers = notebooks.solutions(source_dir / notebook)
    if student == PARTLY_WRONG_STUDENT:
        for test in KNOWN_MISTAKES.get(source_dir.name, []):
            mistake = WRONG_ANSWERS[test]
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
                nbformat.write(notebooks.fill(released, answers_of(student, name, assignment.source)), folder / name)
    return destination

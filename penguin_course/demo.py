"""The demo class: submissions the repository ships, graded by `make demo`.

- ``demo-complete`` filled in every answer with the instructor's solution;
- ``demo-partly-wrong`` made a few typical mistakes (see ``wrong_answers.PARTLY_WRONG``);
- ``demo-untouched`` submitted the release as it was handed out.

They are built from release/ and source/, so they follow the exercises when those
change: run ``python -m penguin_course demo-submissions`` after re-releasing
(a course test fails while they are stale).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from penguin_course import notebooks
from penguin_course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, RELEASE, SOURCE
from penguin_course.wrong_answers import PARTLY_WRONG, WRONG_ANSWERS

COMPLETE, PARTLY_WRONG_STUDENT, UNTOUCHED = "demo-complete", "demo-partly-wrong", "demo-untouched"
STUDENTS = [COMPLETE, PARTLY_WRONG_STUDENT, UNTOUCHED]


def answers_of(student: str, notebook: str, source_dir: Path = SOURCE) -> dict[str, str]:
    """What ``student`` typed into the solution cells of ``notebook``."""
    if student == UNTOUCHED:
        return {}
    answers = notebooks.solutions(source_dir / notebook)
    if student == PARTLY_WRONG_STUDENT:
        for test in PARTLY_WRONG:
            mistake = WRONG_ANSWERS[test]
            if mistake.notebook == notebook:
                answers.update(mistake.answers)
    return answers


def build(destination: Path = DEMO_SUBMISSIONS, release_dir: Path = RELEASE, source_dir: Path = SOURCE) -> Path:
    """Write every demo student's notebooks to ``destination/<student>/<assignment>/``."""
    for student in STUDENTS:
        folder = destination / student / ASSIGNMENT
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for name in NOTEBOOKS:
            released = notebooks.read(release_dir / name)
            nbformat.write(notebooks.fill(released, answers_of(student, name, source_dir)), folder / name)
    return destination

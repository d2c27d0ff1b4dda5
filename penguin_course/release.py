"""Generate the student version of the assignments: release/ from source/."""

from __future__ import annotations

from pathlib import Path

from penguin_course import assignments
from penguin_course.assignments import Assignment
from penguin_course.nbgrader_cli import nbgrader
from penguin_course.paths import ROOT


def generate(assignment: Assignment) -> Path:
    """``nbgrader generate_assignment``: strip solutions and hidden tests, record the
    assignment in the gradebook, and write release/<assignment>/."""
    nbgrader("generate_assignment", assignment.name, "--force", root=assignment.root)
    return assignment.release


def generate_all(root: Path = ROOT, name: str | None = None) -> list[Path]:
    """Release every assignment of source/ (or the one called ``name``)."""
    return [generate(assignment) for assignment in assignments.select(root, name)]

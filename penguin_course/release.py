"""Generate the student version of the assignment: release/ from source/."""

from __future__ import annotations

from pathlib import Path

from penguin_course.nbgrader_cli import nbgrader
from penguin_course.paths import ASSIGNMENT, ROOT


def generate(root: Path = ROOT) -> Path:
    """``nbgrader generate_assignment``: strip solutions and hidden tests, record the
    assignment in the gradebook, and write release/<assignment>/."""
    nbgrader("generate_assignment", ASSIGNMENT, "--force", root=root)
    return root / "release" / ASSIGNMENT

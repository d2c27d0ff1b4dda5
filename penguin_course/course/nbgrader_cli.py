"""Running nbgrader's own commands on a course folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from penguin_course.course.directory import Course
from penguin_course.course.notebooks import GRADING_ENV
from penguin_course.course.paths import ROOT


class NbgraderError(RuntimeError):
    pass


def nbgrader(course: Course, *args: str) -> str:
    """Run ``nbgrader ARGS`` in the course's folder; its log, or NbgraderError with the log."""
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader calls the `alembic` command of its own environment to set up the gradebook.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    # nbgrader_config.py imports the course's tooling: this one, wherever the course folder is.
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(command, cwd=course.root, capture_output=True, text=True,
                            env={**os.environ, **GRADING_ENV, "PATH": path, "PYTHONPATH": python_path})
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise NbgraderError(f"`nbgrader {' '.join(args)}` failed in {course.root} (exit {result.returncode}):\n{log}")
    return log

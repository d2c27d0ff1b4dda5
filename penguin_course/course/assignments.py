"""The course's assignments: every folder of source/ that holds notebooks.

An assignment is a folder ``source/<name>/``. Its notebooks, in name order, are the
exercises; its other files (a dataset, the tests' helper modules) are handed out with them,
but for the hidden tests' own files (``hidden_*``), which only the judge sees.
Nothing in the tooling names an assignment: adding the workshop's day 2 is adding a folder.

A student's work for an assignment is ``submitted/<student>/<assignment>/``, and every
grading step works on such a unit. This module uses the standard library only: `make
grade` asks it whether anything changed before importing anything heavy (see uptodate).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from penguin_course.course.directory import Course


# Files of an assignment whose name starts with this are the hidden tests' (nbgrader_config.py
# keeps them out of the release): see Assignment.hidden_files.
HIDDEN_PREFIX = "hidden_"
# The assignment's proofs of its own tests, the instructor's alone: a known wrong answer for every
# test, and sound answers in the ways students write them (penguin_course.preparing.known_answers).
# Never released (nbgrader_config.py ignores them), given, judged, nor part of what grading
# digests: changing them grades nobody again.
WRONG_ANSWERS_FILE = "wrong_answers.py"
SOUND_ANSWERS_FILE = "sound_answers.py"
PROOF_FILES = (WRONG_ANSWERS_FILE, SOUND_ANSWERS_FILE)


class UnknownAssignment(ValueError):
    """An assignment asked for by name is not a folder of source/ with notebooks."""


@dataclass(frozen=True)
class Assignment:
    course: Course
    name: str

    @property
    def source(self) -> Path:
        return self.course.source / self.name

    @property
    def release(self) -> Path:
        return self.course.release / self.name

    @property
    def notebooks(self) -> list[str]:
        """The exercises, in name order (the order students work through them, e.g. 1-..., 2-...)."""
        return sorted(path.name for path in self.source.glob("*.ipynb") if path.is_file())

    def _files(self) -> list[Path]:
        return sorted(path for path in self.source.iterdir()
                      if path.is_file() and path.suffix != ".ipynb" and not path.name.startswith(".")
                      and path.name not in PROOF_FILES)

    @property
    def given_files(self) -> list[Path]:
        """What the assignment gives beside its notebooks: the dataset, the visible tests' helpers."""
        return [path for path in self._files() if not path.name.startswith(HIDDEN_PREFIX)]

    @property
    def hidden_files(self) -> list[Path]:
        """The hidden tests' own files (``hidden_*``, e.g. the reference answers): only the judge has
        them; they are never released nor put beside a student's kernel."""
        return [path for path in self._files() if path.name.startswith(HIDDEN_PREFIX)]

    def proof_file(self, name: str) -> Path:
        """One of the assignment's ``PROOF_FILES``."""
        return self.source / name

    @property
    def helper_modules(self) -> list[str]:
        """The assignment's own Python modules that students have (the visible tests' helpers)."""
        return [path.stem for path in self.given_files if path.suffix == ".py"]

    @property
    def hidden_modules(self) -> list[str]:
        """The hidden tests' own Python modules: the judge's only."""
        return [path.stem for path in self.hidden_files if path.suffix == ".py"]

    def submitted(self, submitted_dir: Path, student: str) -> Path:
        return submitted_dir / student / self.name

    def autograded(self, student: str) -> Path:
        return self.course.autograded / student / self.name

    def feedback(self, student: str) -> Path:
        return self.course.feedback / student / self.name


def find(course: Course) -> list[Assignment]:
    """Every assignment of the course, by name: the folders of source/ that hold a notebook."""
    source = course.source
    folders = sorted(path for path in source.iterdir() if path.is_dir()) if source.is_dir() else []
    return [Assignment(course, folder.name) for folder in folders
            if not folder.name.startswith(".") and any(folder.glob("*.ipynb"))]


def select(course: Course, name: str | None = None) -> list[Assignment]:
    """The assignment called ``name``, or every one if ``name`` is None or empty; UnknownAssignment
    (naming the course's assignments) for a name that is not one."""
    everything = find(course)
    if not name:
        if not everything:
            raise UnknownAssignment(f"{course.source} holds no assignment: expected source/<assignment>/*.ipynb")
        return everything
    chosen = [assignment for assignment in everything if assignment.name == name]
    if not chosen:
        known = ", ".join(a.name for a in everything) or "none"
        raise UnknownAssignment(f"ASSIGNMENT={name!r} is not an assignment of source/ (there: {known})")
    return chosen


def one(course: Course, name: str | None = None, purpose: str = "this") -> Assignment:
    """The one assignment a command works on: ``name``, or the course's only one; UnknownAssignment
    if the course has several and none was named."""
    chosen = select(course, name)
    if len(chosen) > 1:
        raise UnknownAssignment(f"the course has {len(chosen)} assignments ({', '.join(a.name for a in chosen)}): "
                                f"say which one {purpose} is for with ASSIGNMENT=name")
    return chosen[0]


def units(course: Course, submitted_dir: Path, assignments: list[Assignment]) -> list[tuple[Assignment, str]]:
    """(assignment, student) of every piece of work to grade, by assignment then student: a student's
    folder for an assignment under ``submitted_dir``; a student whose folder holds none of the course's
    assignments is graded for each of ``assignments`` (their notebooks are then reported missing,
    with what the folder holds, rather than the student being passed over)."""
    students = sorted(path.name for path in submitted_dir.iterdir() if path.is_dir()) if submitted_dir.is_dir() else []
    names = {assignment.name for assignment in find(course)}
    lost = {student for student in students if not any((submitted_dir / student / name).is_dir() for name in names)}
    return [(assignment, student) for assignment in assignments for student in students
            if student in lost or assignment.submitted(submitted_dir, student).is_dir()]

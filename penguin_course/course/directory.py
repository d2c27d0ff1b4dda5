"""The course: a folder, made into a ``Course`` once and handed to every command.

In the spirit of nbgrader's own ``CourseDirectory``, which every nbgrader app is handed, a
``Course`` knows the course's root and its folders, its nbgrader config (loaded once, when
first asked for), its gradebook, its assignments and where its run records lie. No module
works out any of these from a path of its own.

Importing this module costs the standard library only (`make grade` asks whether anything
changed before importing anything heavy): nbgrader's config and gradebook are imported when
first used.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from penguin_course.course import assignments
from penguin_course.course.assignments import Assignment
from penguin_course.course.records import RUN_RECORD, StudentResult, result_from_dict

if TYPE_CHECKING:
    from nbgrader.api import Gradebook
    from traitlets.config import Config

SQLITE = "sqlite:///"
DEFAULT_GRADEBOOK = f"{SQLITE}gradebook.db"


class Course:
    """The course folder ``root``: ``source/`` holds its assignments, ``nbgrader_config.py`` its settings."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"Course({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Course) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    # its folders, as nbgrader names them
    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def demo_submitted(self) -> Path:
        """The demo class the repository ships (``make demo`` grades it beside submitted/)."""
        return self.root / "demo" / "submitted"

    # its settings and gradebook
    @cached_property
    def config(self) -> Config:
        """nbgrader_config.py, as every nbgrader command run in the course folder reads it."""
        from traitlets.config.loader import PyFileConfigLoader

        return PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()

    @cached_property
    def db_url(self) -> str:
        """The gradebook's address (``CourseDirectory.db_url``): a relative SQLite path is made
        relative to the course folder, as nbgrader does; a server's URL (PostgreSQL) is taken as it is."""
        url = str(self.config.CourseDirectory.get("db_url", "") or DEFAULT_GRADEBOOK)
        if url.startswith(SQLITE) and not url[len(SQLITE):].startswith("/"):
            url = f"{SQLITE}{self.root / url[len(SQLITE):]}"
        return url

    def gradebook_exists(self) -> bool:
        """False only for an SQLite gradebook whose file is not there yet (a server's is always there)."""
        return not self.db_url.startswith(SQLITE) or Path(self.db_url[len(SQLITE):]).exists()

    def gradebook(self) -> Gradebook:
        """nbgrader's gradebook, to be used as a context manager (it closes its connection on exit),
        on one engine per process (``course.gradebook``: its compiled SQL is kept between openings)."""
        from penguin_course.course.gradebook import Gradebook

        return Gradebook(self.db_url)

    def ignored(self) -> list[str]:
        """The file patterns nbgrader leaves out of a student's folder (``CourseDirectory.ignore``)."""
        return list(self.config.CourseDirectory.get("ignore", []))

    # its assignments
    @property
    def assignments(self) -> list[Assignment]:
        return assignments.find(self)

    def select(self, name: str | None = None) -> list[Assignment]:
        return assignments.select(self, name)

    def one(self, name: str | None = None, purpose: str = "this") -> Assignment:
        return assignments.one(self, name, purpose)

    def assignment(self, name: str) -> Assignment:
        return Assignment(self, name)

    # what each run found
    def run_record(self, assignment: Assignment, student: str) -> Path:
        """autograded/<student>/<assignment>/grading.json: what the last run found."""
        return assignment.autograded(student) / RUN_RECORD

    def run_records(self) -> list[Path]:
        return sorted(self.autograded.glob(f"*/*/{RUN_RECORD}"))

    def save_run(self, assignment: Assignment, result: StudentResult, fingerprint: str) -> None:
        """Keep what this run found (statuses, messages, answers' digests) beside the graded notebooks."""
        self.run_record(assignment, result.student).write_text(
            json.dumps({"fingerprint": fingerprint, "result": asdict(result)}, indent=1))

    def read_run(self, assignment: Assignment, student: str) -> tuple[str, StudentResult] | None:
        """(fingerprint, result) of the last run that graded ``student``'s work for ``assignment``, if any."""
        try:
            saved = json.loads(self.run_record(assignment, student).read_text())
            return saved["fingerprint"], result_from_dict(saved["result"], assignment.name)
        except (OSError, ValueError, KeyError, TypeError):
            return None

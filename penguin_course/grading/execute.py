"""Run one notebook as nbgrader's autograder would, and score each test cell.

``nbgrader autograde`` needs a gradebook and grades whole submissions; the
course tests need to run hundreds of single notebooks (each wrong answer, the
reference solution) and know which test cells passed. This runs a notebook
with nbclient in a scratch copy of the assignment's files and scores each test
cell with nbgrader's own rule (``nbgrader.utils.determine_grade``: an error or
any stderr output scores 0), so both agree on what passes. As in grading, the test cells
run in the judge (``judge``), outside the student's kernel; ``judged=False`` runs them in
the kernel, as a student's own run does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from traitlets.config import Config
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.course.notebooks import GRADING_ENV, failure_message, grade_id, is_autograded_test
from penguin_course.course.paths import SOURCE
from penguin_course.grading.autograde import judge_modules
from penguin_course.isolation.judge import Judge, JudgeTests, shared


@dataclass(frozen=True)
class TestResult:
    grade_id: str
    score: float
    max_score: float
    message: str  # the error that failed the test, or the stderr it wrote; empty if it passed

    @property
    def passed(self) -> bool:
        return self.score == self.max_score


def assignment_in(source_dir: Path) -> Assignment:
    """The assignment whose exercises are ``source_dir`` (a course's source/<assignment>/)."""
    return Course(source_dir.parent.parent).assignment(source_dir.name)


def copy_assignment_files(source_dir: Path, destination: Path, hidden: bool = False) -> None:
    """The files a notebook reads beside it (dataset, test helpers), as autograde restores them;
    with ``hidden``, the hidden tests' own files too (for tests run in the kernel)."""
    assignment = assignment_in(source_dir)
    for path in assignment.given_files + (assignment.hidden_files if hidden else []):
        if path.suffix not in {".keras", ".pyc"}:
            shutil.copy2(path, destination / path.name)


class JudgedClient(JudgeTests, NotebookClient):
    """nbclient's executor, with the test cells judged outside the kernel."""


def assignment_judge(source_dir: Path) -> Judge:
    """This process's judge for the assignment in ``source_dir`` (not sandboxed: the course's own notebooks)."""
    assignment = assignment_in(source_dir)
    return shared(assignment.given_files + assignment.hidden_files, judge_modules(assignment), sandboxed=False,
                  env=GRADING_ENV)


def kernel_config(sockets: Path) -> Config:
    """The kernel talks over Unix sockets in ``sockets`` where there are any: with TCP, a port the
    client picked can be taken by another kernel (a test running beside it) before this one binds it."""
    if os.name == "nt":
        return Config()  # TCP, as nbclient does
    return Config({"KernelManager": {"transport": "ipc", "ip": str(sockets / "kernel")}})


def execute(notebook: nbformat.NotebookNode, source_dir: Path = SOURCE,
            timeout: int = 300, judged: bool = True) -> nbformat.NotebookNode:
    """A copy of ``notebook`` executed top to bottom in a scratch folder, as the autograder runs it:
    beside the assignment's files, going on past errors."""
    notebook = nbformat.from_dict(notebook)
    with tempfile.TemporaryDirectory(prefix="penguin-run-") as scratch, \
            tempfile.TemporaryDirectory(prefix="penguin-kernel-") as sockets:
        copy_assignment_files(source_dir, Path(scratch), hidden=not judged)
        client = JudgedClient(notebook, timeout=timeout, allow_errors=True, kernel_name="python3",
                              resources={"metadata": {"path": scratch}}, config=kernel_config(Path(sockets)))
        client.judge = assignment_judge(source_dir) if judged else None
        try:
            client.execute(env={**os.environ, **GRADING_ENV})
        finally:
            client.end_judging()
    return notebook


def score(executed: nbformat.NotebookNode) -> dict[str, TestResult]:
    """The result of each test cell of an executed notebook, by nbgrader's rule."""
    results = {}
    for cell in executed.cells:
        if is_autograded_test(cell):
            score, max_score = determine_grade(cell)
            results[grade_id(cell)] = TestResult(grade_id(cell), float(score), max_score, failure_message(cell))
    return results


def run_notebook(notebook: nbformat.NotebookNode, source_dir: Path = SOURCE,
                 timeout: int = 300, judged: bool = True) -> dict[str, TestResult]:
    """Execute ``notebook`` in a scratch folder; the result of each test cell."""
    return score(execute(notebook, source_dir, timeout, judged))

"""Judge changed tests again from the answers the judge received (``kept_answers``), without
running a line of the student's code: when only test cells changed since a student was graded.

The submitted notebook is sanitized as for grading (so the tests and their points are the
gradebook's, as changed), each kernel cell gets the outputs it had when the kernel ran it, and
each test cell runs in the judge, in its sandbox as usual, whose questions are answered from
the kept answers. Then the notebook is tidied, written and scored as after a run: the same
graded notebook, gradebook rows and outputs as grading again in full. A test that asks for
anything that was not kept (``NotKept``) makes the student be graded again in full.
"""

from __future__ import annotations

import json
import time
from pathlib import Path, PurePosixPath

import nbformat
from nbclient.exceptions import CellTimeoutError
from nbclient.util import run_sync
from nbgrader.preprocessors import Execute

from penguin_course.course.assignments import Assignment
from penguin_course.course.records import StudentResult
from penguin_course.course.submissions import find_notebooks
from penguin_course.course.uptodate import Fingerprint, notebook_digests
from penguin_course.grading.autograde import (assignment_judge, finish, grade_submission, sanitize,
                                              source_tests)
from penguin_course.isolation import judge as judging
from penguin_course.isolation.kept_answers import KEPT_ANSWERS, KeptAnswers, NotebookAnswers, NotKept

REPLAYED = "replayed"
EXECUTION_KEYS = ("execution_count", "outputs")  # what running a cell in the kernel gives it


class KeptKernel:
    """Below ``JudgeTests``, in place of nbclient's kernel: a kernel cell gets what it had when the
    kernel ran it, provided it is the same cell."""

    answers: NotebookAnswers

    def kernel_cells(self, executed, judged: list[str]) -> list:
        """The cells of the notebook as it was executed that ran in the kernel: all code cells but the judged tests."""
        return [cell for cell in executed.cells if cell.cell_type == "code" and not (
            judging.is_test_cell(cell) and cell.metadata.nbgrader.get("grade_id") in judged)]

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code":
            return cell
        ran = self.ran_cells[self.place] if self.place < len(self.ran_cells) else None
        if ran is None or ran.source != cell.source:
            raise NotKept("the notebook's cells are not the ones that ran when it was graded")
        for key in EXECUTION_KEYS:
            cell[key] = ran.get(key)
        if "execution" in ran.metadata:
            cell.metadata["execution"] = ran.metadata["execution"]
        return cell


class ReplayedExecute(judging.JudgeTests, KeptKernel, Execute):
    """The judge asks as in grading; the kept answers reply, in the kernel's place."""

    def start_replay(self, answers: NotebookAnswers) -> None:
        self.answers_given, self.place, self.calls_here, self.calls = answers, 0, 0, {}
        self.executed = nbformat.reads(json.dumps(answers.executed), as_version=4)
        self.ran_cells = self.kernel_cells(self.executed, answers.judged)

    async def ask_kernel(self, cell, message: dict, payload: bytes) -> tuple[dict, bytes]:
        reply = self.answers_given.answer(self.place, self.calls_here, message, payload)
        if message.get("op") == "call":
            self.calls[self.place] = self.calls_here + 1
        return reply

    def share_files(self) -> None:
        workdir = self.clear_workdir()
        for name, data in self.answers_given.files_at(self.place, self.calls_here).items():
            path = PurePosixPath(name)
            if path.is_absolute() or ".." in path.parts or not path.parts:
                raise NotKept("the kept answers name a file outside the judge's folder")
            (workdir / path).parent.mkdir(parents=True, exist_ok=True)
            (workdir / path).write_bytes(data)

    async def async_replay(self, notebook) -> None:
        self.nb = notebook
        for index, cell in enumerate(notebook.cells):
            await self.async_execute_cell(cell, index)
        if self.place != len(self.ran_cells) or self.calls != self.answers_given.calls_made():
            raise NotKept("the changed tests call the student's functions otherwise than when it was graded, "
                          "and later cells may have seen the difference")
        for key in ("language_info", "widgets"):  # what the kernel told the executor
            if key in self.executed.metadata:
                notebook.metadata[key] = self.executed.metadata[key]

    replay = run_sync(async_replay)


def replay_notebook(notebook, resources: dict, config, deadline: float, judge: judging.Judge,
                    tests: dict[str, str], answers: NotebookAnswers) -> None:
    """Judge the notebook's tests again in place, from ``answers``; NotKept if they do not suffice."""
    if answers.executed is None:
        raise NotKept("the notebook did not run to its end when it was graded")
    executor = ReplayedExecute(config=config)
    executor.judge, executor.tests, executor.resources = judge, tests, resources
    executor.timeout_func = lambda cell: max(1, int(deadline - time.monotonic()))
    try:
        executor.start_replay(answers)
        executor.replay(notebook)
    except NotKept:
        if getattr(executor, "judge_session", None) is not None:  # it waits for an answer it will not get
            judge.kill(executor.judge_session.pid)
        raise
    except (judging.JudgeFailed, CellTimeoutError) as error:  # grading in full says what the test does
        raise NotKept(f"the judge failed on a changed test ({error})") from None
    except (KeyError, TypeError, ValueError, AttributeError, nbformat.ValidationError) as error:  # not what they say
        raise NotKept(f"the kept answers cannot be used ({type(error).__name__}: {error})") from None
    finally:
        executor.end_judging()


def replay_submission(assignment: Assignment, submitted_dir: Path, student: str, time_limit: float,
                      sandboxed: bool, digests: Fingerprint) -> StudentResult:
    """Judge ``student``'s work for ``assignment`` again from the kept answers, writing autograded/
    as grading does (not the gradebook); NotKept, having written nothing, if that cannot be done."""
    started = time.monotonic()
    course = assignment.course
    run = course.read_run(assignment, student)
    kept_record = run[1].kept if run is not None else {}
    if kept_record.get("submission") != digests.submission or kept_record.get("base") != digests.base:
        raise NotKept("the submission, or more than the tests, changed since it was graded")
    folder = assignment.autograded(student)
    kept = KeptAnswers.read(folder / KEPT_ANSWERS, kept_record.get("answers", ""))
    if (kept.submission, kept.base) != (digests.submission, digests.base):
        raise NotKept("the kept answers are of another submission or exercise")
    judge = assignment_judge(assignment, sandboxed)
    # a notebook whose tests did not change has the same result from the same answers: as judged before
    now, judged = notebook_digests(assignment), kept_record.get("notebooks", {})
    before = {notebook.name: notebook for notebook in run[1].notebooks}
    done = []
    for submitted in find_notebooks(assignment.submitted(submitted_dir, student), assignment.notebooks):
        if judged.get(submitted.expected) == now.get(submitted.expected) and submitted.expected in before:
            done.append((before[submitted.expected], None, None, None))
            continue
        result, notebook, resources = sanitize(assignment, student, submitted, folder, course.config)
        if notebook is not None:
            answers = kept.notebooks.get(submitted.expected)
            if answers is None:
                raise NotKept(f"{submitted.expected} did not run when it was graded")
            replay_notebook(notebook, resources, course.config, time.monotonic() + time_limit, judge,
                            source_tests(assignment, submitted.expected), answers)
        done.append((result, notebook, resources, submitted.note))
    results = []
    for result, notebook, resources, note in done:
        if resources is None:  # judged before
            results.append(result)
            continue
        if notebook is None:  # as grading leaves a notebook it could not run: no graded copy
            (folder / result.name).unlink(missing_ok=True)
        results.append(finish(result, notebook, resources, course.config, folder, note) if notebook is not None
                       else result)
    return StudentResult(student, results, time.monotonic() - started, 0.0, assignment.name,
                         kept={**kept_record, "notebooks": now}, replay=REPLAYED)


def grade_or_replay(assignment: Assignment, submitted_dir: Path, student: str, time_limit: float,
                    sandboxed: bool, more_to_come: bool, digests: Fingerprint, replay: bool) -> StudentResult:
    """In a worker: judge again from the kept answers if ``replay``, else (or if they do not suffice)
    grade in full, keeping what the judge receives."""
    reason = ""
    if replay:
        try:
            return replay_submission(assignment, submitted_dir, student, time_limit, sandboxed, digests)
        except NotKept as why:
            reason = str(why)
    result = grade_submission(assignment, submitted_dir, student, time_limit, sandboxed, more_to_come, digests)
    result.replay = reason
    return result

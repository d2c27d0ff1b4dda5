"""Autograde one student's submission, the way ``nbgrader autograde`` does, in a worker process.

nbgrader's autograder sanitizes each notebook (clears outputs, restores the test cells
and the kernel from the gradebook), executes it and saves the scores to the gradebook,
one student after another. Here the first two steps run in parallel workers, with
nbgrader's own preprocessors, and only the saving (``record``) touches the gradebook,
in the one process that writes it: SQLite takes one writer at a time.

A notebook that cannot be graded does not stop the others: a missing or invalid file,
a kernel that dies and a notebook that runs past its time limit each get a status, and
the tests they did not run score 0.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import time
import types
import warnings
from contextlib import ExitStack, nullcontext, suppress
from datetime import datetime
from fnmatch import fnmatch
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import BaseCell, Comment, Grade, MissingEntry
from sqlalchemy.exc import SAWarning
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, Execute,
                                    IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)
from nbgrader.utils import determine_grade, is_grade, is_solution, parse_utc
from traitlets.config import Config

from penguin_course.isolation import judge as judging
from penguin_course.course.notebooks import GRADING_ENV, failure_message
from penguin_course.course.assignments import Assignment
from penguin_course.course.gradebook import Gradebook
from penguin_course.course.hand_grades import earlier_grade_notes, earlier_note
from penguin_course.isolation.sandbox import DisposableKernelManager, Sandbox, SandboxUnavailable, Template, spares
from penguin_course.course.records import (ERROR, FAILED, INVALID, MANUAL, MISSING, PASSED, TIMEOUT, CellResult,
                                           NotebookResult, StudentResult)
from penguin_course.course.submissions import find_notebooks, read_notebook
from penguin_course.course.uptodate import Fingerprint, notebook_digests
from penguin_course.isolation.kept_answers import KEPT_ANSWERS, KeptAnswers, NotebookAnswers

SANITIZE = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
TIDY = [IgnorePattern, ClearMetadataPreprocessor, LimitOutput]


def resources_for(assignment: Assignment, student: str, name: str, folder: Path) -> dict:
    return {"nbgrader": {"notebook": Path(name).stem, "assignment": assignment.name, "student": student,
                         "db_url": assignment.course.db_url},
            "metadata": {"path": str(folder)}}


def prepare_folder(assignment: Assignment, submitted: Path, destination: Path, ignore: list[str]) -> None:
    """autograded/<student>/<assignment>/: the student's other files, then the assignment's own
    files from source/ over them (a student cannot change the dataset or the test helpers)."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for folder in (submitted, assignment.source):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.is_file() and path.suffix != ".ipynb" and not any(fnmatch(path.name, p) for p in ignore):
                shutil.copy2(path, destination / path.name)


def forget_duplicates(notebook) -> None:
    """DeduplicateIds empties the nbgrader metadata of a second copy of a cell, which
    OverwriteCells' add_missing_cells then fails on (nbgrader 0.9.6): make the copy a plain cell."""
    for cell in notebook.cells:
        if "nbgrader" in cell.metadata and not cell.metadata.nbgrader:
            del cell.metadata["nbgrader"]


def drop_removed_tests(notebook, tests: dict[str, str]) -> None:
    """Take out the test cells that are no longer tests of the course (removed from source/ after
    the release the student worked from): nbgrader would refuse the whole notebook for a graded cell
    it does not know. A student cannot make a graded cell, so no answer is lost."""
    notebook.cells = [cell for cell in notebook.cells if not (
        cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)
        and cell.metadata.nbgrader.get("grade_id") not in tests)]


def name_restored_cells(notebook) -> None:
    """A cell that OverwriteCells added back (a test the student's notebook lacks) has no id, which
    nbformat would then make up at random: named after its grade id, grading the same work twice
    writes the same notebook and feedback page."""
    if (notebook.get("nbformat"), notebook.get("nbformat_minor", 0)) < (4, 5):  # cells had no ids then
        return
    taken = {cell.get("id") for cell in notebook.cells}
    for cell in notebook.cells:
        if cell.get("id"):
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        name = f"restored-{hashlib.sha256(grade_id.encode()).hexdigest()[:12]}"
        while name in taken:
            name = f"restored-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
        cell["id"] = name
        taken.add(name)


def stop_after(cells, index: int, status: str, message: str) -> None:
    """Mark the test cells from ``index`` on as not run: an error output, so that they score 0."""
    for cell in cells[index:]:
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            cell.outputs = [nbformat.v4.new_output("error", ename=status, evalue=message, traceback=[message])]


def imported_modules(assignment: Assignment) -> list[str]:
    """The modules the assignment's notebooks import (but its own): what a warm kernel imports ahead."""
    modules = set()
    for name in assignment.notebooks:
        for cell in nbformat.read(assignment.source / name, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)
    helpers = set(assignment.helper_modules + assignment.hidden_modules)
    return sorted(m for m in modules if m.split(".")[0] not in helpers) + ["ipykernel.kernelapp"]


class JudgedExecute(judging.JudgeTests, Execute):
    """nbgrader's executor, with the test cells judged outside the student's kernel."""


def judge_modules(assignment: Assignment) -> list[str]:
    """What the judge imports ahead, and may take from the kernel as a module: the exercises' imports."""
    return [module for module in imported_modules(assignment) if not module.startswith("ipykernel")] \
        + assignment.helper_modules + assignment.hidden_modules


def execute(notebook, resources: dict, config: Config, deadline: float, helpers: list[str],
            sandbox: Sandbox | None, judge: judging.Judge | None, tests: dict[str, str] | None = None,
            answers: NotebookAnswers | None = None) -> tuple[str, str]:
    """Run the notebook in place, keeping what the judge receives in ``answers`` if given; ("", "")
    or the status and message of what stopped it."""
    executor = JudgedExecute(config=config)
    executor.judge, executor.tests, executor.answers = judge, tests, answers
    executor.interrupt_on_timeout = False  # a cell past the notebook's time limit ends the run
    # The kernel's own log (e.g. its warning about TCP transport) is not the student's output.
    # The tests' helpers are imported as the kernel starts, before any answer runs: whatever
    # files the student's code writes later, the tests use the assignment's own.
    executor.extra_arguments = [*executor.extra_arguments, "--IPKernelApp.log_level=ERROR",
                                *(f"--IPKernelApp.exec_lines=import {module}" for module in helpers)]
    executor.kernel_manager_class = DisposableKernelManager
    if sandbox is not None:
        executor.kernel_manager_class = sandbox.kernel_manager_class()
        executor.sandbox = sandbox
    cell_timeout = executor.timeout or 10**6
    executor.timeout_func = lambda cell: max(1, int(min(cell_timeout, deadline - time.monotonic())))
    started = []
    executor.on_cell_start = lambda cell, cell_index: started.append(cell_index)
    try:
        executor(notebook, resources)
    except judging.JudgeFailed as error:
        message = f"the judge of the tests failed ({error}): the tests from here on were not run"
        stop_after(notebook.cells, started[-1] if started else 0, ERROR, message)
        return ERROR, message
    except CellTimeoutError:
        message = "the notebook ran past its time limit"
        stop_after(notebook.cells, started[-1], TIMEOUT, message)
        return TIMEOUT, message
    except DeadKernelError:
        message = "the kernel died (the notebook crashed Python or ran out of memory)"
        stop_after(notebook.cells, started[-1] if started else 0, ERROR, message)
        return ERROR, message
    finally:
        executor.end_judging()
    return "", ""


def forgive_warnings(notebook) -> None:
    """Drop stderr from test cells that raised no error: their asserts all held.

    nbgrader scores any stderr output as a failure, so a warning that a correct
    answer triggers while a test runs (a deprecation, a TensorFlow log line) would
    cost its points; an error output still fails the test.
    """
    for cell in notebook.cells:
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            if not any(output.output_type == "error" for output in cell.outputs):
                cell.outputs = [output for output in cell.outputs
                                if not (output.output_type == "stream" and output.name == "stderr")]


def cell_status(cell, score: float | None, max_score: float) -> str:
    if score is None:
        return MANUAL
    if score >= max_score:
        return PASSED
    errors = [output for output in cell.get("outputs", []) if output.output_type == "error"]
    if errors and errors[0].ename == TIMEOUT:
        return TIMEOUT
    if errors and errors[0].ename in ("AssertionError", "CrossingRefused"):  # the answer's fault
        return FAILED
    return ERROR if cell.cell_type == "code" and not is_solution(cell) else FAILED


def cell_results(notebook) -> list[CellResult]:
    results = []
    for cell in notebook.cells:
        if is_grade(cell):
            score, max_score = determine_grade(cell)
            message = failure_message(cell) if cell.cell_type == "code" and not is_solution(cell) else ""
            if score == 0 and is_solution(cell):
                message = "no response"
            answer = hashlib.sha256(cell.source.encode()).hexdigest() if is_solution(cell) else ""
            results.append(CellResult(cell.metadata.nbgrader.grade_id, float(score or 0), max_score,
                                      cell_status(cell, score, max_score), message, answer))
    return results


def sanitize(assignment: Assignment, student: str, submitted, folder: Path,
             config: Config) -> tuple[NotebookResult, nbformat.NotebookNode | None, dict]:
    """The submitted notebook as the autograder runs it (outputs cleared, the tests and the kernel put
    back from the gradebook), with its resources; no notebook if it is missing or invalid (the result says why)."""
    result = NotebookResult(submitted.expected)
    if submitted.path is None:
        result.status, result.message = MISSING, submitted.note
        return result, None, {}
    try:
        notebook = read_notebook(submitted.path)
        drop_removed_tests(notebook, source_tests(assignment, submitted.expected))
        resources = resources_for(assignment, student, submitted.expected, folder)
        for preprocessor in SANITIZE:
            notebook, resources = preprocessor(config=config)(notebook, resources)
            if preprocessor is DeduplicateIds:
                forget_duplicates(notebook)
        name_restored_cells(notebook)
        notebook = nbformat.from_dict(notebook)  # cells that OverwriteCells added back are plain dicts
    except Exception as error:  # a notebook nbgrader cannot make sense of is recorded, not fatal
        result.status, result.message = INVALID, str(error).splitlines()[0] if str(error) else type(error).__name__
        return result, None, {}
    return result, notebook, resources


def source_tests(assignment: Assignment, name: str) -> dict[str, str]:
    """The tests the judge runs: the instructor's, by grade id, whatever the submitted cells say."""
    return judging.test_sources(nbformat.read(assignment.source / name, as_version=4))


def finish(result: NotebookResult, notebook, resources: dict, config: Config, folder: Path, note: str) -> NotebookResult:
    """After the run: the graded notebook tidied and written to ``folder``, and its cells' results."""
    if note and not result.message:
        result.message = note
    forgive_warnings(notebook)
    for preprocessor in TIDY:  # called, not .preprocess(): a preprocessor that is not enabled does nothing
        notebook, resources = preprocessor(config=config)(notebook, resources)
    nbformat.write(notebook, folder / result.name)
    result.cells = cell_results(notebook)
    return result


def grade_notebook(assignment: Assignment, student: str, submitted, folder: Path, config: Config,
                   time_limit: float, sandbox: Sandbox | None, judge: judging.Judge | None,
                   kept: KeptAnswers | None = None) -> NotebookResult:
    result, notebook, resources = sanitize(assignment, student, submitted, folder, config)
    if notebook is None:
        return result
    if sandbox is not None:
        # Each notebook runs in a fresh copy of the folder: one cannot leave files for the next.
        resources["metadata"]["path"] = str(sandbox.fill(folder))
    tests = source_tests(assignment, submitted.expected)
    answers = kept.notebook(submitted.expected) if kept is not None else None
    result.status, result.message = execute(notebook, resources, config, time.monotonic() + time_limit,
                                            assignment.helper_modules, sandbox, judge, tests, answers)
    if answers is not None and not result.status:  # it ran to its end: its kernel cells' outputs are kept
        answers.executed, answers.judged = json.loads(nbformat.writes(notebook)), sorted(tests)
    return finish(result, notebook, resources, config, folder, submitted.note)


def grade_submission(assignment: Assignment, submitted_dir: Path, student: str, time_limit: float,
                     sandboxed: bool = True, more_to_come: bool = True,
                     digests: Fingerprint | None = None) -> StudentResult:
    """Sanitize and execute every notebook of ``student``'s work for ``assignment``, in a sandbox
    unless ``sandboxed`` is False (then with the grader's own rights); writes autograded/, not
    the gradebook. If ``more_to_come``, the next student's sandbox starts meanwhile. With the
    ``digests`` of what is graded, what the judge receives is kept, to judge changed tests again."""
    started = time.monotonic()
    config = assignment.course.config
    submitted = assignment.submitted(submitted_dir, student)
    folder = assignment.autograded(student)
    prepare_folder(assignment, submitted, folder, assignment.course.ignored())
    if not sandboxed:
        os.environ.update(GRADING_ENV)  # inherited by the kernels, with the rest of the grader's environment
    given = assignment.given_files
    context = spares().take(GRADING_ENV, given, imported_modules(assignment)) if sandboxed else nullcontext()
    judge = assignment_judge(assignment, sandboxed)
    kept = KeptAnswers(digests.submission, digests.base) if digests is not None else None
    with context as sandbox:
        if sandbox is not None and more_to_come:
            sandbox.ready()  # this student's imports done before the next student's sandbox starts its own
            spares().prepare()
        results = [grade_notebook(assignment, student, notebook, folder, config, time_limit, sandbox, judge, kept)
                   for notebook in find_notebooks(submitted, assignment.notebooks)]
        start_seconds = sandbox.start_seconds if sandbox is not None else 0.0
    result = StudentResult(student, results, time.monotonic() - started, start_seconds, assignment.name)
    if kept is not None:
        result.kept = {"answers": kept.write(folder / KEPT_ANSWERS), "submission": digests.submission,
                       "base": digests.base, "notebooks": notebook_digests(assignment)}
    return result


def judge_settings(assignment: Assignment, sandboxed: bool) -> tuple:
    """What the judge of the assignment's tests is started with (``judging.Judge``'s arguments)."""
    return assignment.given_files + assignment.hidden_files, judge_modules(assignment), sandboxed, GRADING_ENV


def assignment_judge(assignment: Assignment, sandboxed: bool) -> judging.Judge:
    """The judge of the assignment's tests, which this process keeps for the students it grades next."""
    return judging.shared(*judge_settings(assignment, sandboxed))


class GradingRun:
    """What a grading run starts once for all its workers, while the release is written: each
    graded assignment's judge, and as root the template the students' sandboxes are forked from
    (unless every student is judged again from kept answers: ``students_to_run`` False). The
    libraries are imported once a run, not once a worker. A part that cannot start is left to
    each worker, which starts its own and says why it cannot."""

    def __init__(self, graded: list[Assignment], sandboxed: bool, students_to_run: bool):
        self.judges: list[tuple[tuple, judging.Judge]] = []
        self.template: tuple | None = None
        try:
            if sandboxed and graded and students_to_run and os.geteuid() == 0:
                with suppress(SandboxUnavailable, OSError):
                    modules = imported_modules(graded[0])
                    self.template = (GRADING_ENV, modules, Template(GRADING_ENV, modules))
            for assignment in graded:
                settings = judge_settings(assignment, sandboxed)
                judge = judging.Judge(*settings)
                with suppress(SandboxUnavailable, judging.JudgeFailed, OSError):
                    judge.launch()
                    self.judges.append((settings, judge))
        except BaseException:
            self.close()
            raise

    def shared(self) -> dict:
        """What a worker needs to use them (``adopt_grading_run``)."""
        template = None
        if self.template is not None:
            env, modules, started = self.template
            template = (env, modules, started.shared())
        return {"judges": [(settings, judge.shared_with_workers()) for settings, judge in self.judges],
                "template": template}

    def close(self) -> None:
        """Once the workers have ended: with the template, every sandbox they forked from it."""
        for _, judge in self.judges:
            judge.close()
        if self.template is not None:
            self.template[2].close()
        self.judges, self.template = [], None


def adopt_grading_run(shared: dict) -> None:
    """In a worker as it starts: its judges are the grading run's, and as root its students'
    sandboxes are forked from the run's template (``GradingRun.shared``), not from its own."""
    for settings, run_judge in shared["judges"]:
        judging.shared(*settings).adopt(run_judge)
    if shared["template"] is not None:
        spares().adopt(*shared["template"])


def warm_up(chosen: list[Assignment], sandboxed: bool, students_to_run: bool = True) -> None:
    """In a worker, while the main process writes the release: start the judge of each assignment's
    tests (its zygote imports the libraries), which needs only source/, or take up the grading
    run's (``GradingRun``), and, unless every student is judged again from kept answers
    (``students_to_run`` False), a first student's sandbox (as root, with the template it is
    forked from, or the run's). The first student's notebook starts as soon as its sandbox is
    ready, not once the judge is too: a notebook needs the judge at its first test cell
    (``JudgeTests`` waits for it there), and the judge's imports go on meanwhile. It lives here,
    not in ``grade``, so that a worker imports grading's modules only, not the outputs' (seaborn, SciPy)."""
    if sandboxed and chosen and students_to_run:  # its imports beside the judge's (unless the run's)
        spares().start_template(GRADING_ENV, imported_modules(chosen[0]))
    for assignment in chosen:
        judge = assignment_judge(assignment, sandboxed)
        if students_to_run and not judge.launched():
            judge.launch()
        elif not students_to_run:
            judge.ready()  # students judged again from kept answers need nothing else
    if sandboxed and chosen and students_to_run:
        spares().ahead(GRADING_ENV, chosen[0].given_files, imported_modules(chosen[0]))


class SubmittedNotebookGrades:
    """What SaveAutoGrades asks of the gradebook for one submitted notebook, fetched at once: its
    grades and comments by grade id. Its commits wait for the caller's one commit."""

    def __init__(self, session, submitted_notebook):
        # with their cells' names in the same query: a grade's name is its cell's, loaded one by one
        self.grades = {name: grade for grade, name in session.query(Grade, BaseCell.name).join(Grade.cell)
                       .filter(Grade.notebook_id == submitted_notebook.id)}
        self.comments = {name: comment for comment, name in session.query(Comment, BaseCell.name).join(Comment.cell)
                         .filter(Comment.notebook_id == submitted_notebook.id)}
        self.db = types.SimpleNamespace(commit=lambda: None)

    def find_grade(self, grade_id: str, notebook: str, assignment: str, student: str):
        try:
            return self.grades[grade_id]
        except KeyError:
            raise MissingEntry() from None

    def find_comment(self, grade_id: str, notebook: str, assignment: str, student: str):
        try:
            return self.comments[grade_id]
        except KeyError:
            raise MissingEntry() from None


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's SaveAutoGrades (its rule for each cell's score and comment, unchanged) in the
    caller's gradebook session (``gradebook``), with one query for the notebook's grades and
    comments: nbgrader's opens a connection per notebook and queries and commits once per cell,
    most of the time it takes to save a student (and to merge shards)."""

    gradebook_session = None

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.student_id = meta["notebook"], meta["assignment"], meta["student"]
        self.db_url = meta["db_url"]
        submitted = self.gradebook_session.find_submission_notebook(self.notebook_id, self.assignment_id,
                                                                    self.student_id)
        self.gradebook = SubmittedNotebookGrades(self.gradebook_session.db, submitted)
        return super(SaveAutoGrades, self).preprocess(nb, resources)  # the cells, by SaveAutoGrades's rules


def record(assignment: Assignment, result: StudentResult, previous: StudentResult | None = None,
           gradebook: Gradebook | None = None) -> list[str]:
    """Save one student's scores to the gradebook, as nbgrader's autograder does, in one transaction;
    but an answer graded by hand that is the same as in the ``previous`` run keeps its grade and
    comment and is not put back in the queue for grading by hand (nbgrader would put it back), and
    one that changed no longer counts its earlier score (``keep_hand_grades``, which says which).
    Late penalties are not set here: every refresh sets them (``deadlines.settle``) from the due
    dates and extensions as they are then. In ``gradebook`` if given (in its transaction, if it is
    in one: a merge saves many students in one), else in the course's, opened and closed here."""
    folder = assignment.autograded(result.student)
    with ExitStack() as stack:
        if gradebook is None:
            gradebook = stack.enter_context(assignment.course.gradebook())
        stack.enter_context(gradebook.one_transaction())
        return save_student(gradebook, assignment, result, previous, folder)


def save_student(gradebook: Gradebook, assignment: Assignment, result: StudentResult,
                 previous: StudentResult | None, folder: Path) -> list[str]:
    """``record``'s work, in an open gradebook: the student's graded notebooks in ``folder`` saved
    by nbgrader's rules, then their hand grades settled."""
    with warnings.catch_warnings():
        # nbgrader's own session handling warns here on every re-grade; the grades are saved all the same
        warnings.simplefilter("ignore", SAWarning)
        gradebook.update_or_create_student(result.student)
        # when it was submitted, as nbgrader's autograde records it: formgrader compares it with
        # the submission's, and late penalties are counted from it
        gradebook.update_or_create_submission(assignment.name, result.student, timestamp=submitted_at(folder))
        notes = earlier_grade_notes(gradebook, assignment.name, result.student)  # SaveAutoGrades clears them
        for notebook_result in result.notebooks:
            path = folder / notebook_result.name
            if notebook_result.status in (MISSING, INVALID) or not path.exists():
                zero_notebook(gradebook, assignment, result.student, notebook_result.name)
                continue
            saver = SaveAutoGradesAtOnce(config=assignment.course.config)
            saver.gradebook_session = gradebook
            saver(read_graded(path), resources_for(assignment, result.student, notebook_result.name,
                                                                   folder))
        waiting = keep_hand_grades(gradebook, assignment, result, previous, notes)
    return waiting


def read_graded(path: Path) -> nbformat.NotebookNode:
    """A graded notebook, as grading wrote it (nbformat 4, valid): without checking it against
    nbformat's schema again, which nbformat.read does and which took most of its time."""
    return nbformat.v4.reads(path.read_text(encoding="utf-8"))


def submitted_at(folder: Path) -> datetime | None:
    """The time in the submission's timestamp.txt (the exchange writes it), if any and readable."""
    try:
        return parse_utc((folder / "timestamp.txt").read_text().strip())
    except (OSError, ValueError):
        return None


def unchanged_answers(result: StudentResult, previous: StudentResult | None) -> set[tuple[str, str]]:
    """(notebook, grade_id) of the answers that are the same as in the previous run."""
    if previous is None:
        return set()
    before = {(n.name, c.grade_id): c.answer for n in previous.notebooks for c in n.cells if c.answer}
    return {(n.name, c.grade_id) for n in result.notebooks for c in n.cells
            if c.answer and before.get((n.name, c.grade_id)) == c.answer}


def keep_hand_grades(gradebook, assignment: Assignment, result: StudentResult, previous: StudentResult | None,
                     notes: dict[tuple[str, str], str] | None = None) -> list[str]:
    """Settle the hand grades of ``result``'s answers after SaveAutoGrades, which puts every answer
    graded by hand back in the queue and keeps counting its score. An answer that is the same as in
    the ``previous`` run keeps its grade and comment and leaves the queue; one that changed waits to
    be graded again and counts as not graded: its earlier score and comment leave the grade for a
    note which says they were about the earlier answer (``hand_grades``); an answer that waits keeps its
    note (``notes``: those it had before SaveAutoGrades cleared them). The grade ids of the answers
    put back in the queue."""
    unchanged = unchanged_answers(result, previous)
    answers = [(n.name, c.grade_id) for n in result.notebooks for c in n.cells if c.answer]
    waiting = []
    for name, cell in answers:
        key = (Path(name).stem, cell)
        try:
            grade = gradebook.find_grade(cell, key[0], assignment.name, result.student)
            comment = gradebook.find_comment(cell, key[0], assignment.name, result.student)
        except MissingEntry:
            continue
        if grade.manual_score is None:
            if grade.needs_manual_grade and key in (notes or {}):
                comment.auto_comment = notes[key]
            continue
        if (name, cell) in unchanged:
            grade.needs_manual_grade = False
            continue
        comment.auto_comment = earlier_note(grade.manual_score, grade.max_score, comment.manual_comment)
        comment.manual_comment = None
        grade.manual_score, grade.needs_manual_grade = None, True
        waiting.append(cell)
    return waiting


def zero_notebook(gradebook, assignment: Assignment, student: str, name: str) -> None:
    """A notebook that could not be graded scores 0 on every cell, as nbgrader scores a missing one."""
    try:
        submission = gradebook.find_submission_notebook(Path(name).stem, assignment.name, student)
    except MissingEntry:
        return
    for grade in submission.grades:
        grade.auto_score = 0
        grade.needs_manual_grade = False

"""Grade a whole class: `make grade`.

Every student under submitted/ is graded in parallel worker processes (one per core by
default; see ``autograde``), and the scores are saved to the gradebook by this process
alone, as each student finishes. Then every output is written from the gradebook
(``refresh``): grades.csv, grades-by-test.csv, the feedback pages and report.html.

A student whose submission and the exercises have not changed since the last run is not
graded again (``force`` grades everyone). Grading a student again keeps the hand grade of
every written answer that did not change.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from penguin_course import release, sandbox, system, uptodate
from penguin_course.uptodate import TIME_LIMIT, fingerprint  # noqa: F401  (TIME_LIMIT: the default, for callers)
from penguin_course.autograde import (MANUAL, CellResult, StudentResult, db_url, grade_submission, gradebook_exists,
                                      load_config, read_run, record, save_run)
from penguin_course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, ROOT
from penguin_course.refresh import BY_TEST_COLUMNS, NothingToRefresh, course_cells, refresh  # noqa: F401



class GraderError(RuntimeError):
    """The grader itself failed, or was asked to grade nothing: `make grade` exits non-zero."""

    def __init__(self, message: str, students: list[str] = ()):
        super().__init__(message)
        self.students = list(students)  # whom it failed for


def graded_cells(root: Path) -> list[tuple[str, str, float, bool]]:
    """(notebook, grade_id, points, autograded?) of every graded cell of the source notebooks."""
    return course_cells(root)


def students(submitted_dir: Path) -> list[str]:
    return sorted(path.name for path in submitted_dir.iterdir() if path.is_dir()) if submitted_dir.is_dir() else []


def check_submissions(submitted_dir: Path) -> list[str]:
    """The students of ``submitted_dir``; GraderError, before anything is written, if there are none."""
    layout = f"{submitted_dir}/<student id>/{ASSIGNMENT}/<notebook>.ipynb"
    if not submitted_dir.is_dir():
        raise GraderError(f"there is no folder {submitted_dir}: submissions are expected as {layout} "
                          "(make collect puts them there); nothing was graded or changed")
    everyone = students(submitted_dir)
    if not everyone:
        raise GraderError(f"{submitted_dir} holds no submission: expected {layout}; nothing was graded or changed")
    return everyone


def unchanged_result(root: Path, student: str, digest: str) -> StudentResult | None:
    """The result of the last run, if it graded exactly what is there now."""
    run = read_run(root, student)
    return run[1] if run is not None and run[0] == digest else None


def complete(result: StudentResult, cells: list[tuple[str, str, float, bool]]) -> StudentResult:
    """Give every graded cell of a notebook that was not run a row: 0 points, the notebook's status."""
    for notebook in result.notebooks:
        if not notebook.cells:
            notebook.cells = [CellResult(cell, 0.0, points, notebook.status, notebook.message)
                              for name, cell, points, _ in cells if name == notebook.name]
    return result


def summary(table: pd.DataFrame, root: Path = ROOT) -> pd.DataFrame:
    """Autograded points per student and notebook as 'score/max', and the answers left to grade by hand."""
    autograded = {(name, cell) for name, cell, _, is_test in graded_cells(root) if is_test}
    auto = table[[key in autograded for key in zip(table["notebook"], table["grade_id"])]]
    table = table.assign(notebook=table["notebook"].map(lambda name: Path(name).stem))
    auto = auto.assign(notebook=auto["notebook"].map(lambda name: Path(name).stem))
    totals = auto.groupby(["student_id", "notebook"])[["score", "max_score"]].sum()
    wide = (totals["score"].map("{:g}".format) + "/" + totals["max_score"].map("{:g}".format)).unstack()
    overall = auto.groupby("student_id")[["score", "max_score"]].sum()
    wide["autograded"] = overall["score"].map("{:g}".format) + "/" + overall["max_score"].map("{:g}".format)
    wide["to grade by hand"] = (table["status"] == MANUAL).groupby(table["student_id"]).sum()
    return wide.rename_axis(index="student", columns=None)


def worker_context() -> multiprocessing.context.BaseContext:
    """Workers start as fresh Pythons ("spawn"), not as forks of this process: a fork of a process
    in which TensorFlow has run (a notebook's, a test's) can crash (exit -11) on its first Keras
    call; and unlike a fork server started earlier, each pool sees this process's environment now."""
    return multiprocessing.get_context("spawn")


def grade_in_pool(root, submitted_dir, pending, previous, workers, time_limit, sandboxed, config, cells, progress,
                  task) -> tuple[dict[str, str], list[str]]:
    """Grade ``pending`` in worker processes, saving each result as it comes; (what failed for
    whom, the students lost with a worker process that died)."""
    failures, lost = {}, []
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=worker_context()) as pool:
        futures = {pool.submit(grade_submission, root, submitted_dir, student, time_limit, sandboxed): student
                   for student in pending}
        for future in as_completed(futures):
            student = futures[future]
            try:
                result = complete(future.result(), cells)
                record(root, result, config, previous.get(student))  # the only writer of the gradebook
                save_run(root, result, pending[student])
            except BrokenProcessPool as error:
                codes = sorted({process.exitcode for process in getattr(pool, "_processes", {}).values()} - {None})
                failures[student] = f"a grading worker died (exit codes {codes}): {error}"
                lost.append(student)
                continue
            except Exception as error:  # a fault of the grader, not of the submission
                failures[student] = f"{type(error).__name__}: {error}"
                progress.advance(task)
                continue
            score = sum(c.score for n in result.notebooks for c in n.cells)
            progress.console.print(f"graded {student} in {result.seconds:.0f} s: {score:g} points")
            progress.advance(task)
    return failures, lost


def check_sandbox(sandboxed: bool, console: Console) -> None:
    """Refuse to grade without a working sandbox, unless the instructor opted out."""
    if not sandboxed:
        console.print("[bold red]WARNING: grading without a sandbox[/]: student code runs with your rights and "
                      "can read or change the course, the gradebook and other students' work.")
        return
    try:
        system.ensure(system.BUBBLEWRAP, echo=console.print)
        sandbox.check()
    except (system.InstallFailed, sandbox.SandboxUnavailable) as error:
        raise GraderError(f"cannot grade safely: {error}") from None


def grade_class(root: Path = ROOT, submitted_dir: Path | None = None, workers: int | None = None,
                force: bool = False, time_limit: float = TIME_LIMIT, sandboxed: bool = True,
                console: Console | None = None, only: list[str] | None = None,
                write_outputs: bool = True) -> pd.DataFrame | None:
    """Grade every student of ``submitted_dir`` (default: submitted/; ``only`` some of them), then
    write every output from the gradebook (unless ``write_outputs`` is False: a shard's job);
    the grades-by-test table of the whole gradebook.
    Student code runs in a sandbox (``sandbox``) unless ``sandboxed`` is False."""
    submitted_dir = submitted_dir or root / "submitted"
    console = console or Console(stderr=True)
    everyone = [student for student in check_submissions(submitted_dir) if only is None or student in only]
    check_sandbox(sandboxed, console)
    exercises = uptodate.exercises_digest(root)
    pending = {}
    for student in everyone:
        digest = fingerprint(root, submitted_dir, student, time_limit, sandboxed, exercises)
        if force or unchanged_result(root, student, digest) is None:
            pending[student] = digest
    if not uptodate.release_is_current(root):
        release.generate(root)  # records the assignment and its test cells in the gradebook
        uptodate.write_stamp(root, uptodate.RELEASE_STAMP, exercises)
    config = load_config(root)
    cells = graded_cells(root)
    if pending:
        console.print(f"grading {len(pending)} of {len(everyone)} students ({len(everyone) - len(pending)} unchanged)")
    # the last run's record, read before the workers replace autograded/: which answers changed
    previous = {student: run[1] for student in pending if (run := read_run(root, student)) is not None}
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("time left"),
               TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("grading", total=len(pending))
        failures, lost = grade_in_pool(root, submitted_dir, pending, previous, workers, time_limit, sandboxed,
                                       config, cells, progress, task)
        if lost:  # a worker process died (not a sandboxed kernel): once more, in a fresh pool
            progress.console.print(f"a grading worker died; grading {', '.join(lost)} again")
            for student in lost:
                del failures[student]
            again, _ = grade_in_pool(root, submitted_dir, {s: pending[s] for s in lost}, previous, workers,
                                     time_limit, sandboxed, config, cells, progress, task)
            failures.update(again)
    try:
        table = refresh(root) if write_outputs else None
    except NothingToRefresh:
        if not failures:
            raise
        table = None  # nobody was graded: the failures say why
    if failures:
        raise GraderError("the grader failed for " + "; ".join(f"{s}: {m}" for s, m in sorted(failures.items())),
                          sorted(failures))
    return table


def scores(root: Path = ROOT) -> pd.DataFrame:
    """Every grade in the gradebook: one row per student and graded cell."""
    rows = []
    with Gradebook(db_url(root)) as gradebook:
        for student in sorted(student.id for student in gradebook.students):
            for name, cell, _, autograded in graded_cells(root):
                try:
                    grade = gradebook.find_grade(cell, Path(name).stem, ASSIGNMENT, student)
                except MissingEntry:
                    continue
                rows.append((student, name, cell, autograded, grade.score, grade.max_score,
                             grade.needs_manual_grade))
    return pd.DataFrame(rows, columns=["student", "notebook", "grade_id", "autograded", "score", "max_score",
                                       "manual"])


def demo(root: Path = ROOT, **options) -> pd.DataFrame:
    """Grade the demo class that the repository ships, as `make grade` grades a class: its students
    are copied into submitted/ (where formgrader and nbgrader look for submissions) and graded
    there, beside any other student; the grades-by-test table of the demo students."""
    shipped = root / DEMO_SUBMISSIONS.relative_to(ROOT)
    names = students(shipped)
    for student in names:
        destination = root / "submitted" / student
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(shipped / student, destination)
    table = grade_class(root, only=names, **options)
    return table[table["student_id"].isin(names)].reset_index(drop=True)


GENERATED = ["gradebook.db", "autograded", "feedback", "grades.csv", "grades-by-test.csv", "report.html"]
KEPT_FOLDERS = ["autograded", "feedback"]


def hand_grades(root: Path = ROOT) -> int:
    """How many scores and comments in the gradebook were given by hand (formgrader)."""
    if not gradebook_exists(root):
        return 0
    from nbgrader.api import Comment, Grade

    with Gradebook(db_url(root)) as gradebook:
        return (gradebook.db.query(Grade).filter(Grade.manual_score.isnot(None)).count()
                + gradebook.db.query(Comment).filter(Comment.manual_comment.isnot(None),
                                                     Comment.manual_comment != "").count())


def clean(root: Path = ROOT, force: bool = False) -> list[str]:
    """Remove what grading and the demo generate; refuse, removing nothing, while the gradebook
    holds grades given by hand (unless ``force``): they exist nowhere else."""
    given_by_hand = hand_grades(root)
    if given_by_hand and not force:
        raise GraderError(f"the gradebook holds {given_by_hand} scores and comments given by hand, which exist "
                          "nowhere else: nothing was removed (back up gradebook.db, or make clean FORCE=1)")
    demo_copies = [root / "submitted" / student for student in students(root / DEMO_SUBMISSIONS.relative_to(ROOT))]
    # autograded/ and feedback/ are part of the course's layout: emptied, but for their README
    generated = [root / name for name in GENERATED if name not in KEPT_FOLDERS]
    generated += [path for name in KEPT_FOLDERS for path in sorted((root / name).glob("*")) if path.name != "README.md"]
    removed = []
    for path in generated + demo_copies:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(str(path.relative_to(root)))
    return removed

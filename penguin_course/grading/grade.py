"""Grade a whole class: `make grade`.

Every student under submitted/ is graded in parallel worker processes (one per core by
default; see ``autograde``), and the scores are saved to the gradebook by this process
alone, as each student finishes. Then every output is written from the gradebook
(``refresh``): grades.csv, grades-by-test.csv, the feedback pages and report.html.

A student whose submission and the exercises have not changed since the last run is not
graded again (``force`` grades everyone). When only test cells changed, a student's tests are
judged again from the answers the judge received in the last run, without running their code
(``replay``). Grading a student again keeps the hand grade of every written answer that did not change.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
from nbgrader.api import MissingEntry
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from penguin_course.course import assignments, uptodate
from penguin_course.course.assignments import Assignment, UnknownAssignment
from penguin_course.course.directory import Course
from penguin_course.course.records import MANUAL, CellResult, StudentResult
from penguin_course.course.student_ids import is_student_id, refusal
from penguin_course.course.uptodate import TIME_LIMIT, Fingerprint, fingerprint  # noqa: F401  (TIME_LIMIT: the default, for callers)
from penguin_course.grading.autograde import GradingRun, adopt_grading_run, record, warm_up
from penguin_course.grading.replay import REPLAYED, grade_or_replay
from penguin_course.isolation import sandbox
from penguin_course.outputs import deadlines
from penguin_course.outputs.refresh import (BY_TEST_COLUMNS, NothingToRefresh, course_cells, refresh,  # noqa: F401
                                            write_pages_of_graded)
from penguin_course.preparing import demo as demo_module, release
from penguin_course.setup import system



class GraderError(RuntimeError):
    """The grader itself failed, or was asked to grade nothing: `make grade` exits non-zero."""

    def __init__(self, message: str, students: list[str] = ()):
        super().__init__(message)
        self.students = list(students)  # whom it failed for


def graded_cells(course: Course) -> list[tuple[str, str, str, float, bool]]:
    """(assignment, notebook, grade_id, points, autograded?) of every graded cell of every assignment."""
    return [(assignment.name, *cell) for assignment in course.assignments for cell in course_cells(assignment)]


def students(submitted_dir: Path) -> list[str]:
    return sorted(path.name for path in submitted_dir.iterdir() if path.is_dir()) if submitted_dir.is_dir() else []


def check_submissions(submitted_dir: Path) -> list[str]:
    """The students of ``submitted_dir``; GraderError, before anything is written, if there are none."""
    layout = f"{submitted_dir}/<student id>/<assignment>/<notebook>.ipynb"
    if not submitted_dir.is_dir():
        raise GraderError(f"there is no folder {submitted_dir}: submissions are expected as {layout} "
                          "(make collect puts them there); nothing was graded or changed")
    everyone = students(submitted_dir)
    if not everyone:
        raise GraderError(f"{submitted_dir} holds no submission: expected {layout}; nothing was graded or changed")
    return everyone


def chosen_assignments(course: Course, name: str | None) -> list[Assignment]:
    """The assignment named (every one if None); GraderError, before anything is written, otherwise."""
    try:
        return course.select(name)
    except UnknownAssignment as error:
        raise GraderError(f"{error}; nothing was graded or changed") from None


def unchanged_result(assignment: Assignment, student: str, digest: str) -> StudentResult | None:
    """The result of the last run, if it graded exactly what is there now."""
    run = assignment.course.read_run(assignment, student)
    return run[1] if run is not None and run[0] == digest else None


def complete(result: StudentResult, cells: list[tuple[str, str, float, bool]]) -> StudentResult:
    # cells: (notebook, grade_id, points, autograded?) of the result's assignment
    """Give every graded cell of a notebook that was not run a row: 0 points, the notebook's status."""
    for notebook in result.notebooks:
        if not notebook.cells:
            notebook.cells = [CellResult(cell, 0.0, points, notebook.status, notebook.message)
                              for name, cell, points, _ in cells if name == notebook.name]
    return result


def summary(table: pd.DataFrame, course: Course) -> pd.DataFrame:
    """Autograded points per student and notebook as 'score/max' (notebooks named <assignment>/<notebook>
    when there are several assignments), the answers left to grade by hand, and the late penalty
    (all the submission's notebooks', with every assignment's) when anyone has one."""
    autograded = {(a, name, cell) for a, name, cell, _, is_test in graded_cells(course) if is_test}
    auto = table[[key in autograded for key in zip(table["assignment"], table["notebook"], table["grade_id"])]]
    several = table["assignment"].nunique() > 1
    label = lambda frame: frame.assign(notebook=[  # noqa: E731
        f"{a}/{Path(n).stem}" if several else Path(n).stem for a, n in zip(frame["assignment"], frame["notebook"])])
    table, auto = label(table), label(auto)
    totals = auto.groupby(["student_id", "notebook"])[["score", "max_score"]].sum()
    wide = (totals["score"].map("{:g}".format) + "/" + totals["max_score"].map("{:g}".format)).unstack()
    overall = auto.groupby("student_id")[["score", "max_score"]].sum()
    wide["autograded"] = overall["score"].map("{:g}".format) + "/" + overall["max_score"].map("{:g}".format)
    wide["to grade by hand"] = (table["status"] == MANUAL).groupby(table["student_id"]).sum()
    if "penalty" in table and (table["penalty"] > 0).any():
        penalties = table.groupby(["student_id", "assignment", "notebook"])["penalty"].first()
        wide["late penalty"] = penalties.groupby("student_id").sum().map("{:g}".format)
    return wide.rename_axis(index="student", columns=None)


def worker_context() -> multiprocessing.context.BaseContext:
    """Workers start as fresh Pythons ("spawn"), not as forks of this process: a fork of a process
    in which TensorFlow has run (a notebook's, a test's) can crash (exit -11) on its first Keras
    call; and unlike a fork server started earlier, each pool sees this process's environment now."""
    return multiprocessing.get_context("spawn")


def replayable(fingerprint: Fingerprint, previous: StudentResult | None) -> bool:
    """Whether only tests changed since the last run, which kept what the judge received."""
    kept = previous.kept if previous is not None else {}
    return bool(kept.get("answers")) and (kept.get("submission"), kept.get("base")) == fingerprint[1:]


def grading_pool(workers: int | None, run: GradingRun | None = None) -> ProcessPoolExecutor:
    """The worker processes; with ``run``, each uses the grading run's judges and template."""
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=worker_context(),
                               initializer=adopt_grading_run if run else None,
                               initargs=(run.shared(),) if run else ())


# a worker takes about 2.5 s of a core to start (a fresh Python importing grading's modules;
# the judge is the run's); judging a student again, about 0.3 s
REPLAYS_PER_WORKER = 16


def workers_worth_starting(workers: int, in_full: int, replays: int) -> int:
    """At most ``workers``: one per student graded in full, and one per REPLAYS_PER_WORKER students
    judged again from kept answers, for which another worker would spend more starting
    (on the same cores) than it would save."""
    return max(1, min(workers, in_full + math.ceil(replays / REPLAYS_PER_WORKER)))


def grade_in_pool(submitted_dir, pending, previous, workers, time_limit, sandboxed, cells, progress, task,
                  replays=frozenset(), pool: ProcessPoolExecutor | None = None,
                  pages: bool = True) -> tuple[dict[str, str], list[str]]:
    """Grade ``pending`` in worker processes (``pool``'s, or a new pool's; those in ``replays`` judged
    again from their kept answers first), saving each result as it comes and, with ``pages``, writing
    its feedback pages; (what failed for whom, the students lost with a worker process that died)."""
    failures, lost = {}, []
    workers = workers or os.cpu_count() or 1
    order = sorted(pending, key=lambda unit: unit not in replays)
    in_full = len(order) - len(replays)
    with contextlib.nullcontext(pool) if pool is not None else grading_pool(workers) as pool:
        # the pool hands the work out in this order: a worker that takes one of the last ones starts no
        # sandbox ahead for a next student it will not get (nor does a replay, which needs none)
        futures = {pool.submit(grade_or_replay, assignment, submitted_dir, student, time_limit, sandboxed,
                               index - len(replays) < in_full - workers and (assignment, student) not in replays,
                               pending[(assignment, student)], (assignment, student) in replays): (assignment, student)
                   for index, (assignment, student) in enumerate(order)}
        for future in as_completed(futures):
            unit = futures[future]
            assignment, student = unit
            try:
                result = complete(future.result(), cells[assignment.name])
                waiting = record(assignment, result, previous.get(unit))  # the only writer of the gradebook
                assignment.course.save_run(assignment, result, pending[unit].whole)
            except BrokenProcessPool as error:
                codes = sorted({process.exitcode for process in getattr(pool, "_processes", {}).values()} - {None})
                failures[unit] = f"a grading worker died (exit codes {codes}): {error}"
                lost.append(unit)
                continue
            except Exception as error:  # a fault of the grader, not of the submission
                failures[unit] = f"{type(error).__name__}: {error}"
                progress.advance(task)
                continue
            score = sum(c.score for n in result.notebooks for c in n.cells)
            how = {REPLAYED: "judged again from kept answers"}.get(result.replay, "graded")
            if result.replay and result.replay != REPLAYED:
                how = f"graded in full ({result.replay})"
            progress.console.print(f"{how} {student}'s {assignment.name} in {result.seconds:.0f} s: {score:g} points")
            if waiting:
                progress.console.print(f"  changed since graded by hand, back in the queue (the earlier score no longer "
                                       f"counts; it is in the comment): {', '.join(waiting)}")
            progress.advance(task)
            if pages:
                try:
                    write_pages_of_graded(assignment, result)
                except Exception:  # noqa: BLE001  the refresh that ends the run writes them, or says why it cannot
                    pass
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


def check_graphviz(console: Console) -> None:
    """Refuse to grade without Graphviz: a notebook that draws its model with keras.utils.plot_model,
    as the lesson does, would fail here and not on the student's machine."""
    try:
        system.ensure(system.GRAPHVIZ, echo=console.print)
    except system.InstallFailed as error:
        raise GraderError(f"cannot grade as students run their notebooks: {error}") from None


def grade_class(course: Course, submitted_dir: Path | None = None, workers: int | None = None,
                force: bool = False, time_limit: float = TIME_LIMIT, sandboxed: bool = True,
                console: Console | None = None, only: list[str] | None = None,
                write_outputs: bool = True, assignment: str | None = None,
                pages_as_graded: bool = True) -> pd.DataFrame | None:
    """Grade every student of ``submitted_dir`` (default: submitted/; ``only`` some of them) for
    every assignment (or the one named ``assignment``), writing each one's feedback pages as their
    result is saved (unless ``pages_as_graded`` is False: the caller changes what pages show before
    they are written), then write every output from the gradebook (unless ``write_outputs`` is
    False: a shard's job); the grades-by-test table of the whole gradebook.
    Student code runs in a sandbox (``sandbox``) unless ``sandboxed`` is False."""
    submitted_dir = submitted_dir or course.submitted
    console = console or Console(stderr=True)
    check_submissions(submitted_dir)
    check_sandbox(sandboxed, console)
    check_graphviz(console)
    if write_outputs:  # a mistake in due-dates.csv or extensions.csv found now, not after grading
        deadlines.read_extensions(course, deadlines.due_dates(course))
    chosen = chosen_assignments(course, assignment)
    work = [(a, student) for a, student in assignments.units(course, submitted_dir, chosen)
            if only is None or student in only]
    refused = {unit: refusal(unit[1], str(submitted_dir)) for unit in work if not is_student_id(unit[1])}
    work = [unit for unit in work if unit not in refused]
    exercises = {a.name: uptodate.exercises_digest(course, a) for a in chosen}
    bases = {a.name: uptodate.exercises_digest(course, a, tests=False) for a in chosen}
    pending = {}
    for a, student in work:
        digests = fingerprint(a, submitted_dir, student, time_limit, sandboxed, exercises[a.name], bases[a.name])
        if force or unchanged_result(a, student, digests.whole) is None:
            pending[(a, student)] = digests
    # the last run's record, read before the workers replace autograded/: which answers changed
    previous = {unit: run[1] for unit in pending if (run := course.read_run(*unit)) is not None}
    replays = set() if force else {unit for unit in pending if replayable(pending[unit], previous.get(unit))}
    workers = workers_worth_starting(workers or os.cpu_count() or 1, len(pending) - len(replays), len(replays))
    graded = [a for a in chosen if any(unit[0] == a for unit in pending)]
    students_to_run = len(pending) > len(replays)
    # one judge per assignment and, as root, one template for every worker: the libraries
    # imported once a run, not once a worker
    run = GradingRun(graded, sandboxed, students_to_run) if pending else None
    pool = None
    try:
        pool = grading_pool(workers, run) if pending else None
        # the workers take up the run's judges (and start a first sandbox) while the release is written
        for _ in range(min(workers, len(pending))):
            pool.submit(warm_up, graded, sandboxed, students_to_run)
        # the releases, and record in the gradebook (their test cells), of the chosen assignments that
        # were handed in or released before, if stale: one nobody has had yet stays out of grades.csv
        release.release(course, uptodate.stale_releases(course, uptodate.in_play(course, chosen, work)))
        cells = {a.name: course_cells(a) for a in chosen}
        if pending:
            what = "students" if len(chosen) == 1 else "submissions (a student's work for an assignment)"
            again = f", {len(replays)} of them from the judge's kept answers: only tests changed" if replays else ""
            console.print(f"grading {len(pending)} of {len(work)} {what} ({len(work) - len(pending)} unchanged{again})")
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("time left"),
                   TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("grading", total=len(pending))
            failures, lost = grade_in_pool(submitted_dir, pending, previous, workers, time_limit, sandboxed, cells,
                                           progress, task, replays, pool, pages_as_graded)
            if lost:  # a worker process died (not a sandboxed kernel): once more, in a fresh pool
                progress.console.print(f"a grading worker died; grading {', '.join(s for _, s in lost)} again")
                for unit in lost:
                    del failures[unit]
                again, _ = grade_in_pool(submitted_dir, {unit: pending[unit] for unit in lost}, previous, workers,
                                         time_limit, sandboxed, cells, progress, task, pages=pages_as_graded)
                failures.update(again)
        if pool is not None:  # the workers stop their judges while the outputs are written
            pool.shutdown(wait=False)
        try:
            table = refresh(course) if write_outputs else None
        except NothingToRefresh:
            if not failures and not refused:
                raise
            table = None  # nobody was graded: the failures say why
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if run is not None:
            run.close()
    failures = {**refused, **failures}
    if failures:
        def named(unit: tuple[Assignment, str]) -> str:
            student = unit[1] if is_student_id(unit[1]) else repr(unit[1])
            return student if len(chosen) == 1 else f"{student} ({unit[0].name})"
        raise GraderError("the grader failed for " + "; ".join(
            f"{named(unit)}: {message}" for unit, message in sorted(failures.items(), key=lambda item: item[0][1])),
            sorted({student for _, student in failures}))
    return table


def scores(course: Course) -> pd.DataFrame:
    """Every grade in the gradebook: one row per student and graded cell."""
    rows = []
    with course.gradebook() as gradebook:
        for student in sorted(student.id for student in gradebook.students):
            for assignment, name, cell, _, autograded in graded_cells(course):
                try:
                    grade = gradebook.find_grade(cell, Path(name).stem, assignment, student)
                except MissingEntry:
                    continue
                rows.append((assignment, student, name, cell, autograded, grade.score, grade.max_score,
                             grade.needs_manual_grade))
    return pd.DataFrame(rows, columns=["assignment", "student", "notebook", "grade_id", "autograded", "score",
                                       "max_score", "manual"])


def demo(course: Course, console: Console | None = None, **options) -> pd.DataFrame:
    """Grade the demo class that the repository ships, as `make grade` grades a class: its students
    are copied into submitted/ (where formgrader and nbgrader look for submissions) and graded
    there, beside any other student; the grades-by-test table of the demo students.

    Their submission times are set around each assignment's due date (``demo.SUBMITTED``: one is
    late, one has an extension in extensions.csv); an assignment without one gets the demo's."""
    console = console or Console(stderr=True)
    shipped = course.demo_submitted
    names = students(shipped)
    chosen = chosen_assignments(course, options.get("assignment"))
    due = deadlines.due_dates(course)
    deadlines.read_extensions(course, {**due, **{name: date or demo_module.DUE for name, date in due.items()}})
    due = {a.name: due.get(a.name) or demo_module.DUE for a in chosen}  # a mistake in extensions.csv stops the demo before it grades
    for student in names:
        destination = course.submitted / student
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(shipped / student, destination)
        for name, due_date in due.items():
            if (destination / name).is_dir():
                submitted = due_date + demo_module.SUBMITTED.get(student, demo_module.ON_TIME)
                (destination / name / "timestamp.txt").write_text(f"{submitted:%Y-%m-%d %H:%M:%S} UTC\n")
    # no page before the due dates below are set: each would be written again
    grade_class(course, only=names, console=console, write_outputs=False, pages_as_graded=False, **options)
    in_file = deadlines.read_due_dates(course)
    with course.gradebook() as gradebook:
        for name, due_date in due.items():
            if gradebook.find_assignment(name).duedate is None:
                gradebook.update_or_create_assignment(name, duedate=due_date)
                if name not in in_file:
                    console.print(f"{name} had no due date: the demo set it to {due_date:%Y-%m-%d %H:%M} UTC "
                                  f"(make due, or a line in {deadlines.DUE_DATES}, sets it)")
    table = refresh(course)
    chosen_rows = table["student_id"].isin(names)
    if options.get("assignment"):
        chosen_rows &= table["assignment"] == options["assignment"]
    return table[chosen_rows].reset_index(drop=True)


GENERATED = ["gradebook.db", "autograded", "feedback", "grades.csv", "grades-by-test.csv", "report.html", "exports"]
KEPT_FOLDERS = ["autograded", "feedback"]


def hand_grades(course: Course) -> int:
    """How many scores and comments in the gradebook were given by hand (formgrader)."""
    if not course.gradebook_exists():
        return 0
    from nbgrader.api import Comment, Grade

    with course.gradebook() as gradebook:
        return (gradebook.db.query(Grade).filter(Grade.manual_score.isnot(None)).count()
                + gradebook.db.query(Comment).filter(Comment.manual_comment.isnot(None),
                                                     Comment.manual_comment != "").count())


def clean(course: Course, force: bool = False) -> list[str]:
    """Remove what grading and the demo generate; refuse, removing nothing, while the gradebook
    holds grades given by hand (unless ``force``): they exist nowhere else."""
    given_by_hand = hand_grades(course)
    root = course.root
    if given_by_hand and not force:
        raise GraderError(f"the gradebook holds {given_by_hand} scores and comments given by hand, which exist "
                          "nowhere else: nothing was removed (back up gradebook.db, or make clean FORCE=1)")
    demo_copies = [course.submitted / student for student in students(course.demo_submitted)]
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

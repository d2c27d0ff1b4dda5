"""Grade a whole class: `make grade`.

Every student under submitted/ is graded in parallel worker processes (one per core by
default; see ``autograde``), and the scores are saved to the gradebook by this process
alone, as each student finishes. Then it writes:

- grades.csv: ``nbgrader export``, one row per student;
- grades-by-test.csv: one row per student, notebook and graded cell, with a status;
- feedback/<student>/<assignment>/*.html: what each student sees, without the hidden tests;
- report.html: the class's scores, the passes per test, and what could not be graded.

A student whose submission and the exercises have not changed since the last run is not
graded again (``force`` grades everyone).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from penguin_course import feedback, release, report, sandbox
from penguin_course.autograde import (MANUAL, CellResult, NotebookResult, StudentResult, db_url, grade_submission,
                                      load_config, record)
from penguin_course.nbgrader_cli import nbgrader
from penguin_course.notebooks import grade_id, is_autograded_test, nbgrader_meta, read
from penguin_course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT

BY_TEST_COLUMNS = ["student_id", "notebook", "grade_id", "score", "max_score", "status"]
TIME_LIMIT = 180  # seconds per notebook: the reference solution needs about 10 s
RESULT_FILE = "grading.json"  # in autograded/<student>/<assignment>/: what the last run found


class GraderError(RuntimeError):
    """The grader itself failed (not a submission): `make grade` exits non-zero."""


def graded_cells(root: Path) -> list[tuple[str, str, float, bool]]:
    """(notebook, grade_id, points, autograded?) of every graded cell of the source notebooks."""
    return [(name, grade_id(cell), float(nbgrader_meta(cell)["points"]), is_autograded_test(cell))
            for name in NOTEBOOKS
            for cell in read(root / "source" / ASSIGNMENT / name).cells
            if nbgrader_meta(cell).get("grade")]


def students(submitted_dir: Path) -> list[str]:
    return sorted(path.name for path in submitted_dir.iterdir() if path.is_dir()) if submitted_dir.is_dir() else []


def fingerprint(root: Path, submitted_dir: Path, student: str, time_limit: float, sandboxed: bool) -> str:
    """A digest of everything a student's grade depends on: their files, the exercises, the settings."""
    digest = hashlib.sha256(f"{time_limit} {sandboxed}".encode())
    folders = [submitted_dir / student, root / "source" / ASSIGNMENT]
    for path in [root / "nbgrader_config.py"] + sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def result_path(root: Path, student: str) -> Path:
    return root / "autograded" / student / ASSIGNMENT / RESULT_FILE


def load_result(root: Path, student: str, digest: str) -> StudentResult | None:
    """The result of the last run, if it graded exactly what is there now."""
    try:
        saved = json.loads(result_path(root, student).read_text())
    except (OSError, ValueError):
        return None
    if saved.get("fingerprint") != digest:
        return None
    notebooks = [NotebookResult(n["name"], n["status"], n["message"], [CellResult(**c) for c in n["cells"]])
                 for n in saved["result"]["notebooks"]]
    return StudentResult(saved["result"]["student"], notebooks, saved["result"]["seconds"])


def complete(result: StudentResult, cells: list[tuple[str, str, float, bool]]) -> StudentResult:
    """Give every graded cell of a notebook that was not run a row: 0 points, the notebook's status."""
    for notebook in result.notebooks:
        if not notebook.cells:
            notebook.cells = [CellResult(cell, 0.0, points, notebook.status, notebook.message)
                              for name, cell, points, _ in cells if name == notebook.name]
    return result


def by_test(results: list[StudentResult]) -> pd.DataFrame:
    rows = [(result.student, notebook.name, cell.grade_id, cell.score, cell.max_score, cell.status)
            for result in results for notebook in result.notebooks for cell in notebook.cells]
    # Workers finish in any order: sort, so that every run writes the same table.
    table = pd.DataFrame(rows, columns=BY_TEST_COLUMNS).sort_values(["student_id", "notebook"], kind="stable")
    return table.reset_index(drop=True)


def notebook_statuses(results: list[StudentResult]) -> pd.DataFrame:
    """Each notebook's status ("" if it ran to the end) and message (why not, or the name it was found under)."""
    rows = [(result.student, notebook.name, notebook.status, notebook.message)
            for result in results for notebook in result.notebooks]
    return pd.DataFrame(rows, columns=["student_id", "notebook", "status", "message"])


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


def check_sandbox(sandboxed: bool, console: Console) -> None:
    """Refuse to grade without a working sandbox, unless the instructor opted out."""
    if not sandboxed:
        console.print("[bold red]WARNING: grading without a sandbox[/]: student code runs with your rights and "
                      "can read or change the course, the gradebook and other students' work.")
        return
    try:
        sandbox.check()
    except sandbox.SandboxUnavailable as error:
        raise GraderError(f"cannot grade safely: {error}") from None


def grade_class(root: Path = ROOT, submitted_dir: Path | None = None, workers: int | None = None,
                force: bool = False, time_limit: float = TIME_LIMIT, sandboxed: bool = True,
                console: Console | None = None) -> pd.DataFrame:
    """Grade every student of ``submitted_dir`` (default: submitted/); the grades-by-test table.
    Student code runs in a sandbox (``sandbox``) unless ``sandboxed`` is False."""
    submitted_dir = submitted_dir or root / "submitted"
    console = console or Console(stderr=True)
    check_sandbox(sandboxed, console)
    release.generate(root)  # records the assignment and its test cells in the gradebook
    config = load_config(root)
    cells = graded_cells(root)
    everyone = students(submitted_dir)
    results, pending = [], {}
    for student in everyone:
        digest = fingerprint(root, submitted_dir, student, time_limit, sandboxed)
        previous = None if force else load_result(root, student, digest)
        if previous is not None:
            results.append(previous)
        else:
            pending[student] = digest
    if pending:
        console.print(f"grading {len(pending)} of {len(everyone)} students ({len(everyone) - len(pending)} unchanged)")
    failures = []
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("time left"),
               TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as progress, \
            ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        task = progress.add_task("grading", total=len(pending))
        pages = feedback.exporter()
        futures = {pool.submit(grade_submission, root, submitted_dir, student, time_limit, sandboxed): student
                   for student in pending}
        for future in as_completed(futures):
            student = futures[future]
            try:
                result = complete(future.result(), cells)
                record(root, result, config)  # the only writer of the gradebook
                feedback.write(root, result, pages)
            except Exception as error:  # a fault of the grader, not of the submission
                failures.append(f"{student}: {type(error).__name__}: {error}")
                progress.advance(task)
                continue
            result_path(root, student).write_text(json.dumps({"fingerprint": pending[student],
                                                              "result": asdict(result)}, indent=1))
            results.append(result)
            score = sum(c.score for n in result.notebooks for c in n.cells)
            progress.console.print(f"graded {student} in {result.seconds:.0f} s: {score:g} points")
            progress.advance(task)
    table = by_test(results)
    table.to_csv(root / "grades-by-test.csv", index=False)
    nbgrader("export", f"--to={root / 'grades.csv'}", root=root)
    autograded = {(name, cell) for name, cell, _, is_test in cells if is_test}
    report.write(table, notebook_statuses(results), autograded, root / "report.html")
    if failures:
        raise GraderError("the grader failed for " + "; ".join(failures))
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
    """Grade the demo class that the repository ships; the grades-by-test table."""
    return grade_class(root, root / DEMO_SUBMISSIONS.relative_to(ROOT), **options)

"""Every output from the gradebook: `make feedback`, and the last step of `make grade`.

The gradebook is the one record of scores: autograded tests and answers graded by hand in
formgrader are both there. From it, and from what each grading run found (why a notebook
could not be graded, which test timed out), this writes:

- grades-by-test.csv: one row per student, notebook and graded cell, with a status;
- grades.csv: ``nbgrader export``, one row per student;
- feedback/<student>/<assignment>/*.html: nbgrader's ``generate_feedback``, as configured in
  nbgrader_config.py (no hidden test; hand grades, comments and what still waits);
- report.html.

It runs no student code and takes seconds, so it can follow every session of grading by hand.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry

from penguin_course import report
from penguin_course.autograde import (FAILED, INVALID, MANUAL, MISSING, PASSED, StudentResult, db_url, gradebook_exists,
                                      read_run)
from penguin_course import uptodate
from penguin_course.feedback import write_not_graded
from penguin_course.nbgrader_cli import nbgrader
from penguin_course.notebooks import graded_cells
from penguin_course.paths import ASSIGNMENT, NOTEBOOKS, ROOT

BY_TEST_COLUMNS = ["student_id", "notebook", "grade_id", "score", "max_score", "status"]
HAND_GRADED = "graded by hand"


class NothingToRefresh(RuntimeError):
    pass


def course_cells(root: Path) -> list[tuple[str, str, float, bool]]:
    return graded_cells(root / "source" / ASSIGNMENT, NOTEBOOKS)


def status_of(grade, run_status: str | None) -> str:
    """The status of a graded cell: the gradebook's word on hand grading first, then what the run found."""
    if grade.needs_manual_grade:
        return MANUAL
    if grade.manual_score is not None:
        return HAND_GRADED
    if run_status and run_status != MANUAL:
        return run_status
    return PASSED if (grade.score or 0) >= grade.max_score else FAILED


def by_test(root: Path, runs: dict[str, StudentResult]) -> pd.DataFrame:
    """grades-by-test: the score of every graded cell of every submission in the gradebook."""
    cells = course_cells(root)
    rows = []
    with Gradebook(db_url(root)) as gradebook:
        try:
            submissions = gradebook.find_assignment(ASSIGNMENT).submissions
        except MissingEntry:
            submissions = []
        for submission in sorted(submissions, key=lambda submission: submission.student_id):
            student = submission.student_id
            run = runs.get(student)
            run_statuses = {(n.name, c.grade_id): c.status for n in run.notebooks for c in n.cells} if run else {}
            grades = {(f"{notebook.name}.ipynb", grade.name): grade
                      for notebook in submission.notebooks for grade in notebook.grades}
            for name, cell, points, _ in cells:
                grade = grades.get((name, cell))
                if grade is None:  # a cell added to the exercises after this student was graded
                    rows.append((student, name, cell, 0.0, points, "not graded yet"))
                    continue
                rows.append((student, name, cell, float(grade.score or 0), float(grade.max_score),
                             status_of(grade, run_statuses.get((name, cell)))))
    return pd.DataFrame(rows, columns=BY_TEST_COLUMNS)


def notebook_statuses(runs: dict[str, StudentResult]) -> pd.DataFrame:
    """Each notebook's status ("" if it ran to the end) and message (why not, or the name it was found under)."""
    rows = [(result.student, notebook.name, notebook.status, notebook.message)
            for result in runs.values() for notebook in result.notebooks]
    return pd.DataFrame(rows, columns=["student_id", "notebook", "status", "message"])


def write_feedback(root: Path, runs: dict[str, StudentResult]) -> None:
    """nbgrader's generate_feedback for every graded student, then a page for each notebook it could not grade."""
    if any((root / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        nbgrader("generate_feedback", ASSIGNMENT, "--force", root=root)
    for result in runs.values():
        for notebook in result.notebooks:
            if notebook.status in (MISSING, INVALID):
                write_not_graded(root / "feedback" / result.student / ASSIGNMENT, notebook.name, notebook.status,
                                 notebook.message)


def sort_rows(path: Path, columns: list[str]) -> None:
    """Sort a CSV file's rows by ``columns``, leaving every value as written: nbgrader exports
    students in the order they entered the gradebook, which depends on who finished grading first."""
    with path.open(newline="") as file:
        header, *rows = list(csv.reader(file))
    keys = [header.index(column) for column in columns if column in header]
    with path.open("w", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows([header, *sorted(rows, key=lambda row: [row[k] for k in keys])])


def refresh(root: Path = ROOT) -> pd.DataFrame:
    """Write the CSVs, the feedback pages and the report from the gradebook; the grades-by-test table."""
    if not gradebook_exists(root):
        raise NothingToRefresh(f"there is no gradebook in {root}: grade first (make grade)")
    students = sorted(path.parent.name for path in (root / "autograded").glob(f"*/{ASSIGNMENT}"))
    runs = {student: run[1] for student in students if (run := read_run(root, student)) is not None}
    table = by_test(root, runs)
    if table.empty:
        raise NothingToRefresh(f"the gradebook in {root} has no graded submission of {ASSIGNMENT}: grade first "
                               "(make grade)")
    table.to_csv(root / "grades-by-test.csv", index=False)
    nbgrader("export", f"--to={root / 'grades.csv'}", root=root)
    sort_rows(root / "grades.csv", ["assignment", "student_id"])
    write_feedback(root, runs)
    autograded = {(name, cell) for name, cell, _, is_test in course_cells(root) if is_test}
    report.write(table, notebook_statuses(runs), autograded, root / "report.html")
    # what the outputs were written from: a `make grade` that finds it unchanged writes nothing
    uptodate.write_stamp(root, uptodate.OUTPUTS_STAMP, uptodate.outputs_digest(root))
    return table

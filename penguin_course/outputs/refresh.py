"""Every output from the gradebook: `make feedback`, and the last step of `make grade`.

The gradebook is the one record of scores: autograded tests and answers graded by hand in
formgrader are both there. From it, and from what each grading run found (why a notebook
could not be graded, which test timed out), this writes:

- grades-by-test.csv: one row per assignment, student, notebook and graded cell, with a status,
  how late the submission was (seconds) and its notebook's late penalty (on each of its rows);
- grades.csv: ``nbgrader export``, one row per student;
- feedback/<student>/<assignment>/*.html: nbgrader's ``generate_feedback``, as configured in
  nbgrader_config.py (no hidden test; hand grades, comments and what still waits), for the
  pages whose graded notebook or grades changed (``feedback.write_pages``);
- exports/similarity.csv: how alike each pair of students' answers is (``similarity``);
- exports/lateness.csv: each submission's deadline, time and late penalty (``deadlines``);
- report.html.

First, the late penalties are set again from the due dates, extensions.csv and the late policy
(``deadlines.settle``), and answers graded again by hand lose the note on their earlier grade
(``hand_grades``). It runs no student code and takes seconds, so it can follow every session of
grading by hand.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd
from nbgrader import api
from sqlalchemy.orm import joinedload, load_only

from penguin_course.course import uptodate
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.course.hand_grades import clear_answered_notes
from penguin_course.course.notebooks import graded_cells
from penguin_course.course.records import FAILED, INVALID, MANUAL, MISSING, PASSED, StudentResult
from penguin_course.outputs import deadlines
from penguin_course.outputs import report, similarity, spreadsheets
from penguin_course.outputs.feedback import submitted_notebooks, write_pages

BY_TEST_COLUMNS = ["assignment", "student_id", "notebook", "grade_id", "score", "max_score", "status",
                   "late_by_seconds", "penalty"]
HAND_GRADED = "graded by hand"


class NothingToRefresh(RuntimeError):
    pass


def course_cells(assignment: Assignment) -> list[tuple[str, str, float, bool]]:
    """(notebook, grade_id, points, autograded?) of every graded cell of the assignment's notebooks."""
    return graded_cells(assignment.source, assignment.notebooks)


def status_of(grade, run_status: str | None) -> str:
    """The status of a graded cell: the gradebook's word on hand grading first, then what the run found."""
    if grade.needs_manual_grade:
        return MANUAL
    if grade.manual_score is not None:
        return HAND_GRADED
    if run_status and run_status != MANUAL:
        return run_status
    return PASSED if (grade.score or 0) >= grade.max_score else FAILED


def by_test(assignment: Assignment, runs: dict[str, StudentResult]) -> list[tuple]:
    """grades-by-test's rows for one assignment: the score of every graded cell of every submission
    of it in the gradebook."""
    cells = course_cells(assignment)
    rows = []
    with assignment.course.gradebook() as gradebook:
        notebooks = {}
        for notebook in submitted_notebooks(gradebook, assignment.name):
            notebooks.setdefault(notebook.assignment.student_id, []).append(notebook)
        submissions = (gradebook.db.query(api.SubmittedAssignment).join(api.SubmittedAssignment.assignment)
                       .filter(api.Assignment.name == assignment.name)
                       .options(load_only(api.SubmittedAssignment.student_id, api.SubmittedAssignment.timestamp,
                                          api.SubmittedAssignment.extension),
                                joinedload(api.SubmittedAssignment.assignment)))
        for submission in sorted(submissions, key=lambda submission: submission.student_id):
            student = submission.student_id
            run = runs.get(student)
            run_statuses = {(n.name, c.grade_id): c.status for n in run.notebooks for c in n.cells} if run else {}
            grades = {(f"{notebook.notebook.name}.ipynb", grade.cell.name): grade
                      for notebook in notebooks.get(student, []) for grade in notebook.loaded_grades}
            penalties = {f"{notebook.notebook.name}.ipynb": float(notebook.late_submission_penalty or 0.0)
                         for notebook in notebooks.get(student, [])}
            late = float(submission.total_seconds_late)
            for name, cell, points, _ in cells:
                grade = grades.get((name, cell))
                if grade is None:  # a cell added to the exercises after this student was graded
                    rows.append((assignment.name, student, name, cell, 0.0, points, "not graded yet", late,
                                 penalties.get(name, 0.0)))
                    continue
                rows.append((assignment.name, student, name, cell, float(grade.score or 0), float(grade.max_score),
                             status_of(grade, run_statuses.get((name, cell))), late, penalties.get(name, 0.0)))
    return rows


def notebook_statuses(runs: dict[str, StudentResult]) -> pd.DataFrame:
    """Each notebook's status ("" if it ran to the end) and message (why not, or the name it was found under)."""
    rows = [(result.assignment, result.student, notebook.name, notebook.status, notebook.message)
            for result in runs.values() for notebook in result.notebooks]
    return pd.DataFrame(rows, columns=["assignment", "student_id", "notebook", "status", "message"])


def write_feedback(assignment: Assignment, runs: dict[str, StudentResult], student: str | None = None) -> int:
    """The feedback pages of every graded student (of ``student`` only, if given: ``runs`` may then
    hold theirs only) (``feedback.write_pages``); how many nbgrader wrote."""
    not_graded = {result.student: [(notebook.name, notebook.status, notebook.message) for notebook in result.notebooks
                                   if notebook.status in (MISSING, INVALID)] for result in runs.values()}
    return write_pages(assignment.course, assignment.name, not_graded, student)


def write_pages_of_graded(assignment: Assignment, result: StudentResult) -> None:
    """A student's feedback pages, written as soon as their result is in the gradebook, while the
    rest of the class is graded: the refresh that ends the run then finds them up to date (the same
    digests), and the class's pages are not all written on one core after the last student. Their
    late penalty is settled first, as the refresh will settle it."""
    deadlines.settle(assignment.course, result.student)
    write_feedback(assignment, {result.student: result}, result.student)


def export_grades(course: Course, path: Path) -> None:
    """``nbgrader export --to=path``, as configured in nbgrader_config.py (``ExportApp.plugin_class``,
    nbgrader's CSV by default), run in this process: a new Python would spend longer starting."""
    from nbgrader.plugins import CsvExportPlugin
    from traitlets.utils.importstring import import_item

    plugin_class = course.config.ExportApp.get("plugin_class", CsvExportPlugin)
    plugin = (import_item(plugin_class) if isinstance(plugin_class, str) else plugin_class)(config=course.config)
    plugin.to = str(path)
    with course.gradebook() as gradebook:
        plugin.export(gradebook)


def not_submitted(course: Course) -> dict[str, list[str]]:
    """By assignment of the gradebook: the students of the gradebook (those who handed anything in,
    and the roster's) who handed nothing in for it."""
    with course.gradebook() as gradebook:
        submitted = {(s.assignment.name, s.student_id) for s in gradebook.db.query(api.SubmittedAssignment)}
        students = sorted(student.id for student in gradebook.students)
        names = sorted(assignment.name for assignment in gradebook.assignments)
    return {name: [student for student in students if (name, student) not in submitted] for name in names}


def mark_missing(path: Path, missing: dict[str, list[str]]) -> None:
    """grades.csv (nbgrader's CSV export) with a ``status`` column: ``missing`` for an assignment the
    student handed nothing in for, whose scores nbgrader writes as 0 and are left blank here (a 0
    would read as work graded 0), ``submitted`` for the others."""
    with path.open(newline="") as file:
        header, *rows = list(csv.reader(file))
    if header[:1] != ["assignment"] or "student_id" not in header:
        return  # another export plugin's file: left as it wrote it
    absent = {(assignment, student) for assignment, students in missing.items() for student in students}
    student_column = header.index("student_id")
    blanked = [header.index(column) for column in ("raw_score", "late_submission_penalty", "score") if column in header]
    for row in rows:
        is_missing = (row[0], row[student_column]) in absent
        for column in blanked if is_missing else []:
            row[column] = ""
        row.append("missing" if is_missing else "submitted")
    with path.open("w", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows([header + ["status"], *rows])


def sort_rows(path: Path, columns: list[str]) -> None:
    """Sort a CSV file's rows by ``columns``, leaving every value as written (text that a spreadsheet
    would read as a formula made text: ``spreadsheets.inert``): nbgrader exports students in the
    order they entered the gradebook, which depends on who finished grading first."""
    with path.open(newline="") as file:
        header, *rows = list(csv.reader(file))
    keys = [header.index(column) for column in columns if column in header]
    with path.open("w", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(spreadsheets.inert_rows(
            [header, *sorted(rows, key=lambda row: [row[k] for k in keys])]))


def refresh(course: Course) -> pd.DataFrame:
    """Write the CSVs, the feedback pages and the report from the gradebook; the grades-by-test table."""
    root = course.root
    if not course.gradebook_exists():
        raise NothingToRefresh(f"there is no gradebook in {root}: grade first (make grade)")
    for note in deadlines.settle(course):  # before any output is written: a mistake in extensions.csv stops here
        print(f"note: {note}", file=sys.stderr)
    with course.gradebook() as gradebook:  # answers graded again by hand lose the note on their earlier grade
        if sum(clear_answered_notes(gradebook, assignment.name) for assignment in course.assignments):
            gradebook.db.commit()
    runs, rows = {}, []
    for assignment in course.assignments:
        students = sorted(path.parent.name for path in course.autograded.glob(f"*/{assignment.name}"))
        runs[assignment] = {student: run[1] for student in students
                            if (run := course.read_run(assignment, student)) is not None}
        rows += by_test(assignment, runs[assignment])
    table = pd.DataFrame(rows, columns=BY_TEST_COLUMNS)
    if table.empty:
        raise NothingToRefresh(f"the gradebook in {root} has no graded submission: grade first (make grade)")
    spreadsheets.inert_table(table).to_csv(root / "grades-by-test.csv", index=False)
    export_grades(course, root / "grades.csv")
    missing = not_submitted(course)
    if "plugin_class" not in course.config.ExportApp:  # nbgrader's own CSV: a status for what nobody handed in
        mark_missing(root / "grades.csv", missing)
    sort_rows(root / "grades.csv", ["assignment", "student_id"])
    for assignment, graded in runs.items():
        write_feedback(assignment, graded)
    autograded = {(a.name, name, cell) for a in runs for name, cell, _, is_test in course_cells(a) if is_test}
    statuses = notebook_statuses({(a, s): run for a, graded in runs.items() for s, run in graded.items()})
    pairs, sections = [], {}
    for assignment, graded in runs.items():
        table_of_pairs, matches = similarity.compare(assignment, sorted(graded))
        pairs.append(table_of_pairs)
        sections[assignment.name] = similarity.section(table_of_pairs, matches)
    similarity.write_csv(pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=similarity.COLUMNS),
                         root / "exports" / "similarity.csv")
    lateness = deadlines.lateness_shown(course)
    deadlines.write_lateness(lateness, root / "exports" / "lateness.csv")
    report.write(table, statuses, autograded, root / "report.html", sections, lateness, missing)
    # what the outputs were written from: a `make grade` that finds it unchanged writes nothing
    uptodate.write_stamp(course, uptodate.OUTPUTS_STAMP, uptodate.outputs_digest(course))
    return table

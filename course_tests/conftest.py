"""Shared helpers for the course tests."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import sqlalchemy as sa

from penguin_course.course import notebooks
from penguin_course.course.assignments import Assignment
from penguin_course.preparing.known_answers import Rewritten
from penguin_course.course.directory import Course
from penguin_course.grading import grade
from penguin_course.grading.execute import TestResult, run_notebook
from penguin_course.course.paths import ASSIGNMENT, ROOT
from penguin_course.isolation import sandbox

DAY1 = Course(ROOT).assignment(ASSIGNMENT)  # the day-1 lesson, for the tests of its content


def grade_student_notebook(name: str, answers: dict[str, str], judged: bool = True,
                           assignment: Assignment = DAY1) -> dict[str, TestResult]:
    """Fill the released notebook ``name`` of ``assignment`` with ``answers``, put the tests back
    from source/ (as nbgrader's autograder does), run it, and return each test cell's result: judged
    outside the kernel, as in grading, or (``judged=False``) in the student's kernel, as nbgrader does."""
    submitted = notebooks.fill(notebooks.read(assignment.release / name), answers)
    return run_notebook(notebooks.restore_tests(submitted, notebooks.read(assignment.source / name)),
                        source_dir=assignment.source, judged=judged)


def failed(results: dict[str, TestResult]) -> dict[str, str]:
    return {grade_id: result.message for grade_id, result in results.items() if not result.passed}


def submission(name: str, answers: dict[str, str], assignment: Assignment = DAY1) -> nbformat.NotebookNode:
    """The released notebook ``name`` of ``assignment`` as the student hands it in: ``answers`` in
    their cells, the instructor's solution in the cells they left out."""
    answers = {**notebooks.solutions(assignment.source / name), **answers}
    notebook = notebooks.fill(notebooks.read(assignment.release / name),
                              {cell: code for cell, code in answers.items() if not isinstance(code, Rewritten)})
    for cell in notebook.cells:
        if isinstance(answers.get(notebooks.grade_id(cell)), Rewritten):
            cell.source = str(answers[notebooks.grade_id(cell)])
    return notebook


def grade_as_a_class(root: Path, students: dict[str, dict[str, nbformat.NotebookNode]],
                     assignment: Assignment = DAY1) -> pd.DataFrame:
    """``students`` (student -> notebook name -> the notebook they hand in for ``assignment``)
    graded as `make grade` grades a class (``grade_classes``). The grades-by-test table."""
    return grade_classes(root, {assignment: students})


def grade_classes(root: Path, classes: dict[Assignment, dict[str, dict[str, nbformat.NotebookNode]]]) -> pd.DataFrame:
    """Each assignment's students (student -> notebook name -> the notebook they hand in) graded as
    `make grade` grades a class, with ``grade.grade_class`` on a copy of the course made in
    ``root``: in the sandbox, the tests judged outside the kernel, in one run. Faster than one
    notebook after another: the kernels start warm. The grades-by-test table."""
    sandbox.check()
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, root / folder, symlinks=True)
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    for assignment, students in classes.items():
        for student, handed_in in students.items():
            folder = root / "submitted" / student / assignment.name
            folder.mkdir(parents=True)
            for name, notebook in handed_in.items():
                nbformat.write(notebook, folder / name)
    return grade.grade_class(Course(root), workers=2)


def class_results(root: Path, table: pd.DataFrame, student: str,
                  assignment: Assignment = DAY1) -> dict[tuple[str, str], str]:
    """(notebook, grade id) -> "" for an autograded test of ``assignment`` that ``student`` of the
    class graded in ``root`` passed with full marks, else what went wrong, as the student's feedback
    says it."""
    course = Course(root)
    run = course.read_run(Assignment(course, assignment.name), student)
    assert run is not None, f"{student} was not graded"
    notebook_results = {notebook.name: notebook for notebook in run[1].notebooks}
    found = {}
    for test in notebooks.autograded_tests(assignment.source, assignment.notebooks):
        rows = table[(table.assignment == assignment.name) & (table.student_id == student)
                     & (table.notebook == test.notebook) & (table.grade_id == test.grade_id)]
        if len(rows) != 1:
            found[test.notebook, test.grade_id] = "not in grades-by-test.csv"
            continue
        row = rows.iloc[0]
        if row.status == "passed" and row.score == row.max_score:
            found[test.notebook, test.grade_id] = ""
            continue
        notebook = notebook_results.get(test.notebook)
        cell = next((c for c in notebook.cells if c.grade_id == test.grade_id), None) if notebook else None
        why = [f"{row.status}, {row.score:g} of {row.max_score:g} points"]
        why += [notebook.message] if notebook is not None and notebook.status else []
        why += [cell.message.strip()] if cell is not None and cell.message else []
        found[test.notebook, test.grade_id] = ": ".join(why)
    return found


@pytest.fixture
def course_copy(tmp_path):
    """A scratch course folder with source/ and the nbgrader config, to run nbgrader in."""
    shutil.copytree(ROOT / "source", tmp_path / "source")
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    return tmp_path


@pytest.fixture
def chromium():
    """Debian's Chromium through Playwright, for the browser tests; the test fails, saying what to
    install, when it is missing."""
    from course_tests import browser

    missing = browser.chromium_missing()
    if missing:
        pytest.fail(missing, pytrace=False)
    with browser.chromium() as instance:
        yield instance


def hidden_test_lines() -> list[str]:
    """The lines of every assignment's hidden tests that would give them away: not their comments
    and imports, nor a line that a visible test has too (the students have it in the release)."""
    lines = []
    for assignment, name in ((a, name) for a in Course(ROOT).assignments for name in a.notebooks):
        released = {line.strip() for cell in notebooks.read(assignment.release / name).cells
                    for line in cell.source.splitlines()}
        for cell in notebooks.read(assignment.source / name).cells:
            for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
                lines += [line.strip() for line in region.splitlines()
                          if len(line.strip()) > 12 and not line.strip().startswith(("#", "import "))
                          and line.strip() not in released]
    return lines


def gradebook_contents(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, without the random ids nbgrader gives rows and the keys made of them
    (a missing value is one, whatever type the database gave its column)."""
    engine = sa.create_engine(url)
    tables = {}
    try:
        with engine.connect() as connection:
            for table in sa.inspect(engine).get_table_names():
                if table == "alembic_version":
                    continue
                rows = pd.read_sql_table(table, connection)
                kept = sorted(column for column in rows.columns if column != "id" and not column.endswith("_id"))
                tables[table] = sorted(tuple("null" if pd.isna(value) else str(value) for value in row)
                                       for row in rows[kept].itertuples(index=False))
    finally:
        engine.dispose()
    return tables

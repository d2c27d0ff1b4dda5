"""Shared helpers for the course tests."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import sqlalchemy as sa

from penguin_course.course import notebooks
from penguin_course.grading.execute import TestResult, run_notebook
from penguin_course.course.paths import NOTEBOOKS, RELEASE, ROOT, SOURCE


def grade_student_notebook(name: str, answers: dict[str, str], judged: bool = True) -> dict[str, TestResult]:
    """Fill the released notebook ``name`` with ``answers``, put the tests back from source/
    (as nbgrader's autograder does), run it, and return each test cell's result: judged outside
    the kernel, as in grading, or (``judged=False``) in the student's kernel, as nbgrader does."""
    submitted = notebooks.fill(notebooks.read(RELEASE / name), answers)
    return run_notebook(notebooks.restore_tests(submitted, notebooks.read(SOURCE / name)), judged=judged)


def failed(results: dict[str, TestResult]) -> dict[str, str]:
    return {grade_id: result.message for grade_id, result in results.items() if not result.passed}


@pytest.fixture
def course_copy(tmp_path):
    """A scratch course folder with source/ and the nbgrader config, to run nbgrader in."""
    shutil.copytree(ROOT / "source", tmp_path / "source")
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    return tmp_path


def hidden_test_lines() -> list[str]:
    """The lines of the hidden tests that would give them away: not their comments and imports,
    nor a line that a visible test has too (the students have it in the release)."""
    lines = []
    for name in NOTEBOOKS:
        released = {line.strip() for cell in notebooks.read(RELEASE / name).cells for line in cell.source.splitlines()}
        for cell in notebooks.read(SOURCE / name).cells:
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

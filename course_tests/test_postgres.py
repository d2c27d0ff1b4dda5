"""A gradebook on PostgreSQL, for graders who share formgrader: nbgrader_config.py's db_url is
honoured everywhere, and grading into PostgreSQL gives what grading into SQLite gives."""

import shutil

import pandas as pd
import pytest

from conftest import gradebook_contents
from postgres import cluster
from penguin_course.grading import grade
from penguin_course.course.directory import Course
from penguin_course.course.paths import DEMO_SUBMISSIONS, ROOT

pytestmark = pytest.mark.slow

STUDENT = "demo-partly-wrong"  # failures, passes and answers to grade by hand


def course(root):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(DEMO_SUBMISSIONS / STUDENT, root / "submitted" / STUDENT)
    return root


def test_the_config_decides_where_the_gradebook_is(tmp_path, monkeypatch):
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.db_url = "sqlite:///marks.db"\n')
    assert Course(tmp_path).db_url == f"sqlite:///{tmp_path / 'marks.db'}"
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    assert Course(tmp_path).db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"
    monkeypatch.setenv("NBGRADER_DB_URL", "postgresql+psycopg://grader@/gradebook?host=/run/pg")
    assert Course(tmp_path).db_url == "postgresql+psycopg://grader@/gradebook?host=/run/pg"


def test_grading_into_postgresql_writes_what_grading_into_sqlite_writes(tmp_path, monkeypatch):
    monkeypatch.delenv("NBGRADER_DB_URL", raising=False)
    on_sqlite = course(tmp_path / "sqlite")
    sqlite_course = Course(on_sqlite)
    grade.grade_class(sqlite_course, workers=1)
    in_sqlite, sqlite_scores = gradebook_contents(sqlite_course.db_url), grade.scores(sqlite_course)
    on_postgres = course(tmp_path / "postgres")
    with cluster() as url:
        monkeypatch.setenv("NBGRADER_DB_URL", url)
        postgres_course = Course(on_postgres)  # reads NBGRADER_DB_URL from here on
        grade.grade_class(postgres_course, workers=1)
        assert not (on_postgres / "gradebook.db").exists()  # everything went to the server
        in_postgres = gradebook_contents(url)
        postgres_scores = grade.scores(postgres_course)
    assert in_postgres.keys() == in_sqlite.keys() and "grade" in in_sqlite
    for table in in_sqlite:
        assert in_postgres[table] == in_sqlite[table], table
    pd.testing.assert_frame_equal(postgres_scores, sqlite_scores)
    for output in ("grades-by-test.csv", "grades.csv"):
        assert (on_postgres / output).read_bytes() == (on_sqlite / output).read_bytes(), output

"""`make demo`: the demo class the repository ships is graded as expected."""

import filecmp
import html
import shutil
from pathlib import Path

import pandas as pd
import pytest

from penguin_course.preparing import demo
from penguin_course.grading import grade
from penguin_course.outputs import deadlines
from penguin_course.course import notebooks
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT, SOURCE
from penguin_course.preparing import known_answers

from course_tests.conftest import hidden_test_lines


def test_demo_submissions_are_built_from_the_current_release(tmp_path):
    demo.build(Course(ROOT), tmp_path)
    for student in demo.STUDENTS:
        fresh, shipped = tmp_path / student, DEMO_SUBMISSIONS / student
        comparison = filecmp.dircmp(fresh, shipped)
        assert not comparison.left_only and not comparison.right_only
        for path in fresh.rglob("*.ipynb"):
            assert filecmp.cmp(path, shipped / path.relative_to(fresh), shallow=False), \
                f"{path.name} of {student} is stale: run `make demo-submissions`"


@pytest.fixture(scope="module")
def graded_demo(tmp_path_factory):
    """A course with the demo class graded by `make demo` on 2 workers, an extension granted, and
    the files beside one student's notebooks tampered with: the course's root and the
    grades-by-test table. Every test here reads the one grading (minutes)."""
    root = tmp_path_factory.mktemp("demo-course")
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "demo", root / "demo")
    shutil.copy2(ROOT / "extensions.csv", root)
    shutil.copy2(ROOT / "due-dates.csv", root)  # the due dates in the repository: a fresh clone grades with them
    # A student who edits the files beside the notebooks gains nothing: the dataset and
    # the test helpers are put back from source/ before grading.
    tampered = root / "demo" / "submitted" / demo.PARTLY_WRONG_STUDENT / ASSIGNMENT
    (tampered / "penguins.csv").write_text("species\nAdelie\n")
    (tampered / "penguin_checks.py").write_text("def __getattr__(name):\n    return lambda *args, **kwargs: None\n")
    return root, grade.demo(Course(root), workers=2)


@pytest.mark.slow
def test_demo_grades_each_student_as_expected(graded_demo):
    root, by_test = graded_demo
    course = Course(root)

    every = grade.scores(course)  # from the gradebook
    for assignment in course.assignments:  # every assignment: its tests and its known mistakes
        auto = every[every["autograded"] & (every["assignment"] == assignment.name)]
        n_tests = len(notebooks.autograded_tests(assignment.source, assignment.notebooks))
        known = known_answers.load(assignment)

        def failed_tests(student):
            rows = auto[auto["student"] == student]
            assert len(rows) == n_tests, f"{assignment.name}, {student}: every autograded test should have a grade"
            return set(rows.loc[rows["score"] < rows["max_score"], "grade_id"])

        assert failed_tests(demo.COMPLETE) == set(), assignment.name
        if known.partly_wrong:
            assert failed_tests(demo.PARTLY_WRONG_STUDENT) == set().union(
                *(known.wrong_answers[t].fails for t in known.partly_wrong)), assignment.name
        assert (auto.loc[auto["student"] == demo.UNTOUCHED, "score"] == 0).all(), assignment.name

    # day 1's figures
    table = every[every["assignment"] == ASSIGNMENT]
    by_test = by_test[by_test["assignment"] == ASSIGNMENT].reset_index(drop=True)
    manual = table[~table["autograded"]]
    assert manual.groupby("student")["manual"].sum().to_dict() == {
        demo.COMPLETE: 3, demo.PARTLY_WRONG_STUDENT: 3, demo.UNTOUCHED: 0}

    # grades-by-test.csv and grades.csv say the same as the gradebook
    written = pd.read_csv(root / "grades-by-test.csv")
    assert list(written.columns) == grade.BY_TEST_COLUMNS
    written = written[written["assignment"] == ASSIGNMENT].reset_index(drop=True)
    assert written.equals(by_test)
    merged = written.merge(table, left_on=["student_id", "notebook", "grade_id"],
                           right_on=["student", "notebook", "grade_id"])
    assert len(merged) == len(table)
    assert (merged["score_x"] == merged["score_y"].fillna(0)).all()
    complete = written[written["student_id"] == demo.COMPLETE]
    assert set(complete["status"]) == {"passed", "needs manual grading"}
    grades = pd.read_csv(root / "grades.csv").query("assignment == @ASSIGNMENT").set_index("student_id")
    assert grades["raw_score"].to_dict() == {demo.COMPLETE: 51, demo.PARTLY_WRONG_STUDENT: 43, demo.UNTOUCHED: 0}

    # demo-partly-wrong is a day and two hours late: two days of 10% each; demo-complete is later
    # still after the due date, but within its extension
    assert grades["late_submission_penalty"].to_dict() == pytest.approx(
        {demo.COMPLETE: 0, demo.PARTLY_WRONG_STUDENT: 8.6, demo.UNTOUCHED: 0})
    assert grades.loc[demo.PARTLY_WRONG_STUDENT, "score"] == pytest.approx(43 - 8.6)
    assert written.groupby("student_id")["late_by_seconds"].max().to_dict() == {
        demo.COMPLETE: 0, demo.PARTLY_WRONG_STUDENT: 26 * 3600, demo.UNTOUCHED: 0}
    per_notebook = written.groupby(["student_id", "notebook"])["penalty"].first().groupby("student_id").sum()
    assert per_notebook.to_dict() == pytest.approx({demo.COMPLETE: 0, demo.PARTLY_WRONG_STUDENT: 8.6, demo.UNTOUCHED: 0})
    lateness = pd.read_csv(root / "exports" / "lateness.csv").query("assignment == @ASSIGNMENT").set_index("student_id")
    assert lateness.loc[demo.COMPLETE, "extended"] and lateness.loc[demo.COMPLETE, "late_by_seconds"] == 0
    assert lateness.loc[demo.PARTLY_WRONG_STUDENT, "late_by"] == "1 day 2 hours"
    assert formgrader_submissions(root) == 3, "formgrader counts the demo class's submissions"
    with course.gradebook() as gradebook:  # the penalties above count from due-dates.csv's date
        assert gradebook.find_assignment(ASSIGNMENT).duedate == deadlines.read_due_dates(course)[ASSIGNMENT].due


def formgrader_submissions(root):
    """The '# Submissions' that formgrader's Manage Assignments page shows for the assignment."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    course = Course(root)
    config = course.config
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = course.db_url  # the config's is relative to where the command runs
    return NbGraderAPI(CourseDirectory(config=config), config=config).get_assignment(ASSIGNMENT)["num_submissions"]


@pytest.mark.slow
def test_feedback_shows_results_but_no_hidden_test_and_the_report_is_written(graded_demo):
    root, _ = graded_demo
    secrets = hidden_test_lines()
    for student in demo.STUDENTS:
        pages = sorted((root / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert [page.stem for page in pages] == [Path(name).stem for name in NOTEBOOKS]
        for page in pages:
            text = html.unescape(page.read_text())
            leaks = [line for line in secrets if line in text]
            assert not leaks, f"{page} shows hidden test source: {leaks[:3]}"
    partly_wrong = html.unescape((root / "feedback" / demo.PARTLY_WRONG_STUDENT / ASSIGNMENT /
                                  "3-test-performance.html").read_text())
    assert "AssertionError: confusion_df.loc[" in partly_wrong  # the failed check, by its message
    complete = (root / "feedback" / "demo-complete" / ASSIGNMENT / "3-test-performance.html").read_text()
    assert complete.count("data:image/png;base64") >= 2, "the student's plots (training curve, confusion matrix)"
    report = (root / "report.html").read_text()
    # a section per assignment, each with its three plots
    assert report.count("<img") == 3 * len(Course(root).assignments)
    assert "Every notebook of every submission was graded" in report
    assert "Tests to look at" in report and "Similar answers" in report
    assert "<h3>Deadlines</h3><p>1 submission of 3 late; 1 student with an extension" in report
    due = f"{demo.DUE:%Y-%m-%d %H:%M:%S} UTC"
    assert (f"before your deadline (2026-12-16 17:00:00 UTC, with the extension you were given; the assignment's "
            f"was {due})") in html.unescape(complete)
    assert f"1 day 2 hours after the deadline ({due})</strong>: the late penalty takes" in partly_wrong


@pytest.mark.slow
def test_grading_again_gives_the_same_table_serial_or_parallel(graded_demo):
    root, parallel = graded_demo
    course = Course(root)
    graded_notebook = root / "autograded" / demo.COMPLETE / ASSIGNMENT / NOTEBOOKS[0]
    graded_at = graded_notebook.stat().st_mtime_ns

    unchanged = grade.demo(course)
    assert unchanged.equals(parallel)
    assert graded_notebook.stat().st_mtime_ns == graded_at, "unchanged work is not graded again"

    serial = grade.demo(course, workers=1, force=True)
    assert serial.equals(parallel)
    assert graded_notebook.stat().st_mtime_ns != graded_at, "force grades everyone again"

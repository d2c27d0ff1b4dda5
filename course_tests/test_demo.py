"""`make demo`: nbgrader grades the demo class the repository ships, as expected."""

import filecmp
import shutil

import pytest

from penguin_course import demo, grade, notebooks
from penguin_course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT, SOURCE
from penguin_course.wrong_answers import PARTLY_WRONG, WRONG_ANSWERS


def test_demo_submissions_are_built_from_the_current_release(tmp_path):
    demo.build(tmp_path)
    for student in demo.STUDENTS:
        fresh, shipped = tmp_path / student, DEMO_SUBMISSIONS / student
        comparison = filecmp.dircmp(fresh, shipped)
        assert not comparison.left_only and not comparison.right_only
        for path in fresh.rglob("*.ipynb"):
            assert filecmp.cmp(path, shipped / path.relative_to(fresh), shallow=False), \
                f"{path.name} of {student} is stale: run `make demo-submissions`"


@pytest.mark.slow
def test_demo_grades_each_student_as_expected(course_copy):
    shutil.copytree(ROOT / "demo", course_copy / "demo")
    # A student who edits the files beside the notebooks gains nothing: nbgrader puts back
    # the dataset and the test helpers from source/ before grading.
    tampered = course_copy / "demo" / "submitted" / demo.PARTLY_WRONG_STUDENT / ASSIGNMENT
    (tampered / "penguins.csv").write_text("species\nAdelie\n")
    (tampered / "penguin_checks.py").write_text("def __getattr__(name):\n    return lambda *args, **kwargs: None\n")
    table = grade.demo(course_copy)
    auto = table[table["autograded"]]
    n_tests = len(notebooks.autograded_tests(SOURCE, NOTEBOOKS))

    def failed_tests(student):
        rows = auto[auto["student"] == student]
        assert len(rows) == n_tests, f"{student}: every autograded test should have a grade"
        return set(rows.loc[rows["score"] < rows["max_score"], "grade_id"])

    assert failed_tests(demo.COMPLETE) == set()
    assert failed_tests(demo.PARTLY_WRONG_STUDENT) == set().union(*(WRONG_ANSWERS[t].fails for t in PARTLY_WRONG))
    assert (auto.loc[auto["student"] == demo.UNTOUCHED, "score"] == 0).all()

    manual = table[~table["autograded"]]
    assert manual.groupby("student")["manual"].sum().to_dict() == {
        demo.COMPLETE: 3, demo.PARTLY_WRONG_STUDENT: 3, demo.UNTOUCHED: 0}

"""report.html's item analysis: each test's difficulty and discrimination, checked against NumPy
on a synthetic class whose students differ in ability, and the tests it flags."""

import numpy as np
import pandas as pd
import pytest

from penguin_course.course.records import FAILED, PASSED
from penguin_course.outputs import report

NOTEBOOK = "1-notebook.ipynb"
REGULAR = [f"test-{n}" for n in range(1, 6)]  # passed by students of enough ability, with some luck


def synthetic_class(students: int = 40, seed: int = 3) -> pd.DataFrame:
    """A grades-by-test table: five tests that stronger students pass more often (worth 1 to 3
    points), one everyone fails, one nobody fails, and one that only the weaker half passes."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=students)
    rows = []
    for index, level in enumerate(ability):
        student = f"s{index:02d}"
        passed = {test: level + rng.normal(scale=0.8) > threshold
                  for test, threshold in zip(REGULAR, (-1.0, -0.5, 0.0, 0.5, 1.0))}
        passed |= {"test-too-hard": False, "test-too-easy": True, "test-backwards": level < 0}
        for points, (test, ok) in enumerate(passed.items()):
            worth = 1 + points % 3
            rows.append(("a", student, NOTEBOOK, test, float(worth if ok else 0), float(worth), PASSED if ok else FAILED))
    return pd.DataFrame(rows, columns=["assignment", "student_id", "notebook", "grade_id", "score", "max_score", "status"])


@pytest.fixture(scope="module")
def table():
    return synthetic_class()


def test_difficulty_and_discrimination_are_what_numpy_computes(table, subtests):
    items = report.item_analysis(table).set_index("grade_id")
    scores = table.pivot(index="student_id", columns="grade_id", values="score")
    maxima = table.groupby("grade_id")["max_score"].first()
    total = scores.to_numpy().sum(axis=1)
    for test in scores.columns:
        with subtests.test(test=test):
            item = scores[test].to_numpy()
            assert items.loc[test, "difficulty"] == pytest.approx(np.mean(item >= maxima[test]))
            rest = total - item
            if np.ptp(item) == 0:
                assert np.isnan(items.loc[test, "discrimination"])
            else:
                assert items.loc[test, "discrimination"] == pytest.approx(np.corrcoef(item, rest)[0, 1])


def test_the_tests_to_look_at_are_flagged_and_no_other(table):
    flags = report.item_analysis(table).set_index("grade_id")["flags"].to_dict()
    assert flags["test-too-hard"] == report.EVERYONE_FAILS
    assert flags["test-too-easy"] == report.NOBODY_FAILS
    assert flags["test-backwards"] == report.NEGATIVE
    assert all(flags[test] == "" for test in REGULAR)


def test_the_report_lists_the_flagged_tests_first_with_the_plot(table, tmp_path):
    statuses = pd.DataFrame(columns=["assignment", "student_id", "notebook", "status", "message"])
    autograded = {("a", NOTEBOOK, test) for test in table["grade_id"].unique()}
    page = report.write(table, statuses, autograded, tmp_path / "report.html").read_text()
    assert "difficulty against discrimination" in page and "3 of 8 tests are flagged" in page
    listed = page[page.index("Tests to look at"):]
    order = sorted(["test-too-hard", "test-too-easy", "test-backwards", *REGULAR], key=listed.index)
    assert order[:3] == ["test-too-hard", "test-too-easy", "test-backwards"]

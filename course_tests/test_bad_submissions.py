"""`make grade` over a class with broken and odd submissions: each gets a clear status, loses
only the points of what it breaks, and never stops the rest of the class being graded."""

import json
import re

import nbformat
import pandas as pd
import pytest

from penguin_course.grading import grade
from penguin_course.course import notebooks
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, RELEASE, SOURCE

pytestmark = pytest.mark.slow

NB1, NB2 = "1-inspect-dataset.ipynb", "2-count-parameters.ipynb"


def filled(name, **changes):
    """The released notebook ``name`` filled with the solutions, some of them changed."""
    answers = {**notebooks.solutions(SOURCE / name), **changes}
    return notebooks.fill(notebooks.read(RELEASE / name), answers)


def without_test(notebook, grade_id):
    notebook.cells = [cell for cell in notebook.cells if notebooks.grade_id(cell) != grade_id]
    return notebook


def tampered_tests():
    notebook = filled(NB1, **{"n-samples": "n_samples = 343", "feature-names": "feature_names = sorted(penguins.columns)"})
    without_test(notebook, "test-n-samples")  # deleted: nbgrader puts it back
    for cell in notebook.cells:
        if notebooks.grade_id(cell) == "test-feature-names":
            cell.source = "pass"  # edited
    duplicate = next(c for c in notebook.cells if notebooks.grade_id(c) == "test-species-names")
    notebook.cells.append(nbformat.from_dict(duplicate))  # duplicated
    moved = next(c for c in notebook.cells if notebooks.grade_id(c) == "test-penguins-type")
    notebook.cells.remove(moved)
    notebook.cells.append(moved)  # moved to the end
    notebook.metadata.kernelspec = {"name": "python2", "display_name": "Python 2", "language": "python"}
    return notebook


WARNS = "import warnings\nwarnings.simplefilter('always')\n"
CLASS = {
    "broken-files": {NB1: "{ this is not JSON", NB2: "", "3-test-performance.ipynb": json.dumps({"a": 1})},
    "renamed": {"1-inspect-dataset (1).ipynb": filled(NB1)},
    "kernel-dies": {NB1: filled(NB1, **{"species-names": "import os\nos._exit(1)"})},
    "endless": {NB1: filled(NB1, **{"n-samples": "while True:\n    pass"})},
    "chatty": {
        NB1: filled(NB1, **{"feature-names": "print('line\\n' * 2_000_000)\nfeature_names = list(penguins.columns)"}),
        NB2: filled(NB2, **{"count-parameters": WARNS + (
            "def count_parameters(n_inputs, n_hidden, n_outputs):\n"
            "    warnings.warn('count_parameters is old', DeprecationWarning)\n"
            "    return (n_inputs + 1) * n_hidden + (n_hidden + 1) * n_outputs")}),
    },
    "tampered-tests": {NB1: tampered_tests()},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import shutil

    from penguin_course.course.paths import ROOT

    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    for student, files in CLASS.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, content in files.items():
            if isinstance(content, str):
                (folder / name).write_text(content)
            else:
                nbformat.write(content, folder / name)
    table = grade.grade_class(Course(root), workers=2, time_limit=30)
    return root, table


def rows(table, student, notebook):
    selected = table[(table["student_id"] == student) & (table["notebook"] == notebook)]
    assert len(selected), f"no rows for {student}, {notebook}"
    return selected.set_index("grade_id")


def test_every_student_and_graded_cell_has_a_row(graded):
    root, table = graded
    n_cells = len([cell for cell in grade.graded_cells(Course(root)) if cell[0] == ASSIGNMENT])  # they handed in day 1
    assert table.groupby("student_id").size().to_dict() == {student: n_cells for student in CLASS}
    assert pd.read_csv(root / "grades-by-test.csv").equals(table.reset_index(drop=True))


def test_broken_files_are_invalid_and_absent_files_missing(graded):
    _, table = graded
    for notebook in [NB1, NB2, "3-test-performance.ipynb"]:
        broken = rows(table, "broken-files", notebook)
        assert set(broken["status"]) == {"invalid notebook"} and (broken["score"] == 0).all()
    missing = rows(table, "broken-files", "4-improve-results.ipynb")
    assert set(missing["status"]) == {"missing notebook"}


def test_a_renamed_notebook_is_found_and_graded(graded):
    _, table = graded
    autograded = rows(table, "renamed", NB1).drop(index=[], errors="ignore")
    assert set(autograded["status"]) == {"passed"}
    assert set(rows(table, "renamed", NB2)["status"]) == {"missing notebook"}


def test_a_dying_kernel_costs_only_the_tests_it_did_not_reach(graded):
    _, table = graded
    result = rows(table, "kernel-dies", NB1)["status"]
    assert (result[["test-penguins-type", "test-feature-names", "test-classes-are-strings"]] == "passed").all()
    assert (result[["test-species-names", "test-n-samples"]] == "error").all()


def test_an_endless_cell_times_out_and_the_earlier_tests_count(graded):
    _, table = graded
    result = rows(table, "endless", NB1)["status"]
    assert (result[["test-penguins-content", "test-species-names"]] == "passed").all()
    assert (result[["test-n-samples-type", "test-n-samples"]] == "timeout").all()


def test_huge_output_and_warnings_cost_nothing(graded):
    _, table = graded
    assert set(rows(table, "chatty", NB1)["status"]) == {"passed"}
    nb2 = rows(table, "chatty", NB2)
    assert set(nb2.drop(index="answer-hidden-size")["status"]) == {"passed"}


def test_tests_deleted_edited_duplicated_or_moved_are_put_back(graded):
    _, table = graded
    result = rows(table, "tampered-tests", NB1)["status"]
    assert result[["test-n-samples", "test-feature-names"]].tolist() == ["failed", "failed"]
    others = result.drop(index=["test-n-samples", "test-feature-names"])
    assert set(others) == {"passed"}
    assert len(result) == len(set(result.index)), "a duplicated test is graded once"


def test_the_report_lists_what_could_not_be_graded_and_why(graded):
    root, _ = graded
    report = (root / "report.html").read_text()
    for student, status in [("broken-files", "invalid notebook"), ("broken-files", "missing notebook"),
                            ("kernel-dies", "error"), ("endless", "timeout")]:
        assert re.search(rf"<td>{student}</td>\s*<td>[^<]*</td>\s*<td>{status}</td>", report), (student, status)
    assert "is not valid JSON" in report and "kernel died" in report and "time limit" in report
    assert not re.search(r"<td>renamed</td>\s*<td>1-inspect-dataset.ipynb</td>", report), "it was graded"

"""Fast checks of the grading parts that need no kernel."""

import os

import nbformat
import pytest

from types import SimpleNamespace

from penguin_course.course.records import CellResult, NotebookResult, StudentResult
from penguin_course.grading.autograde import unchanged_answers
from penguin_course.outputs.refresh import HAND_GRADED, status_of
from penguin_course.course.submissions import InvalidNotebook, find_notebooks, read_notebook


def grade(score=None, manual=None, needs_manual=False, max_score=2.0):
    """A gradebook grade as nbgrader's Grade has it: score is the manual score if given, else the autograde."""
    return SimpleNamespace(auto_score=score, manual_score=manual, needs_manual_grade=needs_manual,
                           score=manual if manual is not None else (score or 0), max_score=max_score)


def test_the_gradebook_decides_hand_graded_and_waiting_answers():
    assert status_of(grade(needs_manual=True), "needs manual grading") == "needs manual grading"
    assert status_of(grade(manual=1.0), "needs manual grading") == HAND_GRADED
    assert status_of(grade(score=0.0, manual=2.0), "failed") == HAND_GRADED  # an instructor overrode the test


def test_the_run_says_why_an_autograded_test_failed():
    assert status_of(grade(score=0.0), "timeout") == "timeout"
    assert status_of(grade(score=0.0), "missing notebook") == "missing notebook"
    assert status_of(grade(score=2.0), None) == "passed" and status_of(grade(score=0.0), None) == "failed"


def answers(text):
    return StudentResult("ann", [NotebookResult("2-b.ipynb", cells=[CellResult("answer", 0.0, 2.0, "needs manual grading",
                                                                               answer=text),
                                                                    CellResult("test-x", 1.0, 1.0, "passed")])])


def test_an_answer_is_unchanged_only_if_its_text_is():
    assert unchanged_answers(answers("h1"), answers("h1")) == {("2-b.ipynb", "answer")}
    assert unchanged_answers(answers("h2"), answers("h1")) == set()
    assert unchanged_answers(answers("h1"), None) == set()


def test_notebooks_are_found_under_download_and_copy_names(tmp_path):
    for name in ["1-a (1).ipynb", "Copy of 2-b.ipynb", "3-c.ipynb", "untitled.ipynb"]:
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / name)
    os.utime(tmp_path / "3-c.ipynb", (1, 1))
    found = {notebook.expected: notebook for notebook in find_notebooks(tmp_path, ["1-a.ipynb", "2-b.ipynb", "3-c.ipynb", "4-d.ipynb"])}
    assert found["1-a.ipynb"].path.name == "1-a (1).ipynb" and "graded '1-a (1).ipynb'" in found["1-a.ipynb"].note
    assert found["2-b.ipynb"].path.name == "Copy of 2-b.ipynb"
    assert found["3-c.ipynb"].path.name == "3-c.ipynb" and not found["3-c.ipynb"].note  # the exact name first
    assert found["4-d.ipynb"].path is None and "expected '4-d.ipynb'" in found["4-d.ipynb"].note


def test_of_several_copies_the_last_saved_is_graded(tmp_path):
    for index, name in enumerate(["1-a (1).ipynb", "1-a (2).ipynb"]):
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / name)
        os.utime(tmp_path / name, (1000 - index * 500, 1000 - index * 500))
    assert find_notebooks(tmp_path, ["1-a.ipynb"])[0].path.name == "1-a (1).ipynb"


@pytest.mark.parametrize("content, problem", [
    ("", "is empty"), ("{ not json", "not valid JSON"), ('{"a": 1}', "not a Jupyter notebook"),
    ('{"cells": 3, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "not a valid Jupyter notebook"),
])
def test_a_broken_file_is_named_and_explained(tmp_path, content, problem):
    path = tmp_path / "1-a.ipynb"
    path.write_text(content)
    with pytest.raises(InvalidNotebook, match=problem) as error:
        read_notebook(path)
    assert "1-a.ipynb" in str(error.value)


def test_a_page_is_made_again_for_what_it_shows_not_for_when_cells_ran(tmp_path):
    from penguin_course.outputs.feedback import page_content

    def graded(ran_at: str, printed: str):
        cell = nbformat.v4.new_code_cell("print(accuracy)", execution_count=1, outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=printed)], id="the-cell")
        cell.metadata.execution = {"iopub.execute_input": ran_at, "shell.execute_reply": ran_at,
                                   "judge.started": ran_at}
        cell.metadata.nbgrader = {"grade": True, "grade_id": "test-accuracy", "points": 3}
        path = tmp_path / f"{ran_at}-{printed}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
        return page_content(path)

    assert graded("2026-12-05T04:07:32Z", "0.93") == graded("2026-12-06T10:00:00Z", "0.93")
    assert graded("2026-12-05T04:07:32Z", "0.93") != graded("2026-12-05T04:07:32Z", "0.39")
    assert b"test-accuracy" in graded("2026-12-05T04:07:32Z", "0.93")  # the rest of the metadata stays

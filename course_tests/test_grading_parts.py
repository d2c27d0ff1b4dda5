"""Fast checks of the grading parts that need no kernel."""

import os

import nbformat
import pytest

from penguin_course.autograde import CellResult, NotebookResult, StudentResult
from penguin_course.grade import by_test
from penguin_course.submissions import InvalidNotebook, find_notebooks, read_notebook


def student(name):
    return StudentResult(name, [NotebookResult("1-a.ipynb", cells=[CellResult("test-x", 1.0, 1.0, "passed")])])


def test_the_table_does_not_depend_on_the_order_workers_finish_in():
    assert by_test([student("ann"), student("bob")]).equals(by_test([student("bob"), student("ann")]))


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

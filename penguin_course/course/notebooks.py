"""Reading nbgrader's cell metadata and a graded cell's outputs, and filling a released notebook in
as a student would. Standard library and nbformat only: a student's `validate` imports it, on any OS."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
SOLUTION_REGION = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)
# Kernel environment while grading: TensorFlow's start-up messages are noise on stderr.
GRADING_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONWARNINGS": "ignore"}


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_autograded_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def is_solution(cell) -> bool:
    return nbgrader_meta(cell).get("solution", False)


@dataclass(frozen=True)
class TestCell:
    notebook: str
    grade_id: str
    points: float
    hidden: bool


HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"  # nbgrader's marker: what follows is removed from the release


def has_hidden_tests(cell) -> bool:
    """A test cell of a source notebook with hidden tests (never true of a released one)."""
    return is_autograded_test(cell) and HIDDEN_TESTS in cell.source


def autograded_tests(source_dir: Path, notebooks: list[str]) -> list[TestCell]:
    """Every autograded test cell of the source notebooks, in notebook order."""
    tests = []
    for name in notebooks:
        for cell in read(source_dir / name).cells:
            if is_autograded_test(cell):
                meta = nbgrader_meta(cell)
                tests.append(TestCell(name, meta["grade_id"], float(meta["points"]), has_hidden_tests(cell)))
    return tests


def solutions(source_notebook: Path) -> dict[str, str]:
    """The instructor's answer in each solution cell: the code between the solution markers,
    or the whole text of a written answer."""
    answers = {}
    for cell in read(source_notebook).cells:
        if not is_solution(cell):
            continue
        if cell.cell_type == "markdown":
            answers[grade_id(cell)] = cell.source
        else:
            regions = SOLUTION_REGION.findall(cell.source)
            if len(regions) != 1:
                raise ValueError(f"{source_notebook.name}: cell {grade_id(cell)} should have one "
                                 f"### BEGIN SOLUTION / ### END SOLUTION region, found {len(regions)}")
            answers[grade_id(cell)] = regions[0].rstrip("\n")
    return answers


def fill(released: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of a released notebook with ``answers`` (solution cell id -> code or text) filled
    in where the student would type them; cells without an answer keep their stub."""
    notebook = nbformat.from_dict(released)
    for cell in notebook.cells:
        answer = answers.get(grade_id(cell)) if is_solution(cell) else None
        if answer is None:
            continue
        stub = TEXT_STUB if cell.cell_type == "markdown" else STUB
        if stub not in cell.source:
            raise ValueError(f"cell {grade_id(cell)} has no stub {stub!r} to replace")
        cell.source = cell.source.replace(stub, answer, 1)
    return notebook


def restore_tests(submitted: nbformat.NotebookNode, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What nbgrader's autograder grades: the submitted notebook with every cell that the
    student may not change (tests with their hidden parts, instructions, setup) put back
    from the source notebook."""
    originals = {grade_id(cell): cell for cell in source.cells
                 if grade_id(cell) and not is_solution(cell)}
    notebook = nbformat.from_dict(submitted)
    for cell in notebook.cells:
        original = originals.get(grade_id(cell))
        if original is not None and not is_solution(cell):
            cell.source = original.source
    return notebook


def graded_cells(source_dir: Path, notebooks: list[str]) -> list[tuple[str, str, float, bool]]:
    """(notebook, grade_id, points, autograded?) of every graded cell of the source notebooks."""
    return [(name, grade_id(cell), float(nbgrader_meta(cell)["points"]), is_autograded_test(cell))
            for name in notebooks
            for cell in read(source_dir / name).cells
            if nbgrader_meta(cell).get("grade")]


def failure_message(cell) -> str:
    """Why a test cell failed, from its outputs (an error, or stderr, as nbgrader scores it); "" if it passed."""
    for output in cell.outputs:
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"
        if output.output_type == "stream" and output.name == "stderr":
            return f"stderr: {output.text.strip()}"
    return ""

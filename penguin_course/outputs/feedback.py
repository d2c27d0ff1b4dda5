"""Feedback for students: feedback/<student>/<assignment>/<notebook>.html.

The pages are made by nbgrader's own ``generate_feedback``, configured in nbgrader_config.py
with the preprocessors below, so every route gives the same page: `make feedback`,
`make grade`, `nbgrader generate_feedback` and formgrader's *Generate Feedback* button.
Out of the box nbgrader renders the graded notebook as it is: the hidden tests' source,
the tracebacks that quote it, "0.0 / 2.0" for an answer nobody has graded yet, and maths
that needs MathJax from a CDN. Here:

- the hidden tests' source is removed and their tracebacks cut to 'Type: message';
- scores and comments come from the gradebook (nbgrader's GetGrades), and an answer that
  waits to be graded by hand says so;
- the maths is rendered to MathML when the page is written, so it shows offline.

A notebook that could not be graded (missing, not a notebook) gets a page saying why.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool

HIDDEN = "### BEGIN HIDDEN TESTS"
TEMPLATES = Path(__file__).resolve().parent / "templates"
PENDING = "Waiting to be graded by hand: the score shown here is not final."
# $$display$$ first, then $inline$ (not an escaped \$, not spanning paragraphs)
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$", re.S)


def is_test(cell) -> bool:
    """A test cell, restored from source/: a student's answer may quote the hidden-test marker too."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


class CoursePreprocessor(Preprocessor):
    # nbconvert's preprocessors are off unless enabled; nbgrader registers its list by class
    enabled = Bool(True).tag(config=True)


class HideHiddenTestErrors(CoursePreprocessor):
    """Reduce the error outputs of cells with hidden tests to 'Type: message' (no traceback)."""

    def preprocess_cell(self, cell, resources, index):
        if is_test(cell) and HIDDEN in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}".rstrip(": ")]
        return cell, resources


class ClearHiddenTestsOfTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for test cells only: it fails on an answer that contains
    '### BEGIN HIDDEN TESTS' without its end, and an answer is the student's to show."""

    def preprocess_cell(self, cell, resources, index):
        return super().preprocess_cell(cell, resources, index) if is_test(cell) else (cell, resources)


def mathml(markdown: str) -> str:
    """``markdown`` with its $…$ and $$…$$ maths as MathML, which browsers render without MathJax."""
    def convert(match: re.Match) -> str:
        display, inline = match.groups()
        try:
            rendered = latex_to_mathml((display or inline).strip(), display="block" if display else "inline")
        except Exception:  # maths latex2mathml cannot read stays as it was written
            return match.group(0)
        return rendered.replace("\n", "")
    return MATH.sub(convert, markdown)


class MathToMathML(CoursePreprocessor):
    """Render the maths of markdown cells to MathML (the template then loads no MathJax)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = mathml(cell.source)
        return cell, resources


class MarkHandGrading(CoursePreprocessor):
    """Say which answers wait to be graded by hand (after GetGrades, which puts in scores and
    comments): on the answer, beside the grader's comment, and at the top of the page."""

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        pending = []
        with Gradebook(meta["db_url"]) as gradebook:
            for cell in nb.cells:
                if not is_grade(cell):
                    continue
                try:
                    grade = gradebook.find_grade(cell.metadata.nbgrader.grade_id, meta["notebook"],
                                                 meta["assignment"], meta["student"])
                except MissingEntry:
                    continue
                if grade.needs_manual_grade:
                    pending.append(cell)
                    comment = cell.metadata.nbgrader.get("comment")
                    cell.metadata.nbgrader["comment"] = f"**{PENDING}**" + (f"\n\n{comment}" if comment else "")
        if pending:
            count = f"{len(pending)} answer{'s' if len(pending) > 1 else ''}"
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                f"**{count} of this notebook wait{'s' if len(pending) == 1 else ''} to be graded by hand**: "
                f"the score above will change when {'it is' if len(pending) == 1 else 'they are'} graded."))
        return nb, resources


# nbgrader_config.py gives these to nbgrader's GenerateFeedback, in this order.
PREPROCESSORS = [HideHiddenTestErrors, ClearHiddenTestsOfTests, MathToMathML, GetGrades, MarkHandGrading,
                 CSSHTMLHeaderPreprocessor]


def nbgrader_templates() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"


def template_dirs() -> list[str]:
    """Where nbconvert looks for the feedback template: the course's first (it drops MathJax), then nbgrader's."""
    return [str(TEMPLATES), str(nbgrader_templates())]


def not_graded_page(notebook: str, status: str, message: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(notebook)}</title></head>"
            f"<body><h1>{html.escape(notebook)}</h1><p>This notebook could not be graded: "
            f"<strong>{html.escape(status)}</strong>.</p><p>{html.escape(message)}</p></body></html>")


def write_not_graded(folder: Path, notebook: str, status: str, message: str) -> Path:
    """The page of a notebook that could not be graded (nbgrader writes none for it)."""
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{Path(notebook).stem}.html"
    page.write_text(not_graded_page(notebook, status, message))
    os.chmod(page, 0o644)
    return page

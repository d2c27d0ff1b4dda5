"""Feedback for students: feedback/<student>/<assignment>/<notebook>.html.

nbgrader's ``generate_feedback`` renders the graded notebook as it is, hidden tests
included: their source, and the tracebacks of the ones that failed, which quote it.
This renders the same page with nbgrader's own feedback template and preprocessors,
after removing the hidden tests' source and cutting their tracebacks down to the
error's type and message.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import nbformat
import nbgrader
from nbconvert import HTMLExporter
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from nbgrader.utils import is_grade, is_solution
from traitlets.config import Config

from penguin_course.autograde import StudentResult, db_url
from penguin_course.paths import ASSIGNMENT

HIDDEN = "### BEGIN HIDDEN TESTS"


def is_test(cell) -> bool:
    """A test cell, restored from source/: a student's answer may quote the hidden-test marker too."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


class HideHiddenTestErrors(Preprocessor):
    """Reduce the error outputs of cells with hidden tests to 'Type: message' (no traceback)."""

    def preprocess_cell(self, cell, resources, index):
        if is_test(cell) and HIDDEN in cell.source:
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}".rstrip(": ")]
        return cell, resources


class ClearHiddenTestsOfTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for test cells only: it fails on an answer that contains
    '### BEGIN HIDDEN TESTS' without its end, and an answer is the student's to show."""

    def preprocess_cell(self, cell, resources, index):
        return super().preprocess_cell(cell, resources, index) if is_test(cell) else (cell, resources)


def exporter() -> HTMLExporter:
    """nbgrader's feedback page (template and stylesheet), as its GenerateFeedback sets it up."""
    package = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [str(package / "templates")]
    config.HTMLExporter.extra_template_paths = [str(package / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    html_exporter = HTMLExporter(config=config)
    for preprocessor in (HideHiddenTestErrors, ClearHiddenTestsOfTests, GetGrades, CSSHTMLHeaderPreprocessor):
        html_exporter.register_preprocessor(preprocessor(config=config), enabled=True)
    return html_exporter


def not_graded_page(notebook: str, status: str, message: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(notebook)}</title></head>"
            f"<body><h1>{html.escape(notebook)}</h1><p>This notebook could not be graded: "
            f"<strong>{html.escape(status)}</strong>.</p><p>{html.escape(message)}</p></body></html>")


def write(root: Path, result: StudentResult, html_exporter: HTMLExporter | None = None) -> list[Path]:
    """Write the feedback pages of one graded student; the paths written."""
    html_exporter = html_exporter or exporter()
    autograded = root / "autograded" / result.student / ASSIGNMENT
    folder = root / "feedback" / result.student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in result.notebooks:
        page = folder / f"{Path(notebook.name).stem}.html"
        graded = autograded / notebook.name
        if graded.exists() and notebook.status not in ("missing notebook", "invalid notebook"):
            resources = {"nbgrader": {"notebook": Path(notebook.name).stem, "assignment": ASSIGNMENT,
                                      "student": result.student, "db_url": db_url(root)}}
            body, _ = html_exporter.from_notebook_node(nbformat.read(graded, as_version=4), resources=resources)
        else:
            body = not_graded_page(notebook.name, notebook.status, notebook.message)
        page.write_text(body)
        os.chmod(page, 0o644)
        written.append(page)
    return written

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
- the maths is rendered to MathML when the page is written, so it shows offline;
- when the assignment has a due date, the top of the page says when the notebook was submitted,
  the deadline that applied (the student's own, with an extension) and the late penalty.

A notebook that could not be graded (missing, not a notebook) gets a page saying why.

``write_pages`` runs nbgrader's GenerateFeedback in this process, for the pages whose inputs
changed only (the graded notebook, its grades and comments in the gradebook, the settings and
templates above): after a test changed in one notebook, the class's other pages stay as they
were, and a refresh that follows hand grading rewrites the pages of the notebooks graded.
``nbgrader generate_feedback --force`` would rewrite every page of the class.
"""

from __future__ import annotations

import glob
import hashlib
import html
import io
import json
import logging
import os
import re
from fnmatch import fnmatch
from pathlib import Path

import jinja2
import jinja2.bccache
import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.api import (Assignment, Comment, Grade, MissingEntry, SubmittedAssignment,
                          SubmittedNotebook)
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from nbgrader.utils import is_grade, is_solution
from sqlalchemy.orm import joinedload, load_only
from traitlets import Bool

from penguin_course.course.directory import Course
from penguin_course.course.gradebook import Gradebook
from penguin_course.course.hand_grades import is_note
from penguin_course.outputs import deadlines, safe_html
from penguin_course.course.nbgrader_cli import NbgraderError

HIDDEN = "### BEGIN HIDDEN TESTS"
# what each feedback page was made from (see ``write_pages``), beside the other grading stamps
PAGE_DIGESTS = Path("autograded") / ".feedback-digests.json"
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
    comments): on the answer, beside the grader's comment, and at the top of the page. An answer
    graded again since it changed shows the grader's new comment only, not the note on its earlier
    grade (``hand_grades``)."""

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
                elif grade.manual_score is not None and is_note(cell.metadata.nbgrader.get("comment")):
                    # graded again by hand since it changed: the note on the earlier grade is not
                    # this answer's comment (a refresh removes it from the gradebook too)
                    written = gradebook.find_comment(cell.metadata.nbgrader.grade_id, meta["notebook"],
                                                     meta["assignment"], meta["student"]).manual_comment
                    cell.metadata.nbgrader["comment"] = written
        if pending:
            count = f"{len(pending)} answer{'s' if len(pending) > 1 else ''}"
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                f"**{count} of this notebook wait{'s' if len(pending) == 1 else ''} to be graded by hand**: "
                f"the score above will change when {'it is' if len(pending) == 1 else 'they are'} graded."))
        return nb, resources


class MarkLateness(CoursePreprocessor):
    """Say at the top of the page when the notebook was submitted, against the deadline that
    applied (the student's own, with an extension), and what being late cost."""

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        with Gradebook(meta["db_url"]) as gradebook:
            try:
                submission = gradebook.find_submission(meta["assignment"], meta["student"])
                notebook = gradebook.find_submission_notebook(meta["notebook"], meta["assignment"], meta["student"])
            except MissingEntry:
                return nb, resources
            if submission.timestamp is None or submission.assignment.duedate is None:
                return nb, resources
            line = deadlines.lateness_line(submission.timestamp, submission.duedate, submission.assignment.duedate,
                                           notebook.late_submission_penalty, self.config)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(line))
        return nb, resources


# nbgrader_config.py gives these to nbgrader's GenerateFeedback, in this order (MathToMathML is
# the HTMLExporter's, for formgrader's pages as well).
PREPROCESSORS = [HideHiddenTestErrors, ClearHiddenTestsOfTests, GetGrades, MarkHandGrading,
                 MarkLateness, CSSHTMLHeaderPreprocessor]


def nbgrader_templates() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"


def template_dirs() -> list[str]:
    """Where nbconvert looks for the feedback template: the course's first (it drops MathJax), then nbgrader's."""
    return [str(TEMPLATES), str(nbgrader_templates())]


def not_graded_page(notebook: str, status: str, message: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{safe_html.CSP_STATIC}\">"
            f"<title>{html.escape(notebook)}</title></head>"
            f"<body><h1>{html.escape(notebook)}</h1><p>This notebook could not be graded: "
            f"<strong>{html.escape(status)}</strong>.</p><p>{html.escape(message)}</p></body></html>")


def write_not_graded(folder: Path, notebook: str, status: str, message: str) -> Path:
    """The page of a notebook that could not be graded (nbgrader writes none for it)."""
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{Path(notebook).stem}.html"
    page.write_text(not_graded_page(notebook, status, message))
    os.chmod(page, 0o644)
    return page


def pages_made_with() -> str:
    """A digest of how pages are made: this module and safe_html's (what a page keeps of a student's
    HTML), the templates, nbgrader's, nbconvert's and nh3's versions."""
    import nbconvert
    import nbgrader
    import nh3

    digest = hashlib.sha256(f"{nbgrader.__version__} {nbconvert.__version__} {nh3.__version__}".encode())
    for path in [Path(__file__), Path(safe_html.__file__),
                 *sorted(path for path in TEMPLATES.rglob("*") if path.is_file())]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def submitted_notebooks(gradebook: Gradebook, assignment: str, student: str | None = None) -> list:
    """Every submitted notebook of ``assignment`` (``student``'s only, if given), with its
    submission, that submission's assignment and its master notebook, and as ``.loaded_grades``
    and ``.loaded_comments`` its grades (maximum scores included) and comments with their cells:
    three queries for the whole class. Read notebook by notebook through nbgrader's objects, it is
    a query per grade (a grade's maximum score is a deferred column, its name its cell's)."""
    session = gradebook.db
    chosen = [Assignment.name == assignment] + ([SubmittedAssignment.student_id == student] if student else [])
    # only the columns read here: nbgrader's objects also load sums and flags that SQLite works out
    # per row (a submission's maximum task score, a grade's cell type and failed tests), and
    # leave a notebook's score and maximum score to a query each
    notebooks = (session.query(SubmittedNotebook).join(SubmittedNotebook.assignment).join(SubmittedAssignment.assignment)
                 .filter(*chosen)
                 .options(load_only(SubmittedNotebook.id, SubmittedNotebook.late_submission_penalty,
                                    SubmittedNotebook.score, SubmittedNotebook.max_score),
                          joinedload(SubmittedNotebook.assignment)
                          .load_only(SubmittedAssignment.student_id, SubmittedAssignment.timestamp,
                                     SubmittedAssignment.extension)
                          .joinedload(SubmittedAssignment.assignment),
                          joinedload(SubmittedNotebook.notebook)).all())
    grades, comments = {}, {}
    for grade in (session.query(Grade).join(Grade.notebook).join(SubmittedNotebook.assignment)
                  .join(SubmittedAssignment.assignment).filter(*chosen)
                  .options(load_only(Grade.notebook_id, Grade.manual_score, Grade.needs_manual_grade, Grade.score,
                                     Grade.max_score),
                           joinedload(Grade.cell))):
        grades.setdefault(grade.notebook_id, []).append(grade)
    for comment in (session.query(Comment).join(Comment.notebook).join(SubmittedNotebook.assignment)
                    .join(SubmittedAssignment.assignment).filter(*chosen)
                    .options(joinedload(Comment.cell))):
        comments.setdefault(comment.notebook_id, []).append(comment)
    for notebook in notebooks:
        notebook.loaded_grades, notebook.loaded_comments = grades.get(notebook.id, []), comments.get(notebook.id, [])
    return notebooks


def gradebook_parts(gradebook: Gradebook, assignment: str, student: str | None = None) -> dict[tuple[str, str], list]:
    """What GetGrades, MarkHandGrading and MarkLateness read of each submitted notebook of
    ``assignment`` (``student``'s only, if given), by (student, notebook): its score, late penalty,
    grades and comments, and its submission's time and deadlines."""
    parts = {}
    for notebook in submitted_notebooks(gradebook, assignment, student):
        submission = notebook.assignment
        parts[(submission.student_id, notebook.notebook.name)] = [
            notebook.score, notebook.max_score, notebook.late_submission_penalty, submission.timestamp,
            submission.assignment.duedate, submission.extension,
            sorted((grade.cell.name, grade.score, grade.max_score, grade.needs_manual_grade)
                   for grade in notebook.loaded_grades),
            sorted((comment.cell.name, comment.comment) for comment in notebook.loaded_comments)]
    return parts


# The times a cell ran at, as nbformat writes a cell's metadata (an object of strings): a quote
# within a JSON string is escaped, so nothing but a key matches
EXECUTION_TIMES = re.compile(rb'"execution": \{[^{}]*\}')


def page_content(notebook: Path) -> bytes:
    """The graded notebook as its page shows it: without the times each cell ran at, which a
    page never shows and which every grading changes. Taken out of the file's text, not of the
    notebook read and written again as JSON, which took most of a merge's page digests."""
    return EXECUTION_TIMES.sub(b"", notebook.read_bytes())


def page_digests(course: Course, assignment: str, student: str | None = None) -> dict[str, str]:
    """The digest of what each feedback page of ``assignment`` (``student``'s only, if given) is
    made from, by the graded notebook's path (relative to the course): the notebook, the student's
    other graded files (copied beside the pages), its part of the gradebook, the course's settings
    and templates."""
    made_with = pages_made_with() + hashlib.sha256((course.root / "nbgrader_config.py").read_bytes()).hexdigest()
    with course.gradebook() as gradebook:
        parts = gradebook_parts(gradebook, assignment, student)
    digests, ignored = {}, course.ignored()
    for folder in sorted(course.autograded.glob(f"{glob.escape(student) if student else '*'}/{assignment}")):
        student = folder.parent.name
        # by content, not time: a page made on another machine (a shard's) has the same inputs
        others = sorted((str(path.relative_to(folder)), hashlib.sha256(path.read_bytes()).hexdigest())
                        for path in folder.rglob("*") if path.is_file() and path.suffix != ".ipynb"
                        and not any(fnmatch(part, pattern) for part in path.relative_to(folder).parts
                                    for pattern in ignored))
        for notebook in sorted(folder.glob("*.ipynb")):
            if (student, notebook.stem) not in parts:  # not in the gradebook: nbgrader would fail on it
                continue
            digest = hashlib.sha256(page_content(notebook))
            digest.update(json.dumps([made_with, others, parts[(student, notebook.stem)]], default=str).encode())
            digests[str(notebook.relative_to(course.root))] = digest.hexdigest()
    return digests


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja templates compiled once per process, by jinja's key (the template's name); jinja
    itself refuses a compiled template whose source changed since (its checksum)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


class FeedbackHTMLExporter(HTMLExporter):
    """nbconvert's HTMLExporter (its configuration applies), whose templates are compiled once per
    process: nbgrader makes a new exporter for each generate_feedback run, and a student's pages
    written as their result is saved are a run each; compiling the templates was most of its cost
    beyond the pages themselves."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment


class ChosenFeedback(GenerateFeedback):
    """nbgrader's GenerateFeedback for the chosen graded notebooks only (``chosen``: their paths),
    removing only their old pages, where --force would remove each student's whole folder."""

    chosen: set[Path] = set()

    def init_notebooks(self) -> None:
        super().init_notebooks()
        chosen = {folder: [path for path in found if Path(path).resolve() in self.chosen]
                  for folder, found in self.assignments.items()}
        self.assignments = {folder: found for folder, found in chosen.items() if found}

    def init_destination(self, assignment_id: str, student_id: str) -> bool:
        destination = Path(self._format_dest(assignment_id, student_id))
        for notebook in self.notebooks:
            (destination / f"{Path(notebook).stem}{self.exporter.file_extension}").unlink(missing_ok=True)
        return True


def generate_pages(course: Course, assignment: str, chosen: list[Path]) -> None:
    """nbgrader's generate_feedback, as configured in nbgrader_config.py, for the graded notebooks
    ``chosen``; NbgraderError with nbgrader's log if it fails."""
    log = io.StringIO()
    logger = logging.getLogger(f"penguin_course.feedback.{id(log)}")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(log))
    coursedir = CourseDirectory(config=course.config)
    coursedir.root, coursedir.assignment_id = str(course.root.resolve()), assignment
    converter = ChosenFeedback(coursedir=coursedir, config=course.config, log=logger)
    converter.chosen = {path.resolve() for path in chosen}
    if converter.exporter_class is HTMLExporter:  # nbgrader's, unless nbgrader_config.py chose another
        converter.exporter_class = FeedbackHTMLExporter
    try:
        converter.start()
    except Exception as error:  # nbgrader logs what went wrong, then raises
        raise NbgraderError(f"generate_feedback failed in {course.root} ({type(error).__name__}: {error}):\n"
                            f"{log.getvalue()}") from None
    finally:
        logger.handlers.clear()


def made_pages(course: Course) -> dict[str, str]:
    """The digest of what each page in feedback/ was made from, by its graded notebook's path."""
    try:
        return json.loads((course.root / PAGE_DIGESTS).read_text())
    except (OSError, ValueError):
        return {}


def adopt_pages(course: Course, digests: dict[str, str]) -> None:
    """Count pages put in feedback/ from elsewhere (a shard's bundle) as made from ``digests``'s
    inputs: ``write_pages`` keeps each one whose inputs here have the same digest."""
    stamp = course.root / PAGE_DIGESTS
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({**made_pages(course), **digests}, indent=0, sort_keys=True))


def write_pages(course: Course, assignment: str, not_graded: dict[str, list[tuple[str, str, str]]],
                student: str | None = None) -> int:
    """Every feedback page of ``assignment`` (``student``'s only, if given): nbgrader's for each
    graded notebook whose inputs changed since its page was made (``page_digests``), ours for each
    notebook that could not be graded (``not_graded``: student -> (notebook, status, message)); a
    page of a notebook that is neither is removed. How many of nbgrader's pages were written."""
    stamp = course.root / PAGE_DIGESTS
    made = made_pages(course)
    digests = page_digests(course, assignment, student)
    feedback_page = lambda graded: course.root / "feedback" / Path(graded).relative_to("autograded").with_suffix(".html")  # noqa: E731
    stale = [graded for graded, digest in digests.items()
             if made.get(graded) != digest or not feedback_page(graded).is_file()]
    if stale:
        made = {graded: digest for graded, digest in made.items() if graded not in stale}
        stamp.write_text(json.dumps(made, indent=0, sort_keys=True))  # these pages are not made yet
        generate_pages(course, assignment, [course.root / graded for graded in stale])
    made.update(digests)
    stamp.write_text(json.dumps(made, indent=0, sort_keys=True))
    for student, notebooks in not_graded.items():
        for notebook, status, message in notebooks:
            write_not_graded(course.feedback / student / assignment, notebook, status, message)
    for folder in course.autograded.glob(f"{glob.escape(student) if student else '*'}/{assignment}"):  # pages of notebooks no longer graded
        kept = {Path(name).stem for name, _, _ in not_graded.get(folder.parent.name, [])}
        kept |= {path.stem for path in folder.glob("*.ipynb")}
        for page in (course.feedback / folder.parent.name / assignment).glob("*.html"):
            if page.stem not in kept:
                page.unlink()
    return len(stale)

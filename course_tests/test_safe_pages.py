"""What a student writes stays inert in every page and file an instructor opens: the sanitizer's
allowlist, the pages' Content-Security-Policy, the report and the CSV files, student ids.

The browser test (test_hostile_html.py) opens the real pages; these check each part on its own, in
seconds, with the same payloads (``hostile_student``)."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pandas as pd
import pytest

from course_tests import hostile_student as hostile
from penguin_course.course.directory import Course
from penguin_course.course.student_ids import is_student_id, refused_folders
from penguin_course.outputs import exports, feedback, report, safe_html, spreadsheets

ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "form", "input", "button", "svg", "style", "base",
               "link", "meta"}


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def active_parts(text: str) -> list[str]:
    """What in ``text`` could run script in a browser: active tags, event handlers, script URLs."""
    parts = []
    for tag, attributes in Elements(text).found:
        if tag in ACTIVE_TAGS and (tag != "meta" or attributes.get("http-equiv", "").lower() == "refresh"):
            parts.append(f"<{tag}>")
        for name, value in attributes.items():
            if name.startswith("on") or name == "srcdoc":
                parts.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "data", "xlink:href") and \
                    re.match(r"\s*(javascript|vbscript|data:text)", value, re.I):
                parts.append(f"<{tag} {name}={value[:30]}>")
    return parts


def test_the_payloads_are_active_as_written():
    """The check below would see them: each vector of the hostile student's markup is active."""
    found = " ".join(active_parts(hostile.markup("x")))
    for part in ["<script>", "<img onerror>", "<svg onload>", "<iframe srcdoc>", "<form>", "<object>", "<embed>",
                 "<a href=javascript"]:
        assert part in found, part


@pytest.mark.parametrize("vector", ["written-answer", "html-output"])
def test_clean_html_leaves_nothing_active(vector):
    cleaned = safe_html.clean_html(hostile.markup(vector))
    assert active_parts(cleaned) == [], cleaned


def test_markdown_is_cleaned_after_it_is_rendered():
    """A markdown link to javascript: is an <a href> only once rendered; maths with markup in \\text too."""
    environment = jinja2.Environment()
    environment.filters.update(safe_html.FILTERS)
    source = hostile.markup("md") + "\n\n[a link](javascript:alert%281%29) <javascript:alert(1)>\n"
    source = feedback.mathml(source)  # as the pages' preprocessor renders maths first
    rendered = environment.from_string("{{ text | markdown2html }}").render(text=source, cell={})
    assert active_parts(rendered) == [], rendered
    assert "a link" in rendered and "<p>" in rendered


def test_what_a_notebook_shows_is_kept():
    table = ("<div><style scoped>.dataframe tbody tr th {vertical-align: top;}</style>"
             "<table border='1' class='dataframe'><thead><tr style='text-align: right;'><th></th><th>species</th>"
             "</tr></thead><tbody><tr><th>0</th><td>Adelie</td></tr></tbody></table></div>")
    kept = safe_html.clean_html(table)
    assert "<th>species</th>" in kept and "class=\"dataframe\"" in kept and "vertical-align" not in kept
    image = '<img src="data:image/png;base64,iVBORw0KGgo=" alt="pairplot" width="400">'
    assert safe_html.clean_html(image) == image
    maths = feedback.mathml(r"$\frac{a}{b} + \sqrt{x^2} \sum_{i=1}^n w_i x_i$")
    assert html.unescape(safe_html.clean_html(maths)) == html.unescape(maths)  # entities written as characters
    environment = jinja2.Environment()
    environment.filters.update(safe_html.FILTERS)
    rendered = environment.from_string("{{ text | markdown2html }}").render(
        text="# Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n`a < b` and [the lesson](https://carpentries-incubator.github.io/deep-learning-intro/)",
        cell={})
    assert "<h1>Heading</h1>" in rendered and "<td>1</td>" in rendered and "<code>a &lt; b</code>" in rendered
    assert 'href="https://carpentries-incubator.github.io/deep-learning-intro/"' in rendered


def test_a_data_url_is_an_image_only():
    assert safe_html.clean_html('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>') == \
        '<a rel="noopener noreferrer nofollow">x</a>'
    assert "src" not in safe_html.clean_html('<img src="data:text/html;base64,PHNjcmlwdD4=">')


def test_nbgrader_config_turns_the_sanitizing_on_for_every_html_page(course_copy):
    exporter = Course(course_copy).config.HTMLExporter
    assert exporter.sanitize_html is True
    assert exporter.filters == safe_html.FILTERS
    assert safe_html.ContentSecurityPolicy in exporter.preprocessors
    assert exporter.extra_template_basedirs[0] == str(feedback.TEMPLATES), "the course's templates (the policies) first"


def test_the_feedback_pages_policy_is_the_course_s():
    template = (feedback.TEMPLATES / "feedback" / "mathjax.html.j2").read_text()
    assert f'content="{safe_html.CSP_STATIC}"' in template


def test_the_formgrade_template_is_forked_from_this_nbgrader():
    """The course's formgrade_macros.html.j2 is nbgrader 0.9.6's with the changes its header names:
    when nbgrader's own changes, compare the two and bring the course's up to date."""
    theirs = feedback.nbgrader_templates() / "formgrade" / "formgrade_macros.html.j2"
    assert hashlib.sha256(theirs.read_bytes()).hexdigest() == \
        "5eed6cc257f4aa3ba233812d878f47b1435da3528c7dbcfb4dbf2da5b40ce30e", \
        f"{theirs} changed: compare it with {feedback.TEMPLATES / 'formgrade' / 'formgrade_macros.html.j2'}"
    ours = (feedback.TEMPLATES / "formgrade" / "formgrade_macros.html.j2").read_text()
    assert "onclick=" not in ours and ours.count('nonce="{{ resources.csp_nonce }}"') == 3


def test_a_page_not_graded_escapes_the_message_and_has_the_policy():
    page = feedback.not_graded_page("1-inspect-dataset.ipynb", "invalid notebook", hostile.markup("message"))
    assert active_parts(page) == []
    assert safe_html.CSP_STATIC in page


def test_the_report_escapes_what_came_from_students(tmp_path):
    student = hostile.FIRST_NAME  # as an id it is refused at the door; the report escapes it anyway
    table = pd.DataFrame([("a", student, "1-x.ipynb", "test-1", 0.0, 1.0, "error", 0.0, 0.0)],
                         columns=["assignment", "student_id", "notebook", "grade_id", "score", "max_score", "status",
                                  "late_by_seconds", "penalty"])
    statuses = pd.DataFrame([("a", student, "1-x.ipynb", "error", hostile.markup("message"))],
                            columns=["assignment", "student_id", "notebook", "status", "message"])
    page = report.write(table, statuses, {("a", "1-x.ipynb", "test-1")}, tmp_path / "report.html",
                        {"a": f"<p>{safe_html.clean_html(hostile.markup('similarity'))}</p>"}).read_text()
    assert active_parts(page) == ["<style>"], "the report's own stylesheet only"
    assert safe_html.CSP_STATIC in page and "&lt;img src=x onerror" in page


@pytest.mark.parametrize("text, shown", [
    ("=1+1", "'=1+1"), ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+1-2", "'+1-2"),
    ("-A1", "'-A1"), ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"), ("-0.5", "-0.5"), ("12", "12"),
    ("Ada", "Ada"), ("", ""), (2.5, 2.5)])
def test_text_a_spreadsheet_would_run_is_made_text(text, shown):
    assert spreadsheets.inert(text) == shown


def test_the_platforms_files_hold_no_formula(tmp_path):
    book = exports.Gradebook({"a": 10.0}, [
        exports.Student(hostile.STUDENT, hostile.FIRST_NAME, hostile.LAST_NAME, hostile.EMAIL, hostile.LMS_ID,
                        {"a": 7.0})])
    options = exports.CourseExports()
    for platform, rows_of in exports.PLATFORMS.items():
        rows, _ = rows_of(book, options)
        path = tmp_path / f"{platform}.csv"
        exports.write_csv(path, rows)
        cells = [cell for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) for cell in row]
        formulas = [cell for cell in cells if cell[:1] and cell[:1] in "=+-@" and not spreadsheets.is_number(cell)]
        assert formulas == [], f"{platform}: {formulas}"
        assert any(hostile.EMAIL in cell or hostile.LAST_NAME in cell or hostile.LMS_ID in cell for cell in cells)


def test_a_table_keeps_its_numbers_and_makes_its_text_inert():
    table = pd.DataFrame({"student_id": ["=cmd", "ada"], "score": [-1.0, 2.0], "late": [True, False]})
    shown = spreadsheets.inert_table(table)
    assert shown["student_id"].tolist() == ["'=cmd", "ada"]
    assert shown["score"].tolist() == [-1.0, 2.0] and shown["late"].tolist() == [True, False]


@pytest.mark.parametrize("name, taken", [
    ("ada", True), ("ada.lovelace@example.org", True), ("s0123", True), ("jean-luc", True), ("josé", True),
    ("ada_l", True), ("<img src=x onerror=alert(1)>", False), ('a";alert(1);//', False), ("=1+1", False),
    ("-ada", False), ("@ada", False), ("_ada", False), ("ada lovelace", False), ("a%2Fb", False),
    ("..", False), ("", False), ("a\u202eb", False), ("x" * 101, False)])
def test_which_names_are_student_ids(name, taken):
    assert is_student_id(name) is taken


def test_folders_not_named_as_students_are_named_and_left(tmp_path):
    for name in ("ada", "<script>x</script>", "=1+1"):
        (tmp_path / name.replace("/", "%")).mkdir()
    refused = refused_folders(tmp_path)
    assert len(refused) == 2 and all("is not a student id" in reason for reason in refused)
    assert (tmp_path / "=1+1").is_dir(), "left where it is"


def test_a_roster_with_an_id_that_is_not_one_imports_nothing(course_copy):
    roster = course_copy / "roster.csv"
    roster.write_text("id,first_name,last_name,email,lms_user_id\nada,Ada,L,a@x.org,1\n"
                      '"<img src=x onerror=alert(1)>",M,M,m@x.org,2\n')
    with pytest.raises(exports.ExportError, match=r"line 3: '<img src=x onerror=alert\(1\)>'"):
        exports.import_roster(Course(course_copy), roster)
    assert not (course_copy / "gradebook.db").exists()


@pytest.mark.slow
def test_make_grade_leaves_a_folder_not_named_as_a_student_ungraded_and_names_it(course_copy):
    """A submission through the exchange under a name such as this one would reach formgrader's
    scripts unescaped: it is not graded, and `make grade` says which folder and why (exit non-zero)."""
    from penguin_course.grading import grade
    from penguin_course.course.paths import ASSIGNMENT, RELEASE

    shutil.copytree(RELEASE.parent, course_copy / "release")
    name = 'x";alert(1);x="'
    folder = course_copy / "submitted" / name / ASSIGNMENT
    shutil.copytree(RELEASE, folder)
    with pytest.raises(grade.GraderError) as raised:
        grade.grade_class(Course(course_copy), sandboxed=False)
    assert repr(name) in str(raised.value) and "is not a student id" in str(raised.value)
    assert folder.is_dir() and not (course_copy / "autograded" / name).exists()
    with Course(course_copy).gradebook() as gradebook:
        assert [student.id for student in gradebook.students] == []

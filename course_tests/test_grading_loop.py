"""The loop around grading: hand grades reach every output, survive re-grading, and every
route to feedback or autograding is safe; a command run the wrong way loses nothing."""

import hashlib
import html
import re
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from course_tests.conftest import hidden_test_lines
from penguin_course.exchanging import exchange
from penguin_course.preparing import demo
from penguin_course.grading import grade
from penguin_course.course import notebooks
from penguin_course.course.directory import Course
from penguin_course.course.nbgrader_cli import nbgrader
from penguin_course.course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, ROOT
from penguin_course.outputs.refresh import HAND_GRADED, refresh

pytestmark = pytest.mark.slow

NB2, NB3, NB4 = "2-count-parameters", "3-test-performance", "4-improve-results"
COMMENT = "Good reasoning; name the *bias* too."


def digests(root):
    """sha256 of every file that grading writes: the gradebook, the CSVs, the report, autograded/, feedback/."""
    paths = [root / name for name in ("gradebook.db", "grades.csv", "grades-by-test.csv", "report.html")]
    paths += sorted(p for folder in ("autograded", "feedback") for p in (root / folder).rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.exists()}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with two students graded: ada handed in the reference answers, bob the release untouched."""
    root = tmp_path_factory.mktemp("course")
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    for student, shipped in (("ada", demo.COMPLETE), ("bob", demo.UNTOUCHED)):
        shutil.copytree(DEMO_SUBMISSIONS / shipped, root / "submitted" / student)
    grade.grade_class(Course(root), workers=2)
    return root


def grade_by_hand(root, student, notebook, cell, score, comment):
    """What formgrader does when an instructor scores a written answer and comments on it."""
    with Gradebook(Course(root).db_url) as gradebook:
        given = gradebook.find_grade(cell, notebook, ASSIGNMENT, student)
        given.manual_score = score
        given.needs_manual_grade = False
        gradebook.find_comment(cell, notebook, ASSIGNMENT, student).manual_comment = comment
        gradebook.db.commit()


def in_gradebook(root, student, notebook, cell):
    with Gradebook(Course(root).db_url) as gradebook:
        given = gradebook.find_grade(cell, notebook, ASSIGNMENT, student)
        comment = gradebook.find_comment(cell, notebook, ASSIGNMENT, student)
        return given.manual_score, given.needs_manual_grade, comment.comment  # the grader's, else the note


def total_score(root, student):
    """The student's score in grades.csv (nbgrader's export)."""
    table = pd.read_csv(root / "grades.csv")
    return float(table[(table.assignment == ASSIGNMENT) & (table.student_id == student)]["score"].sum())


def by_test_row(root, student, notebook, cell):
    table = pd.read_csv(root / "grades-by-test.csv")
    row = table[(table.student_id == student) & (table.notebook == f"{notebook}.ipynb") & (table.grade_id == cell)]
    assert len(row) == 1
    return row.iloc[0]


def page(root, student, notebook):
    return html.unescape((root / "feedback" / student / ASSIGNMENT / f"{notebook}.html").read_text())


def test_hand_grades_reach_every_output_without_running_student_code(course):
    graded_notebooks = {p: p.stat().st_mtime_ns for p in (course / "autograded").rglob("*.ipynb")}
    waiting = page(course, "ada", NB2)
    assert "Waiting to be graded by hand" in waiting and "1 answer of this notebook waits to be graded" in waiting

    grade_by_hand(course, "ada", NB2, "answer-hidden-size", 1.5, COMMENT)
    grade_by_hand(course, "ada", NB3, "answer-expected-performance", 1.0, "Right.")
    refresh(Course(course))

    row = by_test_row(course, "ada", NB2, "answer-hidden-size")
    assert (row.score, row.max_score, row.status) == (1.5, 2.0, HAND_GRADED)
    assert by_test_row(course, "ada", NB4, "answer-improvements").status == "needs manual grading"
    assert by_test_row(course, "bob", NB2, "answer-hidden-size").status == "failed"  # nothing written
    totals = pd.read_csv(course / "grades.csv").query("assignment == @ASSIGNMENT").set_index("student_id")["raw_score"]
    assert totals["ada"] == 51 + 1.5 + 1.0

    graded = page(course, "ada", NB2)
    assert "Score: 1.5 / 2.0" in graded and "Good reasoning; name the" in graded and "<em>bias</em>" in graded
    assert "Waiting to be graded by hand" not in graded, "nothing waits in this notebook any more"
    assert "Waiting to be graded by hand" in page(course, "ada", NB4)
    assert "1 written answer waits to be graded by hand" in (course / "report.html").read_text()
    assert {p: p.stat().st_mtime_ns for p in graded_notebooks} == graded_notebooks, "no notebook was run again"


def test_grading_again_keeps_the_hand_grades_of_unchanged_answers(course):
    grade_by_hand(course, "ada", NB2, "answer-hidden-size", 1.5, COMMENT)
    grade_by_hand(course, "ada", NB3, "answer-expected-performance", 1.0, "Right.")
    grade.grade_class(Course(course), force=True, only=["ada"])
    assert in_gradebook(course, "ada", NB2, "answer-hidden-size") == (1.5, False, COMMENT)
    assert by_test_row(course, "ada", NB2, "answer-hidden-size").status == HAND_GRADED

    # ada changes one written answer and hands in again: only that one goes back in the queue
    path = course / "submitted" / "ada" / ASSIGNMENT / f"{NB2}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    answer = next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "answer-hidden-size")
    answer.source += "\n\nAlso, more neurons take longer to train."
    nbformat.write(notebook, path)
    before = total_score(course, "ada")
    grade.grade_class(Course(course), only=["ada"])
    score, waiting, comment = in_gradebook(course, "ada", NB2, "answer-hidden-size")
    assert (score, waiting) == (None, True)
    row = by_test_row(course, "ada", NB2, "answer-hidden-size")
    assert (row.status, row.score) == ("needs manual grading", 0)
    assert in_gradebook(course, "ada", NB3, "answer-expected-performance") == (1.0, False, "Right.")
    # the earlier score counts nowhere, and its comment says what it was about
    assert total_score(course, "ada") == before - 1.5
    earlier = "On the earlier answer, graded 1.5 of 2 by hand"
    assert comment == f"{earlier}: {COMMENT}"
    with Gradebook(Course(course).db_url) as gradebook:  # formgrader's comment box: empty, the note its placeholder
        written = gradebook.find_comment("answer-hidden-size", NB2, ASSIGNMENT, "ada")
        assert (written.manual_comment, written.auto_comment) == (None, f"{earlier}: {COMMENT}")
    text = page(course, "ada", NB2)
    assert "Waiting to be graded by hand" in text and f"{earlier}: Good reasoning" in text
    grade.grade_class(Course(course), force=True, only=["ada"])  # graded again while it waits: the note stays
    assert in_gradebook(course, "ada", NB2, "answer-hidden-size") == (None, True, f"{earlier}: {COMMENT}")
    # feedback is not returned while an answer waits, and nothing is released
    for name in ("submission_secret.txt", "timestamp.txt"):  # as if ada had submitted through the exchange
        (course / "feedback" / "ada" / ASSIGNMENT / name).write_text("x\n")
    with pytest.raises(exchange.ExchangeError, match=r"ada \(penguin-classification\) still wait"):
        exchange.release_feedback(Course(course))
    # graded again with no comment: the earlier score does not become the new grade's comment
    grade_by_hand(course, "ada", NB2, "answer-hidden-size", 2.0, None)
    refresh(Course(course))
    assert in_gradebook(course, "ada", NB2, "answer-hidden-size") == (2.0, False, None)
    assert earlier not in page(course, "ada", NB2)
    grade_by_hand(course, "ada", NB2, "answer-hidden-size", 2.0, "Better.")
    refresh(Course(course))
    assert total_score(course, "ada") == before + 0.5
    assert in_gradebook(course, "ada", NB2, "answer-hidden-size") == (2.0, False, "Better.")


def test_nbgraders_own_generate_feedback_writes_the_course_pages(course):
    grade_by_hand(course, "ada", NB3, "answer-expected-performance", 1.0, "Right.")
    nbgrader(Course(course), "generate_feedback", ASSIGNMENT, "--force")  # what formgrader's button runs
    secrets = hidden_test_lines()
    for path in (course / "feedback").rglob("*.html"):
        text = html.unescape(path.read_text())
        assert not [line for line in secrets if line in text], f"{path} shows a hidden test"
    assert "Right." in page(course, "ada", NB3)


def test_nbgraders_own_autograde_refuses_and_changes_nothing(course):
    before = digests(course)
    run = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force", "--student", "ada"],
                         cwd=course, capture_output=True, text=True, env={"PATH": str(ROOT / ".venv" / "bin"),
                                                                          "PYTHONPATH": str(ROOT)})
    assert run.returncode != 0
    assert "make grade" in run.stdout + run.stderr
    assert digests(course) == before


EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def test_pages_need_no_network(course):
    maths = page(course, "ada", NB2)
    assert maths.count("<math") >= 5 and "$x_1" not in maths, "the maths is MathML, not TeX for MathJax"
    for path in [course / "report.html", *(course / "feedback").rglob("*.html")]:
        assert not EXTERNAL.search(path.read_text()), f"{path} loads something from the network"


def test_grading_the_wrong_folder_loses_nothing(course):
    before = digests(course)
    empty = course / "empty"
    empty.mkdir()
    for folder, problem in ((course / "submited", "there is no folder"), (empty, "holds no submission")):
        with pytest.raises(grade.GraderError, match=problem):
            grade.grade_class(Course(course), folder)
    assert digests(course) == before


def test_the_command_exits_non_zero_on_a_misspelled_folder(tmp_path):
    run = subprocess.run([sys.executable, "-m", "penguin_course", "grade", "--submitted", str(tmp_path / "submited")],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and "there is no folder" in run.stderr


def test_clean_keeps_a_gradebook_with_hand_grades(course):
    grade_by_hand(course, "ada", NB3, "answer-expected-performance", 1.0, "Right.")
    before = digests(course)
    with pytest.raises(grade.GraderError, match="given by hand"):
        grade.clean(Course(course))
    assert digests(course) == before


PHONE = {"width": 390, "height": 844}  # CSS pixels of a common phone
LAYOUT = """() => ({
    layoutWidth: window.innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    plotsTooWide: [...document.querySelectorAll('img')].filter(img => img.getBoundingClientRect().right
                                                                      > window.innerWidth + 1).length,
    codeCut: [...document.querySelectorAll('pre')].filter(pre => pre.scrollWidth > pre.clientWidth + 1
        && !['auto', 'scroll'].includes(getComputedStyle(pre).overflowX)).length,
    codeScrolling: [...document.querySelectorAll('pre')].filter(pre => pre.scrollWidth > pre.clientWidth + 1).length,
})"""


def test_the_feedback_page_and_the_report_read_well_on_a_phone(course):
    """Laid out at the phone's width (a viewport), not at a desktop's shrunk to a third: the page
    never scrolls sideways, plots fit the width, and code wider than the screen scrolls in its box."""
    from course_tests import browser

    missing = browser.chromium_missing()
    if missing:
        pytest.fail(missing, pytrace=False)
    shots = browser.Screenshots("feedback-and-report-on-a-phone")
    pages = {"feedback page": course / "feedback" / "ada" / ASSIGNMENT / f"{NB3}.html",
             "report": course / "report.html"}
    layouts = {}
    with browser.chromium() as chromium:
        context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        phone = context.new_page()
        for name, path in pages.items():
            phone.goto(path.as_uri())
            shots.take(phone, name)
            shots.take(phone, f"{name}, whole", full_page=True)
            layouts[name] = layout = phone.evaluate(LAYOUT)
            assert layout["layoutWidth"] == PHONE["width"], f"the {name} is laid out {layout['layoutWidth']} px wide"
            assert layout["pageWidth"] <= PHONE["width"], f"the {name} scrolls sideways: {layout}"
            assert layout["plotsTooWide"] == 0 and layout["codeCut"] == 0, f"the {name}: {layout}"
        context.close()
    # the check of code boxes above had something to check: ada's code is wider than a phone
    assert layouts["feedback page"]["codeScrolling"] > 0

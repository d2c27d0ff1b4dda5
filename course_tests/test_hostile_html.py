"""A student's HTML never runs in the instructor's browser, nor in her own feedback pages.

Mallory (``hostile_student``) hands in correct notebooks laced with script: in her written
answers, in markdown and raw cells she added, in outputs of every kind (HTML, JavaScript, SVG,
markdown, an isolated iframe, printed text) and in her names on the roster. Graded as `make grade`
grades her, with a well-behaved student beside her, the instructor then opens every page that
shows her work in Chromium: formgrader's manual grading, student and submission pages, her
notebooks in JupyterLab, her feedback pages and report.html. A hook in every frame reports any
script of hers that runs; none may. The well-behaved student's plots, tables and maths still
show, with the network beyond this machine blocked (formgrader's maths needs no CDN). The counterpart: with nbgrader_config.py's sanitizing switched off, the same pages run her
script, so the hook does see it.

Screenshots: browser-screenshots/<test>/.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_tests import browser
from course_tests import hostile_student as hostile
from course_tests.conftest import grade_as_a_class
from penguin_course.course import notebooks
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, NOTEBOOKS, RELEASE, ROOT, SOURCE
from penguin_course.outputs import exports, feedback, refresh
from penguin_course.preparing import demo
from course_tests.conftest import DAY1

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WELL_BEHAVED = "ada"
VIEWPORT = {"width": 1400, "height": 900}
SETTLE_MS = 700  # after the page's requests have settled: time for an onerror or onload to fire
# nbgrader_config.py with the course's sanitizing switched off: nbconvert's settings and nbgrader's
# templates as they come (the counterpart)
SANITIZING_OFF = """
c.HTMLExporter.sanitize_html = False
c.HTMLExporter.filters = {}
c.HTMLExporter.preprocessors = []
c.HTMLExporter.extra_template_basedirs = [str(feedback.nbgrader_templates())]
"""


def write_roster(path: Path) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(exports.ROSTER_COLUMNS)
        writer.writerow([hostile.STUDENT, hostile.FIRST_NAME, hostile.LAST_NAME, hostile.EMAIL, hostile.LMS_ID])
        writer.writerow([WELL_BEHAVED, "Ada", "Lovelace", "ada@example.org", "1001"])
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """The course, with Mallory and a well-behaved student graded in the sandbox, the roster
    imported, and every output written from the gradebook (feedback, CSVs, exports, report)."""
    root = tmp_path_factory.mktemp("hostile") / "course"
    students = {
        hostile.STUDENT: hostile.notebooks_of(RELEASE, lambda name: notebooks.solutions(SOURCE / name)),
        WELL_BEHAVED: {name: notebooks.fill(notebooks.read(RELEASE / name), demo.answers_of(demo.COMPLETE, name, DAY1))
                       for name in NOTEBOOKS},
    }
    table = grade_as_a_class(root, students)
    assert set(table["student_id"]) == {hostile.STUDENT, WELL_BEHAVED}
    course = Course(root)
    exports.import_roster(course, write_roster(root.parent / "roster.csv"))
    refresh.refresh(course)
    exports.export(course)
    return root


class Visits:
    """A browser context whose every frame reports what script of Mallory's ran (``ran``)."""

    def __init__(self, chromium, shots: browser.Screenshots):
        self.shots = shots
        self.ran: dict[str, list[str]] = {}
        self.context = chromium.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(60_000)
        self.context.expose_binding("report_hostile", lambda source, what: self.record(what))
        self.context.add_init_script(hostile.DETECTOR)
        # the network beyond this machine is blocked: the pages must need none of it (maths included)
        self.outside: list[str] = []
        self.context.route(re.compile(r"^(?!(https?://(127\.0\.0\.1|localhost)[:/]|file:|data:|about:)).*"),
                           lambda route: (self.outside.append(route.request.url), route.abort()))
        self.page = self.context.new_page()
        self.page.on("request", lambda request: hostile.MARK in request.url and self.record(f"request {request.url}"))
        self.page.on("console", lambda message: hostile.MARK in message.text and self.record(f"console {message.text}"))
        self.current = ""

    def record(self, what: str) -> None:
        self.ran.setdefault(self.current, []).append(what)

    def open(self, url: str, name: str, *wait_for: str) -> None:
        """Go to ``url`` and wait until each of ``wait_for`` (selectors) is visible, then a little more."""
        self.current = name
        self.ran.setdefault(name, [])
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        for selector in wait_for:
            self.page.locator(selector).first.wait_for()
        self.page.wait_for_timeout(SETTLE_MS)
        self.shots.take(self.page, name, full_page=True)

    def close(self) -> None:
        self.context.close()


def lab_environment(work: Path) -> dict[str, str]:
    browser.lab_settings(work / "jupyter-config")
    # every cell rendered, not only those in view: her payloads sit at the end of the notebooks
    tracker = work / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    (work / "home").mkdir(exist_ok=True)
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return browser.environment(HOME=str(work / "home"), JUPYTER_CONFIG_DIR=str(work / "jupyter-config"),
                               PYTHONPATH=python_path)


def submission_ids(root: Path, student: str) -> dict[str, str]:
    """Formgrader's id of each of ``student``'s submitted notebooks, by notebook name."""
    with Course(root).gradebook() as gradebook:
        return {name: gradebook.find_submission_notebook(Path(name).stem, ASSIGNMENT, student).id
                for name in NOTEBOOKS}


def expected_outputs(root: Path, student: str, name: str) -> dict[str, int]:
    """How many PNG images and HTML tables the graded notebook's outputs hold, and maths in its markdown."""
    notebook = nbformat.read(root / "autograded" / student / ASSIGNMENT / name, as_version=4)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    return {"images": sum("image/png" in output.get("data", {}) for output in outputs),
            "tables": sum("<table" in output.get("data", {}).get("text/html", "") for output in outputs),
            "maths": sum(cell.source.count("$") // 2 for cell in notebook.cells if cell.cell_type == "markdown")}


def shown_outputs(page) -> dict[str, int]:
    """What the page shows of them: images loaded (naturalWidth > 0), tables with header cells, MathML."""
    return page.evaluate("""() => ({
        images: [...document.querySelectorAll('.output_png img')].filter(image => image.naturalWidth > 0).length,
        tables: [...document.querySelectorAll('.output_html table')].filter(table => table.querySelector('th')).length,
        maths: document.querySelectorAll('.text_cell_render math').length,
    })""")


def assert_shows_like_the_notebook(root: Path, page, name: str) -> None:
    expected, shown = expected_outputs(root, WELL_BEHAVED, name), shown_outputs(page)
    assert shown["images"] == expected["images"] and shown["tables"] >= expected["tables"], (name, expected, shown)
    if expected["maths"]:
        assert shown["maths"] > 0, f"{name}: the maths is not shown as MathML ({shown})"


def test_none_of_her_script_runs_in_any_page_the_instructor_opens(graded, chromium, request):
    shots = browser.Screenshots(request.node.name)
    work = graded.parent
    feedback_folder = graded / "feedback"
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(browser.jupyter_lab(graded, lab_environment(work), work / "logs" / "lab.log"))
        visits = Visits(chromium, shots)
        stack.callback(visits.close)
        browser.log_in(visits.page, server)

        # formgrader: the lists of students and submissions, then each of her notebooks
        for path in ["/formgrader/manage_students", f"/formgrader/manage_students/{hostile.STUDENT}",
                     f"/formgrader/manage_students/{hostile.STUDENT}/{ASSIGNMENT}",
                     f"/formgrader/manage_submissions/{ASSIGNMENT}", f"/formgrader/gradebook/{ASSIGNMENT}",
                     *(f"/formgrader/gradebook/{ASSIGNMENT}/{Path(name).stem}" for name in NOTEBOOKS)]:
            visits.open(server.base + path, "formgrader" + path.replace("/formgrader", ""), "#main-table tr")
        mine = submission_ids(graded, hostile.STUDENT)
        for name, submission in mine.items():
            visits.open(f"{server.base}/formgrader/submissions/{submission}/", f"formgrader-{hostile.STUDENT}-{name}",
                        "#notebook-container")
        # her names on the roster, shown when the grader reveals them, are text
        visits.page.locator("span.glyphicon.name-hidden").click()
        shown = visits.page.locator("a.name-shown").first
        shown.wait_for()
        assert hostile.FIRST_NAME in shown.inner_text(), shown.inner_text()
        shots.take(visits.page, "formgrader-name-revealed")
        written = visits.page.locator(".nbgrader_cell .text_cell_render", has_text="The count grows")
        assert written.count() >= 1, "her written answer is shown for grading"
        assert visits.page.locator("input.score").count() > 0, "the score boxes are there"

        # the same notebooks as the instructor sees them in JupyterLab (the live notebook link)
        for name in NOTEBOOKS[:2]:
            # JupyterLab restores the notebook opened before in a tab of its own: wait for this one's
            visits.open(server.url(f"/lab/tree/autograded/{hostile.STUDENT}/{ASSIGNMENT}/{name}"),
                        f"lab-{hostile.STUDENT}-{name}", f".lm-TabBar-tab.lm-mod-current:has-text('{name}')",
                        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")
            shown = visits.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedHTMLCommon",
                                        has_text="a markdown link")
            assert shown.count() >= 1, "her markup at the end of the notebook was rendered"
            shown.last.scroll_into_view_if_needed()
            visits.page.wait_for_timeout(SETTLE_MS)
            shots.take(visits.page, f"lab-{hostile.STUDENT}-{name}-her-markup")

        # the well-behaved student's plots, tables and maths still show
        for name, submission in submission_ids(graded, WELL_BEHAVED).items():
            visits.open(f"{server.base}/formgrader/submissions/{submission}/", f"formgrader-{WELL_BEHAVED}-{name}",
                        "#notebook-container")
            assert_shows_like_the_notebook(graded, visits.page, name)

        # pages opened from disk: her feedback (as she or a teaching assistant opens it), the report
        for page in sorted((feedback_folder / hostile.STUDENT / ASSIGNMENT).glob("*.html")):
            visits.open(page.as_uri(), f"feedback-{hostile.STUDENT}-{page.name}")
        for name in NOTEBOOKS:
            visits.open((feedback_folder / WELL_BEHAVED / ASSIGNMENT / name).with_suffix(".html").as_uri(),
                        f"feedback-{WELL_BEHAVED}-{name}")
            assert_shows_like_the_notebook(graded, visits.page, name)
        visits.open((graded / "report.html").as_uri(), "report")

        assert visits.outside == [], f"the pages asked the internet for {visits.outside}"
        ran = {page: found for page, found in visits.ran.items() if found}
        assert not ran, f"her script ran in {len(ran)} pages: {ran}"
        assert len(visits.ran) >= 20, sorted(visits.ran)
    assert f"/{hostile.MARK}/" not in (work / "logs" / "lab.log").read_text(), "no request of hers reached the server"


def test_with_the_sanitizing_switched_off_her_script_runs(graded, chromium, request, tmp_path):
    """The counterpart: nbgrader_config.py without the course's sanitizing. Formgrader's
    submission views and the feedback pages (made again) run her script, and the hook sees it."""
    shots = browser.Screenshots(request.node.name)
    unsafe = tmp_path / "course"
    shutil.copytree(graded, unsafe)
    config = unsafe / "nbgrader_config.py"
    config.write_text(config.read_text() + SANITIZING_OFF)
    course = Course(unsafe)
    graded_notebooks = sorted((course.autograded / hostile.STUDENT / ASSIGNMENT).glob("*.ipynb"))
    feedback.generate_pages(course, ASSIGNMENT, graded_notebooks)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(browser.jupyter_lab(unsafe, lab_environment(tmp_path), tmp_path / "lab.log"))
        visits = Visits(chromium, shots)
        stack.callback(visits.close)
        browser.log_in(visits.page, server)
        opened = []
        for name, submission in submission_ids(unsafe, hostile.STUDENT).items():
            if name in NOTEBOOKS[:2]:
                opened.append(f"formgrader-{name}")
                visits.open(f"{server.base}/formgrader/submissions/{submission}/", opened[-1],
                            "#notebook-container")
        for page in graded_notebooks[:2]:
            opened.append(f"feedback-{page.stem}")
            visits.open((course.feedback / hostile.STUDENT / ASSIGNMENT / f"{page.stem}.html").as_uri(), opened[-1])
        silent = [page for page in opened if not visits.ran.get(page)]
        assert not silent, f"with the sanitizing off, the hook saw no script of hers in {silent}: it would miss it"


def test_no_csv_file_of_the_course_holds_a_formula_of_hers(graded):
    """grades.csv (nbgrader's export: her names and e-mail from the roster), grades-by-test.csv and
    every file of exports/: text a spreadsheet would run as a formula is written as text."""
    from penguin_course.outputs import spreadsheets

    files = [graded / "grades.csv", graded / "grades-by-test.csv", *sorted((graded / "exports").glob("*.csv"))]
    assert len(files) >= 7, files
    seen_names = False
    for path in files:
        with path.open(newline="", encoding="utf-8-sig") as file:
            cells = [cell for row in csv.reader(file) for cell in row]
        formulas = [cell for cell in cells if cell[:1] and cell[:1] in "=+-@\t\r" and not spreadsheets.is_number(cell)]
        assert formulas == [], f"{path.name}: {formulas}"
        seen_names |= any(hostile.LAST_NAME in cell or hostile.EMAIL in cell for cell in cells)
    assert seen_names, "her roster entry reached the files (as text)"

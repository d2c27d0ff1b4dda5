"""The student/instructor loop through nbgrader's exchange, in a real browser.

A student fetches the assignment in JupyterLab's *Assignments* tab, runs and validates a
notebook, and submits; the instructor sets a due date in formgrader that the submission
missed, collects and grades the class in the sandbox (the work shows as late), grades a
written answer by hand in formgrader and releases feedback; the student fetches the feedback
page, which shows the hand grade and comment but no hidden test; formgrader's pages show the
late student's totals as grades.csv does, after the penalty. Formgrader's own buttons write the
course's feedback pages and refuse to autograde outside the sandbox.

One test runs the loop in order, each stage a subtest that goes on from where the one before
left off (pytest-xdist cannot split it between workers); a stage whose predecessor failed fails
saying so. Every step leaves a screenshot in browser-screenshots/<test>/<NN>-<stage>-<step>.png.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from course_tests import browser
from penguin_course.preparing import demo
from penguin_course.course import directory, notebooks
from penguin_course.course.paths import ASSIGNMENT, NOTEBOOKS, ROOT
from course_tests.conftest import hidden_test_lines
from course_tests.conftest import DAY1

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COURSE_ID = "intro-deep-learning"
STUDENT = "ada"
WRITTEN_NOTEBOOK, WRITTEN_ANSWER = "2-count-parameters", "answer-hidden-size"  # 2 points, graded by hand
HAND_SCORE, HAND_COMMENT = "1", "Good reasoning, but name the bias."
BROWSER_NOTEBOOK = "1-inspect-dataset.ipynb"  # the notebook the student runs and validates in the browser
TYPED_ANSWER = "# typed in the browser\nn_samples = len(penguins)\nn_samples"  # cell n-samples
# Appended to the student's first answer: it writes this file if student code ever runs with the
# variable set, which only the instructor's JupyterLab has (so formgrader's Autograde button would).
CANARY_VARIABLE = "BROWSER_TEST_CANARY"
CANARY_CODE = (f"import os as _os\n_canary = _os.environ.get({CANARY_VARIABLE!r})\n"
               "if _canary:\n    open(_canary, 'a').write('student code ran\\n')\n")
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT = 60_000  # ms: the longest wait of a step (running or validating a notebook, grading)


@dataclass
class Course:
    """The course's folders, and what the stages of the test have done so far."""
    work: Path
    course: Path  # the instructor's course folder (copy of source/, release/, nbgrader_config.py)
    exchange: Path
    student_config: Path  # the students' Jupyter configuration folder (JUPYTER_CONFIG_DIR)
    student_identity: Path  # the config that names the student (JUPYTER_CONFIG_PATH)
    student_home: Path
    canary: Path
    instructor_env: dict[str, str]
    student_env: dict[str, str]
    done: dict[str, object] = field(default_factory=dict)

    def require(self, *steps: str) -> None:
        missing = [step for step in steps if step not in self.done]
        if missing:
            pytest.fail(f"this stage goes on from {', '.join(missing)}, which did not complete in the stage "
                        f"before", pytrace=False)

    @property
    def fetched(self) -> Path:
        return self.student_home / ASSIGNMENT

    @property
    def inbound(self) -> Path:
        return self.exchange / COURSE_ID / "inbound"


# ---------------------------------------------------------------------------------------------
# fixtures

@pytest.fixture
def course(tmp_path_factory) -> Course:
    """A course folder with the assignment released to a fresh exchange, as the instructor
    would set it up: `make exchange`, generate_assignment, release_assignment."""
    from penguin_course.exchanging import exchange

    work = tmp_path_factory.mktemp("browser")
    folder = work / "course"
    folder.mkdir()
    for name in ("source", "release"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy2(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    exchange_root = work / "exchange"
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with pytest.MonkeyPatch.context() as patch:
        # while the test runs: nbgrader_config.py reads the exchange from the environment, in
        # this process (exchange, grade, refresh) and in every nbgrader process; the course
        # tooling that it imports lives in the repository, not in the copy
        patch.setenv("NBGRADER_EXCHANGE", str(exchange_root))
        patch.setenv("PYTHONPATH", python_path)
        student_config = work / "student-jupyter-config"
        made_exchange, config_file = exchange.create(directory.Course(folder), config_path=student_config / "nbgrader_config.py")
        assert made_exchange == exchange_root and config_file == student_config / "nbgrader_config.py"
        written = config_file.read_text()
        assert COURSE_ID in written and str(exchange_root) in written, written
        instructor_home = work / "instructor-home"
        instructor_home.mkdir()
        browser.lab_settings(work / "instructor-jupyter-config")
        browser.lab_settings(student_config)
        student_home = work / "student-home"
        student_home.mkdir()
        canary = work / "student-code-ran"
        state = Course(
            work=work, course=folder, exchange=exchange_root, student_config=student_config,
            student_identity=work / "student-identity", student_home=student_home, canary=canary,
            instructor_env=browser.environment(
                HOME=str(instructor_home), JUPYTER_CONFIG_DIR=str(work / "instructor-jupyter-config"),
                NBGRADER_EXCHANGE=str(exchange_root), PYTHONPATH=python_path, **{CANARY_VARIABLE: str(canary)}),
            student_env=browser.environment(
                HOME=str(student_home), USER=STUDENT, LOGNAME=STUDENT, JUPYTER_CONFIG_DIR=str(student_config),
                JUPYTER_CONFIG_PATH=str(work / "student-identity"), NBGRADER_EXCHANGE=str(exchange_root)))
        browser.student_identity(state.student_identity, STUDENT)
        browser.nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=folder, env=state.instructor_env)
        browser.nbgrader("release_assignment", ASSIGNMENT, "--force", cwd=folder, env=state.instructor_env)
        assert (exchange_root / COURSE_ID / "outbound" / ASSIGNMENT / BROWSER_NOTEBOOK).exists()
        yield state


class Run:
    """What the stages share: the browser, the screenshots, and the two JupyterLab servers, each
    started when a stage first needs it and stopped when the test ends, also on failure."""

    def __init__(self, course: Course, chromium, shots: browser.Screenshots, stack: contextlib.ExitStack):
        self.course, self.chromium, self.shots, self.stack = course, chromium, shots, stack
        self._labs: dict[str, browser.JupyterServer] = {}

    def lab(self, who: str, root: Path, env: dict[str, str]) -> browser.JupyterServer:
        """``who``'s JupyterLab serving ``root``, started the first time it is asked for."""
        if who not in self._labs:
            log = self.course.work / "logs" / f"{who}-lab.log"
            self._labs[who] = self.stack.enter_context(browser.jupyter_lab(root, env, log))
        return self._labs[who]

    @property
    def student_lab(self) -> browser.JupyterServer:
        """The student's JupyterLab, in their (at first empty) home folder."""
        return self.lab("student", self.course.student_home, self.course.student_env)

    @property
    def instructor_lab(self) -> browser.JupyterServer:
        """The instructor's JupyterLab, in the course folder (formgrader reads nbgrader_config.py there)."""
        return self.lab("instructor", self.course.course, self.course.instructor_env)

    @contextlib.contextmanager
    def page(self):
        """A fresh browser page (no cookies); if the stage fails, a last screenshot of where it stopped."""
        context = self.chromium.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        try:
            yield page
        except BaseException:
            if page.url != "about:blank":
                with contextlib.suppress(Exception):
                    self.shots.take(page, "failed", full_page=True)
            raise
        finally:
            context.close()


# ---------------------------------------------------------------------------------------------
# the student's side of JupyterLab

def open_assignments_tab(page) -> None:
    """Nbgrader → Assignment List, and wait until the three lists have loaded."""
    page.locator('#jp-menu-panel .lm-MenuBar-itemLabel:text-is("Nbgrader")').click()
    page.locator('.lm-Menu li[data-command="nbgrader:open-assignment-list"]').click()
    wait_for_assignment_lists(page)


def show_assignments_tab(page) -> None:
    """The Assignments tab: JupyterLab may have restored it from the last visit."""
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Assignments")
    if tab.count():
        tab.click()
        page.locator("#refresh_assignments_list").click()
        wait_for_assignment_lists(page)
    else:
        open_assignments_tab(page)


def wait_for_assignment_lists(page) -> None:
    for name in ("released", "fetched", "submitted"):
        page.locator(f"#{name}_assignments_list").wait_for()
        expect_hidden(page, f"#{name}_assignments_list_loading")
        expect_hidden(page, f"#{name}_assignments_list_error")


def expect_hidden(page, selector: str) -> None:
    page.wait_for_function("selector => { const e = document.querySelector(selector); "
                           "return e === null || e.hidden || e.offsetParent === null; }", arg=selector)


def assignment_rows(page, name: str):
    return page.locator(f"#{name}_assignments_list > .list_item")


def no_course_error(page) -> None:
    assert page.get_by_text("Error fetching courses").count() == 0, "the Assignments tab cannot list the courses"
    for name in ("released", "fetched", "submitted"):
        error = page.locator(f"#{name}_assignments_list_error")
        assert error.count() == 0 or not error.is_visible(), error.inner_text()


def wait_for_kernel(page) -> None:
    """Wait until the open notebook's kernel has started and is idle."""
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()


def run_all_cells(page) -> None:
    """Run → Run All Cells, and wait until the kernel has run them or stopped at an error;
    AssertionError if a cell failed."""
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    page.locator('#jp-menu-panel .lm-MenuBar-itemLabel:text-is("Run")').click()
    page.locator('.lm-Menu li[data-command="runmenu:run-all"]').click()
    # done: the kernel is idle, no cell waits ([*]) and some have run (Run All stops at an error)
    page.wait_for_function(
        r"""panel => {
            const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputPrompt')]
                .map(prompt => prompt.textContent);
            const indicator = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator');
            return indicator !== null && indicator.getAttribute('data-status') === 'idle'
                && prompts.some(text => /\[\d+\]/.test(text)) && !prompts.some(text => text.includes('*'));
        }""", arg=panel, timeout=TIMEOUT * 2)
    cells = page.locator(f"{panel} .jp-CodeCell")
    for index in range(cells.count()):
        cell = cells.nth(index)
        # textContent: JupyterLab skips rendering cells out of view, which empties their innerText
        if not re.search(r"\[\d+\]", cell.locator(".jp-InputPrompt").text_content() or ""):
            failed = page.locator(f"{panel} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            detail = failed.first.text_content() if failed.count() else "(no error output)"
            raise AssertionError(f"Run All stopped before code cell {index + 1}: {detail[:2000]}")


def fill_on_disk(course: Course) -> None:
    """What the student typed into the fetched notebooks, as demo-complete (a complete, correct
    student), except the one answer typed in the browser; plus the canary in notebook 1."""
    for name in NOTEBOOKS:
        answers = demo.answers_of(demo.COMPLETE, name, DAY1)
        if name == BROWSER_NOTEBOOK:
            answers.pop("n-samples")  # typed in the browser
            answers["load-penguins"] = answers["load-penguins"] + "\n" + CANARY_CODE
        path = course.fetched / name
        nbformat.write(notebooks.fill(notebooks.read(path), answers), path)


def formgrader_modal(page, timeout: float = TIMEOUT * 2):
    """The success or error dialog that formgrader opens after a button, once it has faded in."""
    modal = page.locator("#success-modal.in, #error-modal.in")
    modal.wait_for(timeout=timeout)
    page.wait_for_function(  # Bootstrap's fade and slide take 0.3 s
        """() => { const modal = document.querySelector('.modal.in');
                   const dialog = modal && modal.querySelector('.modal-dialog');
                   return dialog && getComputedStyle(modal).opacity === '1'
                       && ['none', 'matrix(1, 0, 0, 1, 0, 0)'].includes(getComputedStyle(dialog).transform); }""")
    return modal


def close_modal(modal) -> None:
    modal.locator(".modal-footer button").click()
    modal.wait_for(state="detached")


def gradebook_url(course: Course) -> str:
    return f"sqlite:///{course.course / 'gradebook.db'}"


def feedback_text(path: Path) -> str:
    return html.unescape(path.read_text())


def leaked_hidden_tests(text: str) -> list[str]:
    return [line for line in hidden_test_lines() if line in text]


# ---------------------------------------------------------------------------------------------
# the stages of the loop, in order

def student_fetches_runs_validates_and_submits(course, run, page):
    browser.open_lab(page, run.student_lab)
    open_assignments_tab(page)
    released = assignment_rows(page, "released").filter(has_text=ASSIGNMENT)
    released.wait_for()
    no_course_error(page)
    run.shots.take(page, "assignments-tab")

    released.locator('.item_status button:text-is("Fetch")').click()
    fetched = assignment_rows(page, "fetched").filter(has_text=ASSIGNMENT)
    fetched.wait_for()
    no_course_error(page)
    run.shots.take(page, "fetched")
    assert sorted(path.name for path in course.fetched.glob("*.ipynb")) == NOTEBOOKS

    fill_on_disk(course)
    # open notebook 1 from the file browser
    page.locator("#filebrowser [data-command='filebrowser:refresh']").click()
    page.locator("#filebrowser .jp-DirListing-item", has_text=ASSIGNMENT).dblclick()
    page.locator("#filebrowser .jp-DirListing-item", has_text=BROWSER_NOTEBOOK).dblclick()
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    stub = notebook.locator(".jp-CodeCell", has_text="raise NotImplementedError()")
    stub.first.wait_for()  # the notebook has loaded
    wait_for_kernel(page)
    run.shots.take(page, "notebook-opened")

    # type the last answer into its cell, in place of the stub
    assert stub.count() == 1, "only the answer left for the browser still has its stub"
    stub.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(TYPED_ANSWER)
    run.shots.take(page, "answer-typed")

    run_all_cells(page)
    run.shots.take(page, "ran-all-cells")
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-current.jp-mod-dirty, "
                           ".lm-TabBar-tab.lm-mod-current.jp-mod-dirty')")
    saved = notebooks.read(course.fetched / BROWSER_NOTEBOOK)
    assert any("# typed in the browser" in cell.source for cell in saved.cells), "the typed answer was saved"

    page.locator("jp-button.validate-button, .validate-button").first.click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
    dialog.wait_for(timeout=TIMEOUT * 2)
    run.shots.take(page, "validated")
    assert page.locator(".nbgrader-SuccessDialog").count() == 1, f"validation failed: {dialog.inner_text()}"
    assert "passes all the tests" in dialog.inner_text(), dialog.inner_text()
    page.locator(".nbgrader-SuccessDialog button.jp-Dialog-button").click()
    dialog.wait_for(state="detached")
    assert not course.canary.exists(), "the student's own kernel has no canary variable"

    # back to the Assignments tab, submit
    page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Assignments").click()
    fetched = assignment_rows(page, "fetched").filter(has_text=ASSIGNMENT)
    fetched.locator('.item_status button:text-is("Submit")').click()
    submitted = assignment_rows(page, "submitted").filter(has_text=ASSIGNMENT)
    submitted.wait_for()
    no_course_error(page)
    run.shots.take(page, "submitted")

    submissions = sorted(course.inbound.glob(f"{STUDENT}+{ASSIGNMENT}+*"))
    assert len(submissions) == 1, f"one submission of {STUDENT} in {course.inbound}: {submissions}"
    names = {path.name for path in submissions[0].iterdir()}
    assert set(NOTEBOOKS) <= names, names
    sent = notebooks.read(submissions[0] / BROWSER_NOTEBOOK)
    assert any("# typed in the browser" in cell.source for cell in sent.cells)
    course.done["submitted"] = submissions[0]


def instructor_sets_a_due_date_in_formgrader(course, run, page):
    """Manage Assignments, the pencil: a due date a minute or so before the student submitted."""
    course.require("submitted")
    submitted_at = parse_utc((course.done["submitted"] / "timestamp.txt").read_text().strip())
    due = submitted_at.replace(second=0, microsecond=0) - timedelta(minutes=1)
    browser.open_formgrader(page, run.instructor_lab)
    row = page.locator("#main-table tr", has_text=ASSIGNMENT)
    row.wait_for()
    row.locator(".edit a").click()
    modal = page.locator("#edit-assignment-modal")
    modal.locator("input.modal-duedate").wait_for()
    modal.locator("input.modal-duedate").fill(due.strftime("%Y-%m-%dT%H:%M"))
    assert modal.locator("input.modal-timezone").input_value() == "+0000", "formgrader's time zone is the course's, UTC"
    run.shots.take(page, "due-date")
    with page.expect_response(lambda r: "/formgrader/api/assignment/" in r.url and r.request.method == "PUT") as saved:
        modal.locator("button.save").click()
    assert saved.value.ok, saved.value.text()
    with Gradebook(gradebook_url(course)) as gradebook:
        assert gradebook.find_assignment(ASSIGNMENT).duedate == due
    course.done["due"] = due


def instructor_collects_and_grades_in_the_sandbox(course, run):
    course.require("submitted")
    log = browser.nbgrader("collect", ASSIGNMENT, cwd=course.course, env=course.instructor_env)
    collected = course.course / "submitted" / STUDENT / ASSIGNMENT
    assert sorted(path.name for path in collected.glob("*.ipynb")) == NOTEBOOKS, log
    course.done["collected"] = collected

    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap (bwrap) is not installed: grading runs student code only in its sandbox. "
                    "Install it (`make sandbox`, or apt-get install bubblewrap) to run this test.", pytrace=False)
    from penguin_course.grading import grade
    table = grade.grade_class(directory.Course(course.course))
    mine = table[table.student_id == STUDENT]
    autograded = mine[mine.status != "needs manual grading"]
    assert (autograded.status == "passed").all(), autograded[autograded.status != "passed"].to_string()
    assert not course.canary.exists(), "the sandbox gives student code none of the grader's environment"
    assert (course.course / "feedback" / STUDENT / ASSIGNMENT / f"{WRITTEN_NOTEBOOK}.html").exists()
    course.done["graded"] = True
    if "due" in course.done:  # the submission came after the due date set in formgrader: late everywhere
        late = mine["late_by_seconds"].iloc[0]
        assert 60 <= late < 180 and (mine.groupby("notebook")["penalty"].first() > 0).any(), mine.to_string()
        grades = (course.course / "grades.csv").read_text()
        assert re.search(rf"{STUDENT},.*,[1-9][\d.]*,", grades), grades  # a late_submission_penalty
        shown = feedback_text(course.course / "feedback" / STUDENT / ASSIGNMENT / f"{WRITTEN_NOTEBOOK}.html")
        assert "after the deadline" in shown and "the late penalty takes" in shown, shown[:3000]
        assert "1 submission of 1 late" in (course.course / "report.html").read_text()


def instructor_grades_the_written_answer_in_formgrader(course, run, page):
    course.require("graded")
    browser.open_formgrader(page, run.instructor_lab)
    page.locator("#main-table tr", has_text=ASSIGNMENT).wait_for()  # the assignments have loaded
    run.shots.take(page, "formgrader", full_page=True)

    page.goto(f"{run.instructor_lab.base}/formgrader/gradebook/{ASSIGNMENT}")
    page.locator("#main-table a", has_text=WRITTEN_NOTEBOOK).wait_for()
    run.shots.take(page, "manual-grading-assignment", full_page=True)
    page.locator("#main-table a", has_text=WRITTEN_NOTEBOOK).click()
    # formgrader lists "Submission #1"... and shows the student's name on request (the eye)
    row = page.locator("#main-table tr").filter(has=page.locator(f'a.name-shown:text-is("{STUDENT}")'))
    row.locator(".reveal .glyphicon-eye-open").click()
    submission = row.locator(f'a.name-shown:text-is("{STUDENT}")')
    submission.wait_for()
    run.shots.take(page, "manual-grading-notebook", full_page=True)
    submission.click()

    score = page.locator(f"input.score#{WRITTEN_ANSWER}")
    comment = page.locator(f"textarea#{WRITTEN_ANSWER}-comment")
    score.wait_for()
    comment.scroll_into_view_if_needed()
    run.shots.take(page, "submission")
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
        score.fill(HAND_SCORE)
        score.press("Tab")  # formgrader saves on change
    assert saved.value.ok, saved.value.status
    with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
        comment.fill(HAND_COMMENT)
        comment.press("Tab")
    assert saved.value.ok, saved.value.status
    run.shots.take(page, "graded-by-hand")

    with Gradebook(gradebook_url(course)) as gradebook:
        grade = gradebook.find_grade(WRITTEN_ANSWER, WRITTEN_NOTEBOOK, ASSIGNMENT, STUDENT)
        assert (grade.manual_score, grade.max_score) == (float(HAND_SCORE), 2.0)
        assert not grade.needs_manual_grade
        assert gradebook.find_comment(WRITTEN_ANSWER, WRITTEN_NOTEBOOK, ASSIGNMENT, STUDENT).manual_comment \
            == HAND_COMMENT
    course.done["graded by hand"] = True


def student_fetches_feedback_with_the_hand_grade_and_no_hidden_test(course, run, page):
    course.require("graded by hand")
    from penguin_course.outputs import refresh
    refresh.refresh(directory.Course(course.course))
    browser.nbgrader("release_feedback", ASSIGNMENT, cwd=course.course, env=course.instructor_env)

    browser.open_lab(page, run.student_lab)
    show_assignments_tab(page)
    submitted = assignment_rows(page, "submitted").filter(has_text=ASSIGNMENT)
    fetch = submitted.locator('button:text-is("Fetch Feedback")')
    fetch.wait_for()
    run.shots.take(page, "feedback-released")
    fetch.click()
    page.get_by_text("view feedback").first.wait_for()
    no_course_error(page)
    run.shots.take(page, "feedback-fetched")

    fetched = sorted((course.fetched / "feedback").glob("*/*.html"))
    assert sorted(path.stem for path in fetched) == [Path(name).stem for name in NOTEBOOKS], fetched
    pages = [path for path in fetched if path.stem == WRITTEN_NOTEBOOK]
    relative = pages[0].relative_to(course.student_home)
    page.goto(run.student_lab.url(f"/files/{relative.as_posix()}"))
    comment = page.get_by_text(HAND_COMMENT).first
    comment.wait_for()
    run.shots.take(page, "feedback-page")
    comment.scroll_into_view_if_needed()
    run.shots.take(page, "feedback-hand-grade")
    text = page.locator("body").inner_text()
    assert re.search(r"Written response\s*\(Score: 1\.0 / 2\.0\)", text), "the hand score, 1 of 2 points"
    assert re.search(r"Score: 1\.0 / 2\.0", text)
    assert HAND_COMMENT in text
    if "due" in course.done:
        assert "after the deadline" in text, "the page says the notebook came late"
    for path in fetched:
        leaks = leaked_hidden_tests(feedback_text(path))
        assert not leaks, f"the feedback page {path.name} shows hidden tests: {leaks[:3]}"
    course.done["feedback fetched"] = True


def formgrader_shows_the_submission_as_graded_by_make_grade(course, run, page):
    """After `make grade` (and grading by hand), Manage Submissions shows ada's score and asks for
    no autograding: it compares the gradebook's submission timestamp with submitted/'s."""
    course.require("graded")
    browser.open_formgrader(page, run.instructor_lab, f"/formgrader/manage_submissions/{ASSIGNMENT}")
    row = page.locator("#main-table tr", has_text=STUDENT)
    row.wait_for()
    run.shots.take(page, "manage-submissions")
    status, score = row.locator(".status").inner_text(), row.locator(".score").inner_text()
    with Gradebook(gradebook_url(course)) as gradebook:
        recorded = gradebook.find_submission(ASSIGNMENT, STUDENT).timestamp
    submitted = (course.course / "submitted" / STUDENT / ASSIGNMENT / "timestamp.txt").read_text().strip()
    assert status.strip() != "needs autograding", (
        f"formgrader lists {STUDENT}'s graded submission as '{status.strip()}' (score '{score}'): the gradebook "
        f"records the submission's timestamp as {recorded}, submitted/ has {submitted}")
    assert re.fullmatch(r"[\d.]+ / [\d.]+", score.strip()), score


def as_formgrader_shows(score: float, max_score: float) -> str:
    """A score as formgrader's pages write it (JavaScript: rounded to 2 decimals, no trailing zeros)."""
    return f"{round(score, 2):g} / {round(max_score, 2):g}"


def formgrader_totals_are_grades_csv_s(course, run, page):
    """The late student's totals on formgrader's pages (Manage Students, their assignment and its
    notebooks, Manage Submissions) are grades.csv's and grades-by-test.csv's: after the penalty."""
    course.require("feedback fetched", "due")  # refreshed after grading by hand; late
    import pandas as pd

    grades = pd.read_csv(course.course / "grades.csv", dtype={"student_id": str})
    every = grades[grades.student_id == STUDENT]  # every assignment of the gradebook: Manage Students' total
    mine = every[every.assignment == ASSIGNMENT].iloc[0]
    assert mine.late_submission_penalty > 0 and mine.score < mine.raw_score, mine.to_string()
    total = as_formgrader_shows(mine.score, mine.max_score)
    overall = as_formgrader_shows(every.score.fillna(0).sum(), every.max_score.sum())
    by_test = pd.read_csv(course.course / "grades-by-test.csv", dtype={"student_id": str})
    by_test = by_test[(by_test.assignment == ASSIGNMENT) & (by_test.student_id == STUDENT)]
    notebooks = by_test.groupby("notebook").agg(score=("score", "sum"), max_score=("max_score", "sum"),
                                                penalty=("penalty", "first"))
    expected_notebooks = {Path(name).stem: as_formgrader_shows(row.score - row.penalty, row.max_score)
                          for name, row in notebooks.iterrows()}

    def score_in_row(path: str, text: str, shot: str) -> str:
        browser.open_formgrader(page, run.instructor_lab, path)
        row = page.locator("#main-table tr", has_text=text).first
        row.wait_for()
        run.shots.take(page, shot, full_page=True)
        assert "after the late penalty" in page.locator(".course-scores-note").inner_text(), "the page says so"
        return row.locator(".score").inner_text().strip()

    shown = {
        "Manage Students": score_in_row("/formgrader/manage_students", STUDENT, "students"),
        "the student's assignments": score_in_row(f"/formgrader/manage_students/{STUDENT}", ASSIGNMENT, "student"),
        "Manage Submissions": score_in_row(f"/formgrader/manage_submissions/{ASSIGNMENT}", STUDENT, "submissions"),
    }
    expected = {**dict.fromkeys(shown, total), "Manage Students": overall}
    assert shown == expected, f"grades.csv: {total} (raw {mine.raw_score:g}), {overall} overall; formgrader: {shown}"
    shown_notebooks = {name: score_in_row(f"/formgrader/manage_students/{STUDENT}/{ASSIGNMENT}", name, "notebooks")
                       for name in expected_notebooks}
    assert shown_notebooks == expected_notebooks


def formgrader_buttons_write_safe_feedback_and_refuse_to_autograde(course, run, page):
    course.require("collected")
    browser.open_formgrader(page, run.instructor_lab, f"/formgrader/manage_submissions/{ASSIGNMENT}")
    row = page.locator("#main-table tr", has_text=STUDENT)
    row.wait_for()
    run.shots.take(page, "manage-submissions", full_page=True)

    feedback = course.course / "feedback" / STUDENT / ASSIGNMENT
    before = {path.name: path.stat().st_mtime_ns for path in feedback.glob("*.html")}
    row.locator(".generate-feedback a").click()
    modal = formgrader_modal(page)
    run.shots.take(page, "generate-feedback")
    modal_text, failed = modal.inner_text(), modal.get_attribute("id") == "error-modal"
    close_modal(modal)
    assert not failed, modal_text[:3000]
    written = sorted(feedback.glob("*.html"))
    assert [path.stem for path in written] == [Path(name).stem for name in NOTEBOOKS]
    assert all(path.stat().st_mtime_ns != before.get(path.name) for path in written), "the button rewrote them"
    for path in written:
        leaks = leaked_hidden_tests(feedback_text(path))
        assert not leaks, f"{path.name} shows hidden tests: {leaks[:3]}"
    if "graded by hand" in course.done:
        assert HAND_COMMENT in feedback_text(feedback / f"{WRITTEN_NOTEBOOK}.html"), "the hand grade's comment"

    row = page.locator("#main-table tr", has_text=STUDENT)
    row.locator(".autograde a").click()
    modal = formgrader_modal(page, timeout=TIMEOUT * 3)  # in case it does run the notebooks
    run.shots.take(page, "autograde-refused")
    modal_text, failed = modal.inner_text(), modal.get_attribute("id") == "error-modal"
    assert failed, f"formgrader autograded: {modal_text[:2000]}"
    assert "make grade" in modal_text, modal_text[:2000]
    assert not course.canary.exists(), "formgrader's Autograde ran student code"
    close_modal(modal)


STAGES = [  # (name in the screenshots, what it checks, function, whether it uses a browser page)
    ("student", "the student fetches, runs, validates and submits", student_fetches_runs_validates_and_submits, True),
    ("deadline", "the instructor sets a due date in formgrader, before the submission",
     instructor_sets_a_due_date_in_formgrader, True),
    ("grade", "the instructor collects and grades in the sandbox", instructor_collects_and_grades_in_the_sandbox,
     False),
    ("by-hand", "the instructor grades the written answer in formgrader",
     instructor_grades_the_written_answer_in_formgrader, True),
    ("feedback", "the student fetches feedback with the hand grade and no hidden test",
     student_fetches_feedback_with_the_hand_grade_and_no_hidden_test, True),
    ("totals", "formgrader's totals are grades.csv's, after the late penalty", formgrader_totals_are_grades_csv_s,
     True),
    ("status", "formgrader shows the submission as graded by make grade",
     formgrader_shows_the_submission_as_graded_by_make_grade, True),
    ("buttons", "formgrader's buttons write safe feedback and refuse to autograde",
     formgrader_buttons_write_safe_feedback_and_refuse_to_autograde, True),
]


def test_student_and_instructor_loop_through_the_exchange(course, chromium, subtests, request):
    shots = browser.Screenshots(request.node.name)
    with contextlib.ExitStack() as stack:
        run = Run(course, chromium, shots, stack)
        for prefix, title, stage, uses_page in STAGES:
            with subtests.test(title):
                shots.prefix = prefix
                if uses_page:
                    with run.page() as page:
                        stage(course, run, page)
                else:
                    stage(course, run)

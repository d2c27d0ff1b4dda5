"""A test changed after grading is judged again from the answers the judge kept, without running
student code, and writes exactly what grading again in full writes; anything else grades in full."""

import hashlib
import json
import re
import shutil
import zipfile

import nbformat
import pandas as pd
import pytest

from course_tests.conftest import gradebook_contents
from course_tests.test_assignments import hand_in, nbgrader_cell, tiny_notebook
from penguin_course.course import notebooks
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.course.paths import ROOT
from penguin_course.grading import grade
from penguin_course.grading.replay import REPLAYED
from penguin_course.isolation.kept_answers import KEPT_ANSWERS
from penguin_course.outputs.feedback import PAGE_DIGESTS
from penguin_course.outputs.refresh import refresh
from penguin_course.preparing import release

pytestmark = pytest.mark.slow

TINY = "tiny-statistics"
NB = "1-statistics.ipynb"
NB2 = "2-words.ipynb"  # its tests never change here
WRITTEN = "answer-why"  # graded by hand
TESTS = {  # grade id -> (code, points)
    "test-mean": ("assert abs(mean - 2.5) < 0.01, f'the mean is {mean}'", 1),
    "test-double": ("assert list(double([1, 2])) == [2, 4]\n### BEGIN HIDDEN TESTS\nassert double(3) == 6\n"
                    "### END HIDDEN TESTS", 2),
    "test-note": ("assert float(open('note.txt').read()) > 2, 'the note is too small'", 1),
}
WRONG = {  # what each student wrote, but the reference answers
    "ada": {},
    "bob": {"mean-answer": "mean = 2.4", "double-answer": "def double(x):\n    return x * 2"},
    "cy": {"mean-answer": "mean = 2.504"},
}


def tiny_course(root):
    """A course of one small assignment (no TensorFlow): an array read from a given file, a mean, a
    function and a file the answers write; three students graded."""
    folder = root / "source" / TINY
    folder.mkdir(parents=True)
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    (folder / "data.txt").write_text("1 2 3 4\n")
    write_tests(root, TESTS)
    write_words(root)
    course = Course(root)
    release.generate_all(course)
    assignment = Assignment(course, TINY)
    solutions = notebooks.solutions(assignment.source / NB)
    for student, wrong in WRONG.items():
        hand_in(root, student, assignment, {NB: {**solutions, **wrong},
                                            NB2: notebooks.solutions(assignment.source / NB2)})
    grade.grade_class(course, workers=2, time_limit=60)
    return course


def write_tests(root, tests, after_mean=None, new_ids=False):
    """source/'s notebook with ``tests`` (and a test cell ``after_mean`` right after test-mean); with
    ``new_ids``, written anew as nbformat writes it: every cell a new random id."""
    cells = [
        nbformat.v4.new_code_cell("import numpy as np\nvalues = np.loadtxt('data.txt')"),
        nbgrader_cell("answer", "### BEGIN SOLUTION\nmean = float(values.mean())\n### END SOLUTION", "mean-answer"),
        nbgrader_cell("test", *tests["test-mean"][:1], "test-mean", tests["test-mean"][1]),
        *([nbgrader_cell("test", after_mean, "test-mean-positive", 1)] if after_mean else []),
        nbgrader_cell("answer", "### BEGIN SOLUTION\ndef double(x):\n    return 2 * np.asarray(x)\n### END SOLUTION",
                      "double-answer"),
        nbgrader_cell("test", tests["test-double"][0], "test-double", tests["test-double"][1]),
        nbgrader_cell("answer", "### BEGIN SOLUTION\nwith open('note.txt', 'w') as file:\n    file.write(str(mean))\n"
                                "### END SOLUTION", "note-answer"),
        *([nbgrader_cell("test", tests["test-note"][0], "test-note", tests["test-note"][1])] if "test-note" in tests
          else []),
        nbformat.v4.new_code_cell("print('the end', mean)"),
    ]
    for cell in cells if not new_ids else []:  # as an editor keeps them: the same id for the same cell
        cell.id = cell.metadata.get("nbgrader", {}).get("grade_id", "given-" + str(len(cell.source)))
    nbformat.write(tiny_notebook(cells), root / "source" / TINY / NB)


def write_words(root):
    """source/'s second notebook: an answer with a test, and a written answer graded by hand."""
    written = nbgrader_cell("answer", "### BEGIN SOLUTION\nBecause the mean is small.\n### END SOLUTION", WRITTEN, 2,
                            cell_type="markdown")
    written.metadata.nbgrader["grade"] = True
    cells = [nbgrader_cell("answer", "### BEGIN SOLUTION\nwords = 'a b c'.split()\n### END SOLUTION", "words-answer"),
             nbgrader_cell("test", "assert len(words) == 3", "test-words", 1), written]
    for cell in cells:
        cell.id = cell.metadata.nbgrader["grade_id"]
    nbformat.write(tiny_notebook(cells), root / "source" / TINY / NB2)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return tiny_course(tmp_path_factory.mktemp("graded"))


def copy_of(graded, tmp_path, name):
    shutil.copytree(graded.root, tmp_path / name)
    return Course(tmp_path / name)


def outputs(course):
    """What an instructor reads: the gradebook's rows, the CSVs, the feedback pages."""
    pages = {str(path.relative_to(course.feedback)): normalized(path.read_text())
             for path in sorted(course.feedback.rglob("*.html"))}
    return {"gradebook": gradebook_contents(course.db_url),
            "grades.csv": (course.root / "grades.csv").read_text(),
            "grades-by-test.csv": (course.root / "grades-by-test.csv").read_text(), "pages": pages}


def normalized(page):
    return re.sub(r"Timestamp: [^<]*", "", page)


def runs(course):
    return {student: json.loads(course.run_record(Assignment(course, TINY), student).read_text())["result"]
            for student in WRONG}


CHANGES = {
    "a changed threshold": dict(tests={**TESTS, "test-note": (TESTS["test-note"][0].replace("> 2", "> 2.45"), 1)}),
    "a changed tolerance": dict(tests={**TESTS, "test-mean": (TESTS["test-mean"][0].replace("0.01", "0.001"), 3)}),
    "a new test reading names already asked for": dict(tests=TESTS, after_mean="assert mean > 2.45"),
    "a removed test": dict(tests={grade_id: test for grade_id, test in TESTS.items() if grade_id != "test-note"}),
    "a changed threshold in a notebook written anew (new cell ids)": dict(
        tests={**TESTS, "test-note": (TESTS["test-note"][0].replace("> 2", "> 2.45"), 1)}, new_ids=True),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_test_change_is_judged_again_from_kept_answers_exactly_as_a_full_regrade(graded, tmp_path, change):
    replayed, regraded = copy_of(graded, tmp_path, "replayed"), copy_of(graded, tmp_path, "regraded")
    for course in (replayed, regraded):
        write_tests(course.root, **CHANGES[change])
    # the kernel cannot answer: had it been asked, the student code would have had to run
    table = grade.grade_class(replayed, workers=2, time_limit=60)
    assert {run["replay"] for run in runs(replayed).values()} == {REPLAYED}
    grade.grade_class(regraded, workers=2, time_limit=60, force=True)
    assert {run["replay"] for run in runs(regraded).values()} == {""}
    assert outputs(replayed) == outputs(regraded)
    graded_before = pd.read_csv(graded.root / "grades-by-test.csv").groupby("student_id")["score"].sum().to_dict()
    assert table.groupby("student_id")["score"].sum().to_dict() != graded_before  # the change changed someone's score


def test_a_new_test_that_needs_a_new_call_grades_the_student_again_in_full(graded, tmp_path):
    replayed, regraded = copy_of(graded, tmp_path, "replayed"), copy_of(graded, tmp_path, "regraded")
    new_call = {**TESTS, "test-double": (TESTS["test-double"][0].replace("double(3) == 6", "double(5) == 10"), 2)}
    for course in (replayed, regraded):
        write_tests(course.root, new_call)
    grade.grade_class(replayed, workers=2, time_limit=60)
    reasons = {student: run["replay"] for student, run in runs(replayed).items()}
    assert "double() with other arguments" in reasons["ada"] and "double() with other arguments" in reasons["cy"]
    assert reasons["bob"] == REPLAYED  # his double failed the visible test: the hidden one never called it
    grade.grade_class(regraded, workers=2, time_limit=60, force=True)
    assert outputs(replayed) == outputs(regraded)
    # the full grading kept the new answers: the next change to that test is judged from them
    write_tests(replayed.root, {**new_call, "test-double": (new_call["test-double"][0], 3)})
    grade.grade_class(replayed, workers=2, time_limit=60)
    assert {run["replay"] for run in runs(replayed).values()} == {REPLAYED}


def test_a_change_to_anything_but_tests_grades_in_full_and_force_runs_everything(graded, tmp_path):
    course = copy_of(graded, tmp_path, "course")
    (course.root / "source" / TINY / "data.txt").write_text("1 2 3 5\n")  # the dataset
    grade.grade_class(course, workers=2, time_limit=60)
    assert {run["replay"] for run in runs(course).values()} == {""}
    write_tests(course.root, {**TESTS, "test-mean": (TESTS["test-mean"][0], 2)})
    grade.grade_class(course, workers=2, time_limit=60, force=True)
    assert {run["replay"] for run in runs(course).values()} == {""}


def test_tampered_or_truncated_kept_answers_grade_in_full_without_a_forged_score(graded, tmp_path):
    course = copy_of(graded, tmp_path, "course")
    assignment = Assignment(course, TINY)
    bob, cy = (assignment.autograded(student) / KEPT_ANSWERS for student in ("bob", "cy"))
    # bob's mean made right, and the run record made to match the forged file
    with zipfile.ZipFile(bob) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    forged = {name: data.replace(b'"v": "2.4"', b'"v": "2.5"') for name, data in members.items()}
    assert forged != members
    with zipfile.ZipFile(bob, "w") as archive:
        for name, data in forged.items():
            archive.writestr(name, data)
    record = course.run_record(assignment, "bob")
    run = json.loads(record.read_text())
    run["result"]["kept"]["answers"] = hashlib.sha256(bob.read_bytes()).hexdigest()
    record.write_text(json.dumps(run))
    cy.write_bytes(cy.read_bytes()[:100])  # truncated
    write_tests(course.root, {**TESTS, "test-mean": (TESTS["test-mean"][0], 2)})
    table = grade.grade_class(course, workers=2, time_limit=60)
    found = runs(course)
    assert found["ada"]["replay"] == REPLAYED
    assert "damaged" in found["bob"]["replay"] and "not the ones this run recorded" in found["cy"]["replay"]
    scores = table.set_index(["student_id", "grade_id"])["score"]
    assert scores["bob", "test-mean"] == 0 and scores["cy", "test-mean"] == 2 and scores["ada", "test-mean"] == 2


def test_a_notebook_whose_tests_did_not_change_keeps_its_graded_copy_its_page_and_its_hand_grade(graded, tmp_path):
    replayed = copy_of(graded, tmp_path, "replayed")
    with replayed.gradebook() as gradebook:  # formgrader, then make feedback
        given = gradebook.find_grade(WRITTEN, NB2.removesuffix(".ipynb"), TINY, "ada")
        given.manual_score, given.needs_manual_grade = 1.5, False
        gradebook.find_comment(WRITTEN, NB2.removesuffix(".ipynb"), TINY, "ada").manual_comment = "Say more."
        gradebook.db.commit()
    refresh(replayed)
    regraded = copy_of(replayed, tmp_path, "regraded")
    assignment = Assignment(replayed, TINY)
    files = {path: path.stat().st_mtime_ns for folder in (assignment.autograded("ada"), assignment.feedback("ada"))
             for path in folder.glob("*.*") if path.suffix in (".ipynb", ".html")}
    for course in (replayed, regraded):
        write_tests(course.root, **CHANGES["a changed threshold"])
    table = grade.grade_class(replayed, workers=2, time_limit=60)
    assert {run["replay"] for run in runs(replayed).values()} == {REPLAYED}
    rewritten = {path.name for path, written in files.items() if path.stat().st_mtime_ns != written}
    assert rewritten == {NB, NB.replace(".ipynb", ".html")}
    row = table.set_index(["student_id", "grade_id"]).loc[("ada", WRITTEN)]
    assert (row.score, row.status) == (1.5, "graded by hand")
    assert "Say more." in (assignment.feedback("ada") / NB2.replace(".ipynb", ".html")).read_text()
    grade.grade_class(regraded, workers=2, time_limit=60, force=True)
    assert outputs(replayed) == outputs(regraded)


def test_each_student_s_pages_are_written_as_their_result_is_saved_and_the_refresh_keeps_them(tmp_path, monkeypatch):
    """The class's pages are not all written on one core after the last student: when the last
    result is saved the others' pages are there, as the refresh that ends the run writes them (it
    keeps them), in a first grading and in one judged again from kept answers."""
    course_root = tmp_path / "course"
    written_when_saved = []  # at each result saved: the pages there, and when each was written
    original = grade.record

    def pages():
        return {str(path.relative_to(course_root / "feedback")): path.stat().st_mtime_ns
                for path in (course_root / "feedback").glob(f"*/{TINY}/*.html")}

    def record(assignment, result, *args):
        written_when_saved.append(pages())
        return original(assignment, result, *args)

    monkeypatch.setattr(grade, "record", record)
    course = tiny_course(course_root)
    graded = pages()
    before_last = written_when_saved[-1]
    assert len(written_when_saved) == len(WRONG)
    assert len({page.split("/")[0] for page in before_last}) == len(WRONG) - 1 and len(before_last) == 2 * (len(WRONG) - 1)
    assert {page: graded[page] for page in before_last} == before_last, "the refresh wrote them again"

    contents = {page: normalized((course.feedback / page).read_text()) for page in graded}
    (course.root / PAGE_DIGESTS).unlink()
    refresh(course)  # every page written again, by the refresh alone
    assert {page: normalized((course.feedback / page).read_text()) for page in graded} == contents

    graded, written_when_saved[:] = pages(), []
    write_tests(course.root, **CHANGES["a changed threshold"])
    grade.grade_class(course, workers=2, time_limit=60)
    assert {run["replay"] for run in runs(course).values()} == {REPLAYED}
    changed = {page for page, written in written_when_saved[-1].items()
               if written != graded[page] and page.endswith(NB.replace(".ipynb", ".html"))}
    assert len(changed) == len(WRONG) - 1
    assert {page: pages()[page] for page in changed} == {page: written_when_saved[-1][page] for page in changed}

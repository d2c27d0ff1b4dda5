"""Any assignment in source/: the tooling finds each one itself, and a new assignment is
released and graded without any change to the tooling."""

import hashlib
import html
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from penguin_course.course import assignments, notebooks
from penguin_course.preparing import demo, release
from penguin_course.grading import grade
from penguin_course.course.assignments import Assignment, UnknownAssignment
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT

DAY2 = "day2-tiny"  # an assignment added by the tests below
MONITORING = "monitor-training"  # the course's own day 2


def nbgrader_cell(kind: str, source: str, grade_id: str, points: float = 0, cell_type: str = "code"):
    """A cell as nbgrader's Create Assignment toolbar marks it: an answer, or a test worth ``points``."""
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.metadata["nbgrader"] = {"grade": kind == "test", "grade_id": grade_id, "locked": kind == "test",
                                 "points": points, "schema_version": 3, "solution": kind == "answer",
                                 "task": False}
    return cell


def tiny_notebook(cells) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def add_day2(root):
    """A second assignment, as an instructor would add one: two notebooks, each with an answer and a
    test (one of them with a hidden part), and a file they are given."""
    folder = root / "source" / DAY2
    folder.mkdir()
    (folder / "factor.txt").write_text("3\n")
    nbformat.write(tiny_notebook([
        nbformat.v4.new_markdown_cell("# The mean\nWrite `mean(values)`."),
        nbgrader_cell("answer", "### BEGIN SOLUTION\ndef mean(values):\n    return sum(values) / len(values)\n"
                                "### END SOLUTION", "mean-answer"),
        nbgrader_cell("test", "assert mean([1, 2, 3]) == 2\n### BEGIN HIDDEN TESTS\nassert mean([2.5]) == 2.5\n"
                              "### END HIDDEN TESTS", "test-mean", points=2),
    ]), folder / "1-mean.ipynb")
    nbformat.write(tiny_notebook([
        nbformat.v4.new_code_cell("factor = int(open('factor.txt').read())"),
        nbgrader_cell("answer", "### BEGIN SOLUTION\nscaled = [x * factor for x in (1, 2)]\n### END SOLUTION",
                      "scaled-answer"),
        nbgrader_cell("test", "assert list(scaled) == [3, 6]", "test-scaled", points=1),
    ]), folder / "2-scale.ipynb")
    return Assignment(Course(root), DAY2)


def hand_in(root, student, assignment, answers_by_notebook):
    """``student``'s work for ``assignment``: the release filled in with the given answers."""
    folder = root / "submitted" / student / assignment.name
    folder.mkdir(parents=True)
    for name in assignment.notebooks:
        released = notebooks.read(assignment.release / name)
        nbformat.write(notebooks.fill(released, answers_by_notebook.get(name, {})), folder / name)


def test_the_course_s_assignments_are_found_with_their_notebooks_and_given_files():
    found = {a.name: a for a in assignments.find(Course(ROOT))}
    assert {MONITORING, ASSIGNMENT} <= set(found)
    day1, day2 = found[ASSIGNMENT], found[MONITORING]
    assert day1.notebooks == NOTEBOOKS == sorted(NOTEBOOKS) and len(NOTEBOOKS) == 4
    assert day2.notebooks == ["1-monitor-training.ipynb"]
    for assignment in (day1, day2):  # day 2 links day 1's dataset and helpers: one copy for the course
        assert [path.name for path in assignment.given_files] == ["penguin_checks.py", "penguins.csv"]
        assert assignment.helper_modules == ["penguin_checks"]
    assert [path.name for path in day1.hidden_files] == ["hidden_checks.py"]
    assert [path.name for path in day2.hidden_files] == ["hidden_checks.py", "hidden_monitoring.py"]
    assert day2.hidden_modules == ["hidden_checks", "hidden_monitoring"]
    # the proofs of the tests are the instructor's: not given, not hidden, never released
    for assignment in (day1, day2):
        assert {path.name for path in assignment.source.iterdir()} >= set(assignments.PROOF_FILES)
        assert not {path.name for path in assignment.release.iterdir()} & set(assignments.PROOF_FILES)


def test_an_unknown_assignment_is_refused_naming_the_course_s_assignments(tmp_path):
    with pytest.raises(UnknownAssignment, match=f"ASSIGNMENT='day3' is not an assignment.*{ASSIGNMENT}"):
        assignments.select(Course(ROOT), "day3")
    shutil.copytree(ROOT / "source", tmp_path / "source")
    add_day2(tmp_path)
    course = Course(tmp_path)
    names = sorted([DAY2] + [a.name for a in Course(ROOT).assignments])
    assert [a.name for a in assignments.select(course)] == names
    with pytest.raises(UnknownAssignment, match=f"{len(names)} assignments.*ASSIGNMENT=name"):
        assignments.one(course, None, "the archive")
    assert assignments.one(course, DAY2).name == DAY2


def test_make_grade_with_an_unknown_assignment_exits_non_zero_and_writes_nothing(tmp_path):
    (tmp_path / "ada" / ASSIGNMENT).mkdir(parents=True)
    before = sorted(ROOT.rglob("gradebook.db")) + sorted((ROOT / "autograded").rglob("*"))
    command = [sys.executable, "-m", "penguin_course", "grade", "--assignment", "day3",
               "--submitted", str(tmp_path)]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode == 1
    assert "'day3' is not an assignment" in finished.stderr and ASSIGNMENT in finished.stderr
    assert sorted(ROOT.rglob("gradebook.db")) + sorted((ROOT / "autograded").rglob("*")) == before


def test_each_student_is_graded_for_the_assignments_they_handed_in(tmp_path):
    shutil.copytree(ROOT / "source", tmp_path / "source")
    day2 = add_day2(tmp_path)
    course = Course(tmp_path)
    day1 = Assignment(course, ASSIGNMENT)
    for folder in ("ada/" + ASSIGNMENT, "ada/" + DAY2, "bob/" + DAY2, "cy/notebooks"):
        (tmp_path / "submitted" / folder).mkdir(parents=True)
    units = assignments.units(course, tmp_path / "submitted", [day2, day1])
    # cy handed in a folder of no assignment: graded for each, to be reported, not passed over
    assert [(a.name, s) for a, s in units] == [(DAY2, "ada"), (DAY2, "bob"), (DAY2, "cy"),
                                                (ASSIGNMENT, "ada"), (ASSIGNMENT, "cy")]


def file_digests(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_second_assignment_is_released_and_graded_with_no_change_to_the_tooling(tmp_path):
    root = tmp_path
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    day2 = add_day2(root)
    course = Course(root)

    released = release.generate_all(course)
    assert released == [root / "release" / a.name for a in course.assignments] and day2 in course.assignments
    assert sorted(p.name for p in day2.release.iterdir()) == ["1-mean.ipynb", "2-scale.ipynb", "course_tools.pyz",
                                                              "factor.txt"]
    released_text = "".join((day2.release / name).read_text() for name in day2.notebooks)
    assert "BEGIN SOLUTION" not in released_text and "sum(values) / len(values)" not in released_text
    assert "mean([2.5])" not in released_text and "mean([1, 2, 3]) == 2" in released_text

    solutions = {name: notebooks.solutions(day2.source / name) for name in day2.notebooks}
    hand_in(root, "ada", day2, solutions)  # right answers
    hand_in(root, "bob", day2, {"1-mean.ipynb": {"mean-answer": "def mean(values):\n    return values[0]"},
                                "2-scale.ipynb": solutions["2-scale.ipynb"]})  # passes the visible test only
    shutil.copytree(DEMO_SUBMISSIONS / demo.UNTOUCHED / ASSIGNMENT, root / "submitted" / "ada" / ASSIGNMENT)

    table = grade.grade_class(course, workers=2, time_limit=120)  # every assignment
    scores = table.groupby(["assignment", "student_id"])["score"].sum().to_dict()
    assert scores == {(DAY2, "ada"): 3.0, (DAY2, "bob"): 1.0, (ASSIGNMENT, "ada"): 0.0}
    bob = table[(table["student_id"] == "bob")].set_index("grade_id")
    assert bob.loc["test-mean", "status"] == "failed" and bob.loc["test-scaled", "status"] == "passed"

    # every output, for both assignments
    by_test = pd.read_csv(root / "grades-by-test.csv")
    assert list(by_test.columns) == grade.BY_TEST_COLUMNS
    assert set(by_test["assignment"]) == {DAY2, ASSIGNMENT}
    exported = pd.read_csv(root / "grades.csv")
    assert set(zip(exported["assignment"], exported["student_id"])) >= {(DAY2, "ada"), (DAY2, "bob"),
                                                                         (ASSIGNMENT, "ada")}
    # bob handed in no day 1, nobody the course's day 2 (released above): missing, not a 0 that reads
    # as work graded 0
    status = exported.set_index(["assignment", "student_id"])
    assert status.loc[(ASSIGNMENT, "bob"), "status"] == "missing" and status.loc[(DAY2, "bob"), "status"] == "submitted"
    assert (status.loc[MONITORING, "status"] == "missing").all()
    assert status.loc[status["status"] == "missing", ["raw_score", "score"]].isna().all().all()
    assert status.loc[(ASSIGNMENT, "ada"), "score"] == 0.0  # ada's day 1, handed in untouched: a real 0
    for student in ("ada", "bob"):
        for name in day2.notebooks:
            page = html.unescape((day2.feedback(student) / name.replace(".ipynb", ".html")).read_text())
            assert "mean([2.5])" not in page  # no hidden test in the feedback
    report = (root / "report.html").read_text()
    assert f"<h2>{DAY2}</h2>" in report and f"<h2>{ASSIGNMENT}</h2>" in report
    assert f"<h2>{ASSIGNMENT}</h2><p>1 student handed nothing in for it (missing in grades.csv; blank in the " \
           "exports): bob.</p>" in report
    printed = grade.summary(table, course)
    assert printed.loc["bob", f"{DAY2}/1-mean"] == "0/2" and printed.loc["ada", f"{DAY2}/2-scale"] == "1/1"

    # ASSIGNMENT=day2-tiny grades that assignment only: ada's day-1 work is left as it was
    day1_before = file_digests(root / "autograded" / "ada" / ASSIGNMENT)
    shutil.rmtree(root / "submitted" / "bob" / DAY2)
    hand_in(root, "bob", day2, solutions)
    table = grade.grade_class(course, workers=2, time_limit=120, assignment=DAY2)
    assert table[(table["assignment"] == DAY2) & (table["student_id"] == "bob")]["score"].sum() == 3.0
    assert file_digests(root / "autograded" / "ada" / ASSIGNMENT) == day1_before

    # the demo class covers the new assignment too (no known mistakes there: no partly-wrong student)
    built = demo.build(course, root / "demo")
    assert sorted(p.name for p in (built / demo.COMPLETE).iterdir()) == [a.name for a in course.assignments]
    assert not (built / demo.PARTLY_WRONG_STUDENT / DAY2).exists()
    assert (built / demo.PARTLY_WRONG_STUDENT / ASSIGNMENT).is_dir()


def scaffold_command(root, name):
    return subprocess.run([sys.executable, "-m", "penguin_course", "new-assignment", "--name", name], cwd=root,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_make_new_assignment_writes_one_ready_to_test_and_its_demo_class_grades_as_expected(tmp_path):
    from penguin_course.preparing import known_answers

    root = tmp_path / "course"
    for folder in ("source", "release", "demo", "penguin_course"):
        shutil.copytree(ROOT / folder, root / folder, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nbgrader_config.py", "environment.yml"):
        shutil.copy2(ROOT / name, root / name)
    made = scaffold_command(root, "scratch")
    assert made.returncode == 0, made.stdout + made.stderr
    course = Course(root)
    scratch = course.assignment("scratch")
    assert scratch in course.assignments and scratch.notebooks == ["1-scratch.ipynb"]
    # the course's one copy of its data and helpers, linked; the release gets files, and no proof
    for name in ("penguins.csv", "penguin_checks.py", "hidden_checks.py"):
        assert (scratch.source / name).is_symlink()
        assert (scratch.source / name).resolve() == (root / "source" / ASSIGNMENT / name).resolve()
    shipped = sorted(path.name for path in scratch.release.iterdir())
    assert shipped == ["1-scratch.ipynb", "course_tools.pyz", "penguin_checks.py", "penguins.csv"]
    assert not any(path.is_symlink() for path in scratch.release.iterdir())
    known = known_answers.load(scratch)
    tests = {(test.notebook, test.grade_id) for test in notebooks.autograded_tests(scratch.source, scratch.notebooks)}
    assert set(known.wrong_answers) == tests and len(known.corpus) == 2 and known.partly_wrong
    assert {test.hidden for test in notebooks.autograded_tests(scratch.source, scratch.notebooks)} == {True, False}
    assert (root / "demo" / "submitted" / demo.PARTLY_WRONG_STUDENT / "scratch").is_dir()

    # run the wrong way, it writes nothing
    again = scaffold_command(root, "scratch")
    assert again.returncode == 1 and "exists" in again.stderr
    bad = scaffold_command(root, "Day 3")
    assert bad.returncode == 1 and "NAME='Day 3'" in bad.stderr and not (root / "source" / "Day 3").exists()

    # its demo class grades as its proofs say
    table = grade.demo(course, assignment="scratch", workers=2)
    auto = table[table["grade_id"].str.startswith("test-")]
    failed = auto[auto["score"] < auto["max_score"]].groupby("student_id")["grade_id"].apply(set).to_dict()
    assert failed == {demo.PARTLY_WRONG_STUDENT: {"test-n-penguins"},
                      demo.UNTOUCHED: {"test-n-penguins-type", "test-n-penguins"}}
    assert (auto[auto["student_id"] == demo.COMPLETE]["score"] == 1).all()
    # graded alone in a new gradebook: the other assignments, which nobody was graded for, are in no row
    assert set(pd.read_csv(root / "grades.csv")["assignment"]) == {"scratch"}

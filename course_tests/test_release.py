"""release/ is what nbgrader makes from source/ today, and gives nothing away."""

import ast
import filecmp
import re
import zipfile

import pytest

from penguin_course.course import notebooks
from penguin_course.preparing import release
from penguin_course.students import student_cli
from penguin_course.course.assignments import PROOF_FILES, Assignment
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, NOTEBOOKS, RELEASE, ROOT, SOURCE


def significant_lines(text: str) -> list[str]:
    """Lines of solution or hidden-test code worth looking for: not blank, comments or imports."""
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if len(line) > 12 and not line.startswith(("#", "import ", "from "))]


def notebook_text(path) -> str:
    return "\n".join(cell.source for cell in notebooks.read(path).cells)


def public_text(assignment, name: str) -> str:
    """The source notebook's text outside its solution and hidden-test regions."""
    text = "\n".join(cell.source for cell in notebooks.read(assignment.source / name).cells
                     if not notebooks.is_solution(cell))
    return re.sub(r"### BEGIN (HIDDEN TESTS|SOLUTION)\n.*?### END \1", "", text, flags=re.S)


def leaked(secret: str, assignment, name: str, released: str | None = None) -> list[str]:
    """Lines of ``secret`` found in the released notebook that students may not see."""
    released = notebook_text(assignment.release / name) if released is None else released
    public = public_text(assignment, name)
    return [line for line in significant_lines(secret) if line in released and line not in public]


def hidden_tests(assignment, name: str) -> list[str]:
    regions = []
    for cell in notebooks.read(assignment.source / name).cells:
        regions += re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)
    return regions


ASSIGNMENTS = Course(ROOT).assignments
NOTEBOOKS_OF_ALL = [pytest.param(assignment, name, id=f"{assignment.name}/{name}")
                    for assignment in ASSIGNMENTS for name in assignment.notebooks]
EVERY_ASSIGNMENT = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda assignment: assignment.name)


@EVERY_ASSIGNMENT
def test_release_is_generated_from_the_current_source(course_copy, assignment):
    fresh = release.generate(Assignment(Course(course_copy), assignment.name))
    comparison = filecmp.dircmp(fresh, assignment.release)
    assert not comparison.left_only and not comparison.right_only, "files differ: run `make release`"
    _, mismatch, errors = filecmp.cmpfiles(fresh, assignment.release, comparison.common_files, shallow=False)
    assert not mismatch and not errors, f"{mismatch} are stale: run `make release` and commit release/"


def test_a_stale_release_is_detected(course_copy):
    notebook = course_copy / "source" / ASSIGNMENT / NOTEBOOKS[0]
    notebook.write_text(notebook.read_text().replace("Inspect the dataset", "Look at the dataset"))
    fresh = release.generate(Assignment(Course(course_copy), ASSIGNMENT))
    assert not filecmp.cmp(fresh / NOTEBOOKS[0], RELEASE / NOTEBOOKS[0], shallow=False)


@pytest.mark.parametrize("assignment, name", NOTEBOOKS_OF_ALL)
def test_release_has_no_solutions(assignment, name):
    assert "BEGIN SOLUTION" not in notebook_text(assignment.release / name)
    for grade_id, answer in notebooks.solutions(assignment.source / name).items():
        assert not leaked(answer, assignment, name), f"{name}: the solution of {grade_id} leaks"


@pytest.mark.parametrize("assignment, name", NOTEBOOKS_OF_ALL)
def test_release_has_no_hidden_tests(assignment, name):
    assert "BEGIN HIDDEN TESTS" not in notebook_text(assignment.release / name)
    for region in hidden_tests(assignment, name):
        assert not leaked(region, assignment, name), f"{name}: a hidden test leaks"


@pytest.mark.parametrize("assignment, name", NOTEBOOKS_OF_ALL)
def test_a_leak_would_be_found(assignment, name):
    source = notebook_text(assignment.source / name)
    assert any(leaked(answer, assignment, name, source) for answer in notebooks.solutions(assignment.source / name).values())
    assert any(leaked(region, assignment, name, source) for region in hidden_tests(assignment, name))


@EVERY_ASSIGNMENT
def test_release_ships_the_files_the_notebooks_read_and_nothing_of_the_instructor_s(assignment):
    shipped = {path.name for path in assignment.release.iterdir()}
    assert {"penguins.csv", "penguin_checks.py"} <= shipped
    assert not [path for path in assignment.release.iterdir() if path.is_symlink()], "files, not links to the course"
    assert not list(assignment.release.glob("*.keras")), "a saved model must never ship with the release"
    assert not list(assignment.release.glob("hidden_*")), "the hidden tests' files must never be released"
    assert not shipped & set(PROOF_FILES), "the wrong and sound answers are the instructor's"


# What the hidden tests check, which nothing handed out may state: the lesson network's parameter
# count (notebooks 2 and 3) and what one more hidden neuron adds (notebook 2).
STATED = {r"(?<![\w.])83(?![\w.])": "the parameters of the lesson's network",
          r"(?<![\w.])8 (more )?param": "the parameters one more hidden neuron adds"}
# Calls that would build an answer: the lesson's data preparation and split, or its layers.
BUILDERS = {"train_test_split", "get_dummies", "dropna", "count_params"}
LESSON_UNITS = {10, 3}  # Dense(10) and Dense(3): the lesson's hidden and output layers


def gives_away(text: str) -> list[str]:
    """What Python code handed to students builds or states of the answers."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            units = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if name in BUILDERS or (name == "Dense" and units in LESSON_UNITS):
                found.append(f"calls {name}" + (f"({units})" if name == "Dense" else ""))
    found += [f"states {what}" for pattern, what in STATED.items() if re.search(pattern, text)]
    return sorted(set(found))


def python_handed_out() -> dict[str, str]:
    """Every Python file students get: the release's own, and those in its course_tools.pyz."""
    code = {path.name: path.read_text() for path in sorted(RELEASE.glob("*.py"))}
    with zipfile.ZipFile(RELEASE / student_cli.TOOLS) as tools:
        code.update({name: tools.read(name).decode() for name in tools.namelist() if name.endswith(".py")})
    return code


def test_nothing_students_receive_builds_or_states_an_answer():
    handed_out = python_handed_out()
    assert "penguin_checks.py" in handed_out and "penguin_course/students/validate.py" in handed_out
    assert {name: gives_away(text) for name, text in handed_out.items()} == {name: [] for name in handed_out}
    for name in NOTEBOOKS:
        stated = [what for pattern, what in STATED.items() if re.search(pattern, notebook_text(RELEASE / name))]
        assert not stated, f"{name} states {stated}"


def test_the_reference_answers_are_the_hidden_tests_own_and_would_be_found():
    hidden = Assignment(Course(SOURCE.parent.parent), ASSIGNMENT).hidden_files
    assert [path.name for path in hidden] == ["hidden_checks.py"]
    assert not list(RELEASE.glob("hidden_*")), "the hidden tests' files must never be released"
    # the check above can fail: the reference module builds the split and the network
    assert {"calls train_test_split", "calls get_dummies"} <= set(gives_away(hidden[0].read_text()))
    network = '"""The network, with all 83 parameters."""\nkeras.layers.Dense(10)\nkeras.layers.Dense(3)\n'
    assert gives_away(network) == ["calls Dense(10)", "calls Dense(3)", "states the parameters of the lesson's network"]

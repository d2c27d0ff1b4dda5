"""release/ is what nbgrader makes from source/ today, and gives nothing away."""

import ast
import filecmp
import re

import pytest

from penguin_course import notebooks, release
from penguin_course.assignments import Assignment
from penguin_course.paths import ASSIGNMENT, NOTEBOOKS, RELEASE, SOURCE


def significant_lines(text: str) -> list[str]:
    """Lines of solution or hidden-test code worth looking for: not blank, comments or imports."""
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if len(line) > 12 and not line.startswith(("#", "import ", "from "))]


def notebook_text(path) -> str:
    return "\n".join(cell.source for cell in notebooks.read(path).cells)


def public_text(name: str) -> str:
    """The source notebook's text outside its solution and hidden-test regions."""
    text = "\n".join(cell.source for cell in notebooks.read(SOURCE / name).cells if not notebooks.is_solution(cell))
    return re.sub(r"### BEGIN (HIDDEN TESTS|SOLUTION)\n.*?### END \1", "", text, flags=re.S)


def leaked(secret: str, name: str, released: str | None = None) -> list[str]:
    """Lines of ``secret`` found in the released notebook that students may not see."""
    released = notebook_text(RELEASE / name) if released is None else released
    public = public_text(name)
    return [line for line in significant_lines(secret) if line in released and line not in public]


def hidden_tests(name: str) -> list[str]:
    regions = []
    for cell in notebooks.read(SOURCE / name).cells:
        regions += re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)
    return regions


def test_release_is_generated_from_the_current_source(course_copy):
    fresh = release.generate(Assignment(course_copy, ASSIGNMENT))
    comparison = filecmp.dircmp(fresh, RELEASE)
    assert not comparison.left_only and not comparison.right_only, "files differ: run `make release`"
    _, mismatch, errors = filecmp.cmpfiles(fresh, RELEASE, comparison.common_files, shallow=False)
    assert not mismatch and not errors, f"{mismatch} are stale: run `make release` and commit release/"


def test_a_stale_release_is_detected(course_copy):
    notebook = course_copy / "source" / ASSIGNMENT / NOTEBOOKS[0]
    notebook.write_text(notebook.read_text().replace("Inspect the dataset", "Look at the dataset"))
    fresh = release.generate(Assignment(course_copy, ASSIGNMENT))
    assert not filecmp.cmp(fresh / NOTEBOOKS[0], RELEASE / NOTEBOOKS[0], shallow=False)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_release_has_no_solutions(name):
    assert "BEGIN SOLUTION" not in notebook_text(RELEASE / name)
    for grade_id, answer in notebooks.solutions(SOURCE / name).items():
        assert not leaked(answer, name), f"{name}: the solution of {grade_id} leaks"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_release_has_no_hidden_tests(name):
    assert "BEGIN HIDDEN TESTS" not in notebook_text(RELEASE / name)
    for region in hidden_tests(name):
        assert not leaked(region, name), f"{name}: a hidden test leaks"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_leak_would_be_found(name):
    source = notebook_text(SOURCE / name)
    assert any(leaked(answer, name, source) for answer in notebooks.solutions(SOURCE / name).values())
    assert any(leaked(region, name, source) for region in hidden_tests(name))


def test_release_ships_the_files_the_notebooks_read():
    assert (RELEASE / "penguins.csv").is_file() and (RELEASE / "penguin_checks.py").is_file()
    assert not list(RELEASE.glob("*.keras")), "a saved model must never ship with the release"


# What the hidden tests check, which nothing handed out may state: the lesson network's parameter
# count (notebooks 2 and 3) and what one more hidden neuron adds (notebook 2).
ANSWERS = {83: "the parameters of the lesson's network", 8: "the parameters one more hidden neuron adds"}
# Calls that would build an answer: the lesson's network, its data preparation or its split.
BUILDERS = {"train_test_split", "Dense", "Input", "Sequential", "Model", "get_dummies", "dropna", "count_params",
            "read_csv", "load_dataset"}


def gives_away(path) -> list[str]:
    """What a Python file handed to students builds or states of the answers."""
    text = path.read_text()
    tree = ast.parse(text)
    called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
              for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = [f"calls {name}" for name in sorted(called & BUILDERS)]
    found += [f"states {number} ({what})" for number, what in ANSWERS.items()
              if re.search(rf"(?<![\w.]){number}(?![\w.])", text)]
    return found


def test_nothing_students_receive_builds_or_states_an_answer():
    handed_out = sorted(RELEASE.glob("*.py"))
    assert handed_out, "the release hands out the visible tests' helpers"
    assert {path.name: gives_away(path) for path in handed_out} == {path.name: [] for path in handed_out}
    for name in NOTEBOOKS:
        stated = [number for number in ANSWERS if re.search(rf"(?<![\w.]){number}(?![\w.])", notebook_text(RELEASE / name))]
        assert not stated, f"{name} states {[ANSWERS[number] for number in stated]}"


def test_the_reference_answers_are_the_hidden_tests_own_and_would_be_found():
    hidden = Assignment(SOURCE.parent.parent, ASSIGNMENT).hidden_files
    assert [path.name for path in hidden] == ["hidden_checks.py"]
    assert not list(RELEASE.glob("hidden_*")), "the hidden tests' files must never be released"
    # the check above can fail: the reference module builds the split and the network
    assert {"calls train_test_split", "calls Dense"} <= set(gives_away(hidden[0]))

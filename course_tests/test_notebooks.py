"""The source notebooks keep the promises the exercises make to students and graders."""

import ast
import re

import pytest

from penguin_course.course import notebooks
from penguin_course.course.paths import NOTEBOOKS, SOURCE
from penguin_course.preparing.wrong_answers import WRONG_ANSWERS

TESTS = notebooks.autograded_tests(SOURCE, NOTEBOOKS)

# The names each notebook's instructions promise the tests will read.
CONTRACT = {
    "1-inspect-dataset.ipynb": ["penguins", "feature_names", "classes_are_strings", "species_names", "n_samples"],
    "2-count-parameters.ipynb": ["model", "n_params", "count_parameters", "extra_params_per_neuron"],
    "3-test-performance.ipynb": ["penguins_filtered", "penguin_features", "target", "X_train", "X_test",
                                 "y_train", "y_test", "model", "history", "predicted_species", "confusion_df",
                                 "test_accuracy", "my_first_model.keras"],
    "4-improve-results.ipynb": ["improved_model", "predict_species"],
}
MANUALLY_GRADED = {
    "2-count-parameters.ipynb": ["answer-hidden-size"],
    "3-test-performance.ipynb": ["answer-expected-performance"],
    "4-improve-results.ipynb": ["answer-improvements"],
}


def cells(name):
    return notebooks.read(SOURCE / name).cells


def source_of(test):
    return next(cell.source for cell in cells(test.notebook) if notebooks.grade_id(cell) == test.grade_id)


def test_the_assignment_has_its_four_notebooks():
    assert sorted(path.name for path in SOURCE.glob("*.ipynb")) == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_instructions_name_every_answer(name):
    code_spans = re.findall(r"`([^`]+)`", cells(name)[0].source)
    named = {word for span in code_spans for word in re.findall(r"[\w.]+", span)}
    missing = [answer for answer in CONTRACT[name] if answer not in named]
    assert not missing, f"{name}: the instructions do not name {missing}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_grade_ids_are_unique(name):
    ids = [notebooks.grade_id(cell) for cell in cells(name) if notebooks.grade_id(cell)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_has_visible_and_hidden_tests(name):
    tests = [test for test in TESTS if test.notebook == name]
    assert any(test.hidden for test in tests) and any(not test.hidden for test in tests)
    assert all(test.points > 0 for test in tests)


@pytest.mark.parametrize("name", MANUALLY_GRADED)
def test_written_answers_are_graded_by_hand(name):
    manual = [notebooks.grade_id(cell) for cell in cells(name)
              if cell.cell_type == "markdown" and notebooks.nbgrader_meta(cell).get("grade")]
    assert manual == MANUALLY_GRADED[name]


@pytest.mark.parametrize("test", TESTS, ids=lambda test: test.grade_id)
def test_a_test_cell_never_ends_in_an_expression(test):
    # nbgrader reads a number shown by the last line of a test cell as partial credit.
    # Calls of assert_* helpers return None, which shows nothing.
    last = ast.parse(source_of(test)).body[-1]
    if isinstance(last, ast.Expr):
        assert isinstance(last.value, ast.Call) and ast.unparse(last.value.func).split(".")[-1].startswith("assert")


@pytest.mark.parametrize("test", TESTS, ids=lambda test: test.grade_id)
def test_a_test_cell_leaves_the_students_names_alone(test):
    # Test cells run in the student's namespace: a name they bind could change what the
    # student's later cells compute, so their own names start with an underscore.
    tree = ast.parse(source_of(test))
    local = {name.id for node in ast.walk(tree) if isinstance(node, ast.comprehension)
             for name in ast.walk(node.target) if isinstance(name, ast.Name)}  # comprehensions have their own scope
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in local:
            assert node.id.startswith("_"), f"{test.grade_id} binds {node.id}"


def test_every_test_has_a_known_wrong_answer():
    assert {(test.notebook, test.grade_id) for test in TESTS} == set(WRONG_ANSWERS)


@pytest.mark.parametrize("notebook, target", WRONG_ANSWERS, ids=[f"{n[:1]}:{t}" for n, t in WRONG_ANSWERS])
def test_wrong_answers_replace_a_solution_and_name_tests_of_their_notebook(notebook, target):
    wrong = WRONG_ANSWERS[notebook, target]
    assert wrong.notebook == notebook
    assert wrong.cell in notebooks.solutions(SOURCE / wrong.notebook)
    tests_of_notebook = {test.grade_id for test in TESTS if test.notebook == wrong.notebook}
    assert target in wrong.fails <= tests_of_notebook

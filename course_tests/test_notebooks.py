"""The source notebooks of every assignment keep the promises the exercises make to students and
graders, and every test has a known wrong answer (the assignment's wrong_answers.py)."""

import ast
import re

import pytest

from penguin_course.course import notebooks
from penguin_course.course.directory import Course
from penguin_course.course.paths import NOTEBOOKS, ROOT
from penguin_course.preparing import known_answers

ASSIGNMENTS = Course(ROOT).assignments
NOTEBOOKS_OF_ALL = [(assignment, name) for assignment in ASSIGNMENTS for name in assignment.notebooks]
# every test of every assignment, with its assignment
TESTS = [(assignment, test) for assignment in ASSIGNMENTS
         for test in notebooks.autograded_tests(assignment.source, assignment.notebooks)]
WRONG = [(assignment, key, answer) for assignment in ASSIGNMENTS
         for key, answer in known_answers.load(assignment).wrong_answers.items()]

# The names each notebook's instructions promise the tests will read (its content: by assignment).
CONTRACT = {
    ("penguin-classification", "1-inspect-dataset.ipynb"): ["penguins", "feature_names", "classes_are_strings",
                                                            "species_names", "n_samples"],
    ("penguin-classification", "2-count-parameters.ipynb"): ["model", "n_params", "count_parameters",
                                                             "extra_params_per_neuron"],
    ("penguin-classification", "3-test-performance.ipynb"): [
        "penguins_filtered", "penguin_features", "target", "X_train", "X_test", "y_train", "y_test", "model",
        "history", "predicted_species", "confusion_df", "test_accuracy", "my_first_model.keras"],
    ("penguin-classification", "4-improve-results.ipynb"): ["improved_model", "predict_species"],
    ("monitor-training", "1-monitor-training.ipynb"): ["X_train_part", "X_val", "y_train_part", "y_val", "model",
                                                       "history", "best_epoch", "dropout_model", "dropout_history"],
}
MANUALLY_GRADED = {
    ("penguin-classification", "2-count-parameters.ipynb"): ["answer-hidden-size"],
    ("penguin-classification", "3-test-performance.ipynb"): ["answer-expected-performance"],
    ("penguin-classification", "4-improve-results.ipynb"): ["answer-improvements"],
    ("monitor-training", "1-monitor-training.ipynb"): ["answer-overfitting"],
}


def cells(assignment, name):
    return notebooks.read(assignment.source / name).cells


def source_of(assignment, test):
    return next(cell.source for cell in cells(assignment, test.notebook) if notebooks.grade_id(cell) == test.grade_id)


def notebook_id(case):
    return f"{case[0].name}/{case[1]}"


def case_id(case):
    return f"{case[0].name}/{case[1].notebook[:1]}:{case[1].grade_id}"


def test_source_holds_both_days():
    assert {"monitor-training", "penguin-classification"} <= {assignment.name for assignment in ASSIGNMENTS}


def test_day_1_has_its_four_notebooks():
    assert NOTEBOOKS == ["1-inspect-dataset.ipynb", "2-count-parameters.ipynb", "3-test-performance.ipynb",
                         "4-improve-results.ipynb"]


def answers_tests_read(assignment, name) -> set[str]:
    """The names the solution regions bind and a test cell reads: what the student must name as told."""
    bound = set()
    for region in [region for cell in cells(assignment, name) if notebooks.is_solution(cell) and cell.cell_type == "code"
                   for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)]:
        for statement in ast.parse(region).body:  # the notebook's names, not a function's locals
            if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
                bound.add(statement.name)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                bound |= {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}
    read = set()
    for cell in cells(assignment, name):
        if notebooks.is_autograded_test(cell):
            tree = ast.parse(cell.source)
            own = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
            own |= {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
            read |= {node.id for node in ast.walk(tree)
                     if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in own}
    return bound & read


@pytest.mark.parametrize("case", NOTEBOOKS_OF_ALL, ids=notebook_id)
def test_instructions_name_every_answer(case):
    # the names the tests read of the student's answers, and those CONTRACT lists for the course's days
    assignment, name = case
    promised = answers_tests_read(assignment, name) | set(CONTRACT.get((assignment.name, name), []))
    assert promised, f"{name}: its tests read no answer of the student's"
    code_spans = re.findall(r"`([^`]+)`", cells(assignment, name)[0].source)
    named = {word for span in code_spans for word in re.findall(r"[\w.]+", span)}
    missing = sorted(answer for answer in promised if answer not in named)
    assert not missing, f"{name}: the instructions do not name {missing}"


@pytest.mark.parametrize("case", NOTEBOOKS_OF_ALL, ids=notebook_id)
def test_grade_ids_are_unique(case):
    ids = [notebooks.grade_id(cell) for cell in cells(*case) if notebooks.grade_id(cell)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", NOTEBOOKS_OF_ALL, ids=notebook_id)
def test_each_notebook_has_visible_and_hidden_tests(case):
    assignment, name = case
    tests = [test for owner, test in TESTS if owner == assignment and test.notebook == name]
    assert any(test.hidden for test in tests) and any(not test.hidden for test in tests)
    assert all(test.points > 0 for test in tests)


@pytest.mark.parametrize("case", NOTEBOOKS_OF_ALL, ids=notebook_id)
def test_written_answers_are_graded_by_hand(case):
    assignment, name = case
    manual = [notebooks.grade_id(cell) for cell in cells(assignment, name)
              if cell.cell_type == "markdown" and notebooks.nbgrader_meta(cell).get("grade")]
    assert all(notebooks.is_solution(cell) for cell in cells(assignment, name)
               if notebooks.grade_id(cell) in manual), "a written answer is the student's to write"
    if (assignment.name, name) in MANUALLY_GRADED:  # the course's days: the written answers they ask for
        assert manual == MANUALLY_GRADED[assignment.name, name]


@pytest.mark.parametrize("case", TESTS, ids=case_id)
def test_a_test_cell_never_ends_in_an_expression(case):
    # nbgrader reads a number shown by the last line of a test cell as partial credit.
    # Calls of assert_* helpers return None, which shows nothing.
    last = ast.parse(source_of(*case)).body[-1]
    if isinstance(last, ast.Expr):
        assert isinstance(last.value, ast.Call) and ast.unparse(last.value.func).split(".")[-1].startswith("assert")


@pytest.mark.parametrize("case", TESTS, ids=case_id)
def test_a_test_cell_leaves_the_students_names_alone(case):
    # Test cells run in the student's namespace: a name they bind could change what the
    # student's later cells compute, so their own names start with an underscore.
    test = case[1]
    tree = ast.parse(source_of(*case))
    local = {name.id for node in ast.walk(tree) if isinstance(node, ast.comprehension)
             for name in ast.walk(node.target) if isinstance(name, ast.Name)}  # comprehensions have their own scope
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in local:
            assert node.id.startswith("_"), f"{test.grade_id} binds {node.id}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda assignment: assignment.name)
def test_every_test_has_a_known_wrong_answer(assignment):
    tests = {(test.notebook, test.grade_id) for owner, test in TESTS if owner == assignment}
    assert tests == set(known_answers.load(assignment).wrong_answers)


@pytest.mark.parametrize("case", WRONG, ids=lambda case: f"{case[0].name}/{case[1][0][:1]}:{case[1][1]}")
def test_wrong_answers_replace_a_solution_and_name_tests_of_their_notebook(case):
    assignment, (notebook, target), wrong = case
    assert wrong.notebook == notebook
    assert wrong.cell in notebooks.solutions(assignment.source / wrong.notebook)
    ast.parse(wrong.answers[wrong.cell])  # it fails its tests as a wrong answer, not as a syntax error
    tests_of_notebook = {test.grade_id for owner, test in TESTS if owner == assignment and test.notebook == notebook}
    assert target in wrong.fails <= tests_of_notebook


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda assignment: assignment.name)
def test_the_demo_s_typical_mistakes_are_known_wrong_answers(assignment):
    known = known_answers.load(assignment)
    assert set(known.partly_wrong) <= set(known.wrong_answers)

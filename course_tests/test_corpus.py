"""Sound work in any common idiom gets full marks, graded as `make grade` grades a class.

The class is ``student_answers.CORPUS``: students who each fill in all four notebooks in one style
(the lesson's episode code, TensorFlow's tutorials, the functional API, NumPy arrays and numbers).
It is graded once, with ``grade.grade_class`` on a copy of the course: in the sandbox, the tests
judged outside the kernel. Every student must get full marks on every autograded test, and their
own cells must run without an error. Beside each student, in the same run, sits a mutated copy in
which text substitutions break the answer (a hidden layer of 12 neurons, another split, unscaled
measurements at prediction...): the tests each substitution breaks must fail, so that full marks
are not a grader that passes everything.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from conftest import class_results, grade_as_a_class, submission
from student_answers import CORPUS, NB1, NB2, NB3, NB4
from penguin_course.course import notebooks
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, NOTEBOOKS, RELEASE
from penguin_course.students.validate import validate

MUTATED = "-mutated"
ACCURACY = {"test-accuracy-threshold", "test-predict-species-generalises"}

# (notebook, old text, new text, tests that must fail): applied to every student's own code
COMMON_MUTATIONS = [
    (NB1, "sns.load_dataset('penguins')", "sns.load_dataset('penguins').head(300)",
     {"test-penguins-content", "test-n-samples"}),
    (NB2, "Dense(10", "Dense(12", {"test-model-layers", "test-model-parameters"}),
    (NB3, "Dense(10", "Dense(12", {"test-model-architecture"}),
    (NB3, "random_state=0", "random_state=1", {"test-split-exact"}),
]
# each student's own way of breaking notebook 4: the measurements left unscaled at prediction,
# or the species named in another order than the model's outputs
OWN_MUTATIONS = {
    "lesson-learner": [(NB4, "scaler.transform(features[X_train.columns])", "features[X_train.columns]", ACCURACY)],
    "tf-tutorial": [(NB4, "improved_model.predict(normalise(features)", "improved_model.predict(features.to_numpy()",
                     ACCURACY)],
    "functional-api": [(NB4, "species = list(y_train.columns)", "species = list(y_train.columns)[::-1]", ACCURACY)],
    "numpy-arrays": [(NB4, "min_max(features[columns])", "features[columns].to_numpy()", ACCURACY)],
}


def mutations(student: str) -> list[tuple[str, str, str, set[str]]]:
    return COMMON_MUTATIONS + OWN_MUTATIONS.get(student, [])


def mutated(student: str) -> dict[str, dict[str, str]]:
    """The student's answers with every substitution of ``mutations`` made in their own code (not in
    the instructor's solutions that fill the cells they left out); an AssertionError, naming it, for
    a substitution that finds nothing to replace, so that no mutation passes vacuously."""
    answers = {notebook: dict(cells) for notebook, cells in CORPUS[student].items()}
    for notebook, old, new, _ in mutations(student):
        cells = answers.get(notebook, {})
        hits = [grade_id for grade_id, source in cells.items() if old in source]
        assert hits, f"the mutation {old!r} -> {new!r} finds nothing to replace in {student}'s {notebook}"
        for grade_id in hits:
            cells[grade_id] = type(cells[grade_id])(cells[grade_id].replace(old, new))
    return answers


def test_every_mutation_applies_to_every_student_and_breaks_every_notebook():
    for student in CORPUS:
        mutated(student)
        unbroken = set(NOTEBOOKS) - {notebook for notebook, *_ in mutations(student)}
        assert not unbroken, f"no mutation breaks {student}'s {sorted(unbroken)}: add one to OWN_MUTATIONS"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The corpus and its mutated copies, graded in one run of ``grade_class`` on a copy of the course."""
    root = tmp_path_factory.mktemp("corpus")
    students = {**CORPUS, **{student + MUTATED: mutated(student) for student in CORPUS}}
    table = grade_as_a_class(root, {student: {name: submission(name, answers.get(name, {})) for name in NOTEBOOKS}
                                    for student, answers in students.items()})
    return root, table


@pytest.mark.slow
def test_every_student_of_the_corpus_gets_full_marks(graded):
    root, table = graded
    failures = [f"{student} {notebook} {grade_id}: {why}" for student in CORPUS
                for (notebook, grade_id), why in class_results(root, table, student).items() if why]
    assert not failures, "sound work that lost points:\n" + "\n".join(failures)


@pytest.mark.slow
def test_the_corpus_runs_without_an_error(graded):
    """The students' notebooks run as they wrote them, in the sandbox: no cell of theirs (or given
    around theirs) raises, e.g. plot_model without Graphviz or a model file that does not load."""
    root, _ = graded
    errors = []
    for student in CORPUS:
        for name in NOTEBOOKS:
            executed = nbformat.read(Assignment(Course(root), ASSIGNMENT).autograded(student) / name, as_version=4)
            for index, cell in enumerate(executed.cells):
                if cell.cell_type != "code" or notebooks.is_autograded_test(cell):
                    continue
                for output in cell.outputs:
                    if output.output_type == "error":
                        where = notebooks.grade_id(cell) or f"cell {index}"
                        errors.append(f"{student} {name} {where}: {output.ename}: {output.evalue}")
    assert not errors, "cells that raised:\n" + "\n".join(errors)


@pytest.mark.slow
def test_a_mutation_that_breaks_a_variant_fails_the_tests_it_breaks(graded):
    root, table = graded
    passed = []
    for student in CORPUS:
        found = class_results(root, table, student + MUTATED)
        for notebook, old, new, must_fail in mutations(student):
            passed += [f"{student}{MUTATED} {notebook} {grade_id} ({old!r} -> {new!r})"
                       for grade_id in sorted(must_fail) if not found[notebook, grade_id]]
    assert not passed, "tests that a broken answer passed:\n" + "\n".join(passed)


@pytest.mark.slow
@pytest.mark.parametrize("student", CORPUS)
def test_validate_passes_every_notebook_of_the_corpus(student, tmp_path):
    """What `make validate` tells a student predicts the grade: the sound work it passes, the grader
    gives full marks (above); here, it passes every notebook of the corpus, answers crossing included."""
    shutil.copytree(RELEASE, tmp_path / ASSIGNMENT)
    failures = []
    for name in NOTEBOOKS:
        nbformat.write(submission(name, CORPUS[student].get(name, {})), tmp_path / ASSIGNMENT / name)
        checks, problem = validate(tmp_path / ASSIGNMENT / name)
        failures += [f"{name} {check.name}: {check.message}" for check in checks if not check.passed]
        failures += [f"{name}: {problem}"] if problem else []
    assert not failures, f"validate fails {student}'s sound work:\n" + "\n".join(failures)

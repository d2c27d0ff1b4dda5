"""Sound work in any common idiom gets full marks, graded as `make grade` grades a class.

Each assignment's class is its ``CORPUS`` (source/<assignment>/sound_answers.py): students who
each fill in every notebook in one style (for day 1: the lesson's episode code, TensorFlow's
tutorials, the functional API, NumPy arrays and numbers). Every assignment's class is graded in
one run, with ``grade.grade_class`` on a copy of the course: in the sandbox, the tests judged
outside the kernel. Every student must get full marks on every autograded test, and their own
cells must run without an error. Beside each student, in the same run, sits a mutated copy in
which text substitutions break the answer (a hidden layer of 12 neurons, another split, unscaled
measurements at prediction, validation on the training data...): the tests each substitution breaks
must fail, so that full marks are not a grader that passes everything.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from conftest import class_results, grade_classes, submission
from penguin_course.course import notebooks
from penguin_course.course.directory import Course
from penguin_course.course.paths import ROOT
from penguin_course.preparing import known_answers
from penguin_course.students.validate import validate

MUTATED = "-mutated"
ASSIGNMENTS = Course(ROOT).assignments
# (assignment, student) of every assignment's corpus, and their answers
STUDENTS = [(assignment, student) for assignment in ASSIGNMENTS for student in known_answers.load(assignment).corpus]
ANSWERS = {(assignment.name, student): answers for assignment in ASSIGNMENTS
           for student, answers in known_answers.load(assignment).corpus.items()}


def student_id(case) -> str:
    return f"{case[0].name}/{case[1]}"


def mutations(assignment, student: str) -> list[tuple[str, str, str, set[str]]]:
    """The substitutions that break the student's answers (the assignment's sound_answers.py)."""
    return known_answers.load(assignment).mutations(student)


def mutated(assignment, student: str) -> dict[str, dict[str, str]]:
    """The student's answers with every substitution of ``mutations`` made in their own code (not in
    the instructor's solutions that fill the cells they left out); an AssertionError, naming it, for
    a substitution that finds nothing to replace, so that no mutation passes vacuously."""
    answers = {notebook: dict(cells) for notebook, cells in ANSWERS[assignment.name, student].items()}
    for notebook, old, new, _ in mutations(assignment, student):
        cells = answers.get(notebook, {})
        hits = [grade_id for grade_id, source in cells.items() if old in source]
        assert hits, f"the mutation {old!r} -> {new!r} finds nothing to replace in {student}'s {notebook}"
        for grade_id in hits:
            cells[grade_id] = type(cells[grade_id])(cells[grade_id].replace(old, new))
    return answers


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda assignment: assignment.name)
def test_every_assignment_has_sound_answers_in_two_idioms_or_more(assignment):
    corpus = known_answers.load(assignment).corpus
    assert len(corpus) >= 2, f"{assignment.name}: write sound answers in its sound_answers.py"
    for name in assignment.notebooks:
        assert sum(name in answers for answers in corpus.values()) >= 2, f"{name}: fewer than two idioms"


@pytest.mark.parametrize("case", STUDENTS, ids=student_id)
def test_every_mutation_applies_to_every_student_and_breaks_every_notebook(case):
    assignment, student = case
    mutated(assignment, student)
    unbroken = set(assignment.notebooks) - {notebook for notebook, *_ in mutations(assignment, student)}
    assert not unbroken, f"no mutation breaks {student}'s {sorted(unbroken)}: add one to {assignment.name}'s OWN_MUTATIONS"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every assignment's corpus and its mutated copies, graded in one run of ``grade_class`` on a
    copy of the course."""
    root = tmp_path_factory.mktemp("corpus")
    classes = {}
    for assignment in ASSIGNMENTS:
        corpus = known_answers.load(assignment).corpus
        students = {**corpus, **{student + MUTATED: mutated(assignment, student) for student in corpus}}
        classes[assignment] = {student: {name: submission(name, answers.get(name, {}), assignment)
                                         for name in assignment.notebooks}
                               for student, answers in students.items()}
    return root, grade_classes(root, classes)


@pytest.mark.slow
def test_every_student_of_the_corpus_gets_full_marks(graded):
    root, table = graded
    failures = [f"{assignment.name}: {student} {notebook} {grade_id}: {why}" for assignment, student in STUDENTS
                for (notebook, grade_id), why in class_results(root, table, student, assignment).items() if why]
    assert not failures, "sound work that lost points:\n" + "\n".join(failures)


@pytest.mark.slow
def test_the_corpus_runs_without_an_error(graded):
    """The students' notebooks run as they wrote them, in the sandbox: no cell of theirs (or given
    around theirs) raises, e.g. plot_model without Graphviz or a model file that does not load."""
    root, _ = graded
    errors = []
    for assignment, student in STUDENTS:
        for name in assignment.notebooks:
            executed = nbformat.read(Course(root).assignment(assignment.name).autograded(student) / name, as_version=4)
            for index, cell in enumerate(executed.cells):
                if cell.cell_type != "code" or notebooks.is_autograded_test(cell):
                    continue
                for output in cell.outputs:
                    if output.output_type == "error":
                        where = notebooks.grade_id(cell) or f"cell {index}"
                        errors.append(f"{assignment.name}: {student} {name} {where}: {output.ename}: {output.evalue}")
    assert not errors, "cells that raised:\n" + "\n".join(errors)


@pytest.mark.slow
def test_a_mutation_that_breaks_a_variant_fails_the_tests_it_breaks(graded):
    root, table = graded
    passed = []
    for assignment, student in STUDENTS:
        found = class_results(root, table, student + MUTATED, assignment)
        for notebook, old, new, must_fail in mutations(assignment, student):
            passed += [f"{assignment.name}: {student}{MUTATED} {notebook} {grade_id} ({old!r} -> {new!r})"
                       for grade_id in sorted(must_fail) if not found[notebook, grade_id]]
    assert not passed, "tests that a broken answer passed:\n" + "\n".join(passed)


@pytest.mark.slow
@pytest.mark.parametrize("case", STUDENTS, ids=student_id)
def test_validate_passes_every_notebook_of_the_corpus(case, tmp_path):
    """What `make validate` tells a student predicts the grade: the sound work it passes, the grader
    gives full marks (above); here, it passes every notebook of the corpus, answers crossing included."""
    assignment, student = case
    folder = tmp_path / assignment.name
    shutil.copytree(assignment.release, folder)
    failures = []
    for name in assignment.notebooks:
        nbformat.write(submission(name, ANSWERS[assignment.name, student].get(name, {}), assignment), folder / name)
        checks, problem = validate(folder / name)
        failures += [f"{name} {check.name}: {check.message}" for check in checks if not check.passed]
        failures += [f"{name}: {problem}"] if problem else []
    assert not failures, f"validate fails {student}'s sound work:\n" + "\n".join(failures)

"""Each test grades what it should: the solutions pass, the release fails, each wrong answer
fails its own tests and no others, and cheats do not get the points they aim at, whatever they
do in their own kernel. (Sound work written differently is test_corpus.py's.)

The release, the wrong answers, cheats, kernel attacks and liars are graded as `make grade`
grades a class, in one run of ``grade_class``: in the sandbox, the tests judged outside the kernel.
Notebooks are graded apart, so each student of that class hands in one case of each notebook."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from conftest import DAY1, class_results, failed, grade_classes, grade_student_notebook, submission
from student_answers import CHEATS, KERNEL_ATTACKS, LIARS
from penguin_course.course import notebooks
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.course.paths import ROOT
from penguin_course.grading.execute import execute, run_notebook, score
from penguin_course.preparing import known_answers

pytestmark = pytest.mark.slow

UNTOUCHED = "untouched release"
ASSIGNMENTS = {assignment.name: assignment for assignment in Course(ROOT).assignments}

# (assignment, kind, notebook, name) -> the answers that replace the instructor's solutions, and the
# tests that must fail: every assignment's known wrong answers and untouched release (which must
# fail every test); day 1's cheats, kernel attacks and liars
CASES: dict[tuple[str, str, str, str], tuple[dict[str, str], set[str]]] = {
    **{(a.name, "wrong", notebook, target): (answer.answers, set(answer.fails))
       for a in ASSIGNMENTS.values() for (notebook, target), answer in known_answers.load(a).wrong_answers.items()},
    **{(DAY1.name, "cheat", notebook, description): (cheat, set(must_fail))
       for notebook, entries in CHEATS.items() for description, (cheat, must_fail) in entries.items()},
    **{(DAY1.name, "attack", notebook, description): (attack, set(must_fail))
       for notebook, entries in KERNEL_ATTACKS.items() for description, (attack, must_fail, _) in entries.items()},
    **{(DAY1.name, "liar", notebook, description): (liar, set(must_fail))
       for notebook, entries in LIARS.items() for description, (liar, must_fail) in entries.items()},
    **{(a.name, UNTOUCHED, notebook, ""): ({}, {test.grade_id for test in notebooks.autograded_tests(a.source, [notebook])})
       for a in ASSIGNMENTS.values() for notebook in a.notebooks},
}


def seats() -> dict[tuple[str, str, str, str], str]:
    """The student who hands in each case: the n-th case of every notebook is the n-th student's."""
    taken = Counter()
    seat = {}
    for case in CASES:
        seat[case] = f"case-{taken[case[0], case[2]]:02d}"
        taken[case[0], case[2]] += 1
    return seat


SEATS = seats()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("cases")
    classes = defaultdict(lambda: defaultdict(dict))
    for (assignment, kind, notebook, name), student in SEATS.items():
        answers, _ = CASES[assignment, kind, notebook, name]
        owner = ASSIGNMENTS[assignment]
        classes[owner][student][notebook] = notebooks.read(owner.release / notebook) if kind == UNTOUCHED \
            else submission(notebook, answers, owner)
    table = grade_classes(root, classes)
    return root, table


def failures(graded, case) -> dict[str, str]:
    """The tests of the case's notebook that its student did not pass with full marks, and why."""
    root, table = graded
    return {grade_id: why for (notebook, grade_id), why
            in class_results(root, table, SEATS[case], ASSIGNMENTS[case[0]]).items() if notebook == case[2] and why}


def params(kind: str):
    return [pytest.param(case, id=f"{case[0]}/{case[2][:1]}: {case[3]}") for case in CASES if case[1] == kind]


@pytest.mark.parametrize("assignment, name", [(a, name) for a in ASSIGNMENTS.values() for name in a.notebooks],
                         ids=lambda value: getattr(value, "name", value))
def test_source_notebook_passes_every_test(assignment, name):
    results = run_notebook(notebooks.read(assignment.source / name), source_dir=assignment.source)
    assert results and not failed(results)


def test_grading_the_same_notebook_twice_gives_the_same_results():
    # The setup cell seeds Keras: the first model trains, predicts and scores the same each time.
    def run():
        executed = execute(notebooks.read(DAY1.source / "3-test-performance.ipynb"))
        shown = next(cell for cell in executed.cells if notebooks.grade_id(cell) == "accuracy").outputs
        return score(executed), shown[0]["data"]["text/plain"]

    (first_results, first_accuracy), (second_results, second_accuracy) = run(), run()
    assert first_results == second_results
    assert first_accuracy == second_accuracy


def test_every_case_is_graded_on_its_own():
    # one case of a notebook per student: a case beside another in the same notebook would hide it
    assert len({(student, case[0], case[2]) for case, student in SEATS.items()}) == len(CASES)


@pytest.mark.parametrize("case", params(UNTOUCHED))
def test_untouched_release_scores_nothing(graded, case):
    root, table = graded
    tests = CASES[case][1]
    rows = table[(table.assignment == case[0]) & (table.student_id == SEATS[case]) & (table.notebook == case[2])
                 & table.grade_id.isin(tests)]
    assert tests and set(rows.grade_id) == tests
    assert (rows.score == 0).all(), rows


@pytest.mark.parametrize("case", params("wrong"))
def test_wrong_answer_fails_exactly_the_tests_that_depend_on_it(graded, case):
    found = failures(graded, case)
    assert case[3] in found, found
    assert set(found) == CASES[case][1], found


HIDDEN_TESTS = {(a.name, test.notebook, test.grade_id) for a in ASSIGNMENTS.values()
                for test in notebooks.autograded_tests(a.source, a.notebooks) if test.hidden}


def test_every_hidden_test_has_a_known_wrong_answer():
    failed_by_some = {(a.name, answer.notebook, test) for a in ASSIGNMENTS.values()
                      for answer in known_answers.load(a).wrong_answers.values() for test in answer.fails}
    assert {a for a, _, _ in HIDDEN_TESTS} == set(ASSIGNMENTS), "every assignment has hidden tests"
    assert HIDDEN_TESTS <= failed_by_some, sorted(HIDDEN_TESTS - failed_by_some)


@pytest.mark.parametrize("case", params("wrong"))
def test_a_hidden_test_a_wrong_answer_fails_says_what_was_expected(graded, case):
    """Its message, as the student's feedback page shows it ('Type: message'), says more than the
    exception's type: never a bare AssertionError."""
    root, _ = graded
    course = Course(root)
    run = course.read_run(Assignment(course, case[0]), SEATS[case])
    assert run is not None
    cells = {(notebook.name, cell.grade_id): cell for notebook in run[1].notebooks for cell in notebook.cells}
    for test in CASES[case][1]:
        if (case[0], case[2], test) in HIDDEN_TESTS:
            message = cells[(case[2], test)].message
            assert message.partition(":")[2].strip(), f"{test} failed with only {message!r}"


@pytest.mark.parametrize("case", params("cheat"))
def test_a_cheat_does_not_get_the_points(graded, case):
    found = failures(graded, case)
    assert set(found) == CASES[case][1], found


@pytest.mark.parametrize("case", params("attack"))
def test_code_in_the_students_kernel_cannot_change_a_verdict(graded, case):
    found = failures(graded, case)
    assert set(found) == CASES[case][1], found


@pytest.mark.parametrize("case", params("attack"))
def test_each_kernel_attack_would_earn_its_point_if_the_tests_ran_in_the_kernel(case):
    """The attacks are real: run as nbgrader runs tests, in the student's kernel, each one passes
    the test its wrong answer should fail."""
    _, _, notebook, description = case
    attack, _, target = KERNEL_ATTACKS[notebook][description]
    answers = {**notebooks.solutions(DAY1.source / notebook), **attack}
    assert grade_student_notebook(notebook, answers, judged=False)[target].passed


@pytest.mark.parametrize("case", params("liar"))
def test_an_answer_that_would_lie_when_compared_crosses_as_plain_data_or_is_refused(graded, case):
    found = failures(graded, case)
    assert set(found) == CASES[case][1], found

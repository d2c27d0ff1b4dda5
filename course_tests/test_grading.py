"""Each test grades what it should: the solutions pass, the release fails, each wrong answer
fails its own tests and no others, and cheats do not get the points they aim at, whatever they
do in their own kernel. (Sound work written differently is test_corpus.py's: graded as a class.)"""

import pytest

from conftest import failed, grade_student_notebook
from student_answers import CHEATS, KERNEL_ATTACKS, LIARS
from penguin_course.course import notebooks
from penguin_course.grading.execute import execute, run_notebook, score
from penguin_course.course.paths import NOTEBOOKS, SOURCE
from penguin_course.preparing.wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_source_notebook_passes_every_test(name):
    results = run_notebook(notebooks.read(SOURCE / name))
    assert results and not failed(results)


def test_grading_the_same_notebook_twice_gives_the_same_results():
    # The setup cell seeds Keras: the first model trains, predicts and scores the same each time.
    def run():
        executed = execute(notebooks.read(SOURCE / "3-test-performance.ipynb"))
        shown = next(cell for cell in executed.cells if notebooks.grade_id(cell) == "accuracy").outputs
        return score(executed), shown[0]["data"]["text/plain"]

    (first_results, first_accuracy), (second_results, second_accuracy) = run(), run()
    assert first_results == second_results
    assert first_accuracy == second_accuracy


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_untouched_release_fails_every_test(name):
    results = grade_student_notebook(name, answers={})
    assert results and all(result.score == 0 for result in results.values())


@pytest.mark.parametrize("notebook, target", WRONG_ANSWERS, ids=[f"{n[:1]}:{t}" for n, t in WRONG_ANSWERS])
def test_wrong_answer_fails_exactly_the_tests_that_depend_on_it(notebook, target):
    wrong = WRONG_ANSWERS[notebook, target]
    answers = {**notebooks.solutions(SOURCE / wrong.notebook), **wrong.answers}
    failures = failed(grade_student_notebook(wrong.notebook, answers))
    assert target in failures
    assert set(failures) == wrong.fails, failures


def cases(table):
    return [pytest.param(notebook, description, id=f"{notebook[:1]}: {description}")
            for notebook, entries in table.items() for description in entries]


@pytest.mark.parametrize("notebook, description", cases(CHEATS))
def test_a_cheat_does_not_get_the_points(notebook, description):
    cheat, must_fail = CHEATS[notebook][description]
    answers = {**notebooks.solutions(SOURCE / notebook), **cheat}
    assert set(failed(grade_student_notebook(notebook, answers))) == must_fail


@pytest.mark.parametrize("notebook, description", cases(KERNEL_ATTACKS))
def test_code_in_the_students_kernel_cannot_change_a_verdict(notebook, description):
    attack, must_fail, _ = KERNEL_ATTACKS[notebook][description]
    answers = {**notebooks.solutions(SOURCE / notebook), **attack}
    assert set(failed(grade_student_notebook(notebook, answers))) == must_fail


@pytest.mark.parametrize("notebook, description", cases(KERNEL_ATTACKS))
def test_each_kernel_attack_would_earn_its_point_if_the_tests_ran_in_the_kernel(notebook, description):
    """The attacks are real: run as nbgrader runs tests, in the student's kernel, each one passes
    the test its wrong answer should fail."""
    attack, _, target = KERNEL_ATTACKS[notebook][description]
    answers = {**notebooks.solutions(SOURCE / notebook), **attack}
    assert grade_student_notebook(notebook, answers, judged=False)[target].passed


@pytest.mark.parametrize("notebook, description", cases(LIARS))
def test_an_answer_that_would_lie_when_compared_crosses_as_plain_data_or_is_refused(notebook, description):
    liar, must_fail = LIARS[notebook][description]
    answers = {**notebooks.solutions(SOURCE / notebook), **liar}
    failures = failed(grade_student_notebook(notebook, answers))
    assert set(failures) == must_fail, failures

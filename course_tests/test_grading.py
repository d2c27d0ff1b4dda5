"""Each test grades what it should: the solutions pass, the release fails, each wrong answer
fails its own tests and no others."""

import pytest

from conftest import failed, grade_student_notebook
from penguin_course import notebooks
from penguin_course.execute import run_notebook
from penguin_course.paths import NOTEBOOKS, SOURCE
from penguin_course.wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_source_notebook_passes_every_test(name):
    results = run_notebook(notebooks.read(SOURCE / name))
    assert results and not failed(results)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_untouched_release_fails_every_test(name):
    results = grade_student_notebook(name, answers={})
    assert results and all(result.score == 0 for result in results.values())


@pytest.mark.parametrize("target", WRONG_ANSWERS)
def test_wrong_answer_fails_exactly_the_tests_that_depend_on_it(target):
    wrong = WRONG_ANSWERS[target]
    answers = {**notebooks.solutions(SOURCE / wrong.notebook), **wrong.answers}
    failures = failed(grade_student_notebook(wrong.notebook, answers))
    assert target in failures
    assert set(failures) == wrong.fails, failures

"""Similar answers (exports/similarity.csv, report.html): a copy with its variables renamed and
its cells reordered ranks first; two students who solved it each their own way score low; two
who handed in the release untouched score 0, as the given code never counts."""

import nbformat
import pandas as pd
import pytest

from course_tests.test_assignments import nbgrader_cell, tiny_notebook
from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.outputs import similarity

NAME, NB = "penguins", "3-test-performance.ipynb"
GIVEN = ("import numpy as np\nimport pandas as pd\nfrom sklearn.metrics import confusion_matrix\n"
         "penguins = pd.read_csv('penguins.csv')\nspecies = ['Adelie', 'Chinstrap', 'Gentoo']")
RELEASED = ["raise NotImplementedError()", "raise NotImplementedError()"]
ADA = [  # the lesson's way
    "y_pred = model.predict(X_test)\n"
    "prediction = pd.DataFrame(y_pred, columns=target.columns)\n"
    "predicted_species = prediction.idxmax(axis='columns')\n"
    "true_species = y_test.idxmax(axis='columns')",
    "matrix = confusion_matrix(true_species, predicted_species)\n"
    "confusion_df = pd.DataFrame(matrix, index=y_test.columns.values, columns=y_test.columns.values)\n"
    "confusion_df.index.name = 'True Label'\n"
    "confusion_df.columns.name = 'Predicted Label'\n"
    "test_accuracy = np.trace(matrix) / matrix.sum()",
]
COPY = [  # ada's, names changed and the cells in the other order
    "m = confusion_matrix(truth, guesses)\n"
    "cm = pd.DataFrame(m, index=y_test.columns.values, columns=y_test.columns.values)\n"
    "cm.index.name = 'True Label'\n"
    "cm.columns.name = 'Predicted Label'\n"
    "acc = np.trace(m) / m.sum()",
    "probabilities = model.predict(X_test)\n"
    "frame = pd.DataFrame(probabilities, columns=target.columns)\n"
    "guesses = frame.idxmax(axis='columns')\n"
    "truth = y_test.idxmax(axis='columns')",
]
BEN = [  # his own way: NumPy throughout
    "scores = model(X_test.to_numpy(), training=False).numpy()\n"
    "predicted = np.array(species)[np.argmax(scores, axis=1)]\n"
    "actual = np.array(species)[np.argmax(y_test.to_numpy(), axis=1)]",
    "counts = np.zeros((3, 3), dtype=int)\n"
    "for t, p in zip(actual, predicted):\n"
    "    counts[species.index(t), species.index(p)] += 1\n"
    "confusion_df = pd.DataFrame(counts, index=species, columns=species)\n"
    "test_accuracy = float((actual == predicted).mean())",
]


def notebook(answers: list[str]) -> nbformat.NotebookNode:
    return tiny_notebook([nbformat.v4.new_code_cell(GIVEN),
                          *(nbgrader_cell("answer", code, f"answer-{index}") for index, code in enumerate(answers)),
                          nbgrader_cell("test", "assert test_accuracy > 0.5", "test-accuracy", 1)])


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    students = {"ada": ADA, "copy": COPY, "ben": BEN, "una": RELEASED, "uri": RELEASED}
    for folder in ("source", "release"):
        (root / folder / NAME).mkdir(parents=True)
        nbformat.write(notebook(RELEASED), root / folder / NAME / NB)
    for student, answers in students.items():
        (root / "autograded" / student / NAME).mkdir(parents=True)
        nbformat.write(notebook(answers), root / "autograded" / student / NAME / NB)
    return similarity.compare(Assignment(Course(root), NAME), sorted(students))


def score(table: pd.DataFrame, first: str, second: str) -> float:
    a, b = sorted((first, second))
    return float(table[(table.student_a == a) & (table.student_b == b)]["similarity"].iloc[0])


def test_a_renamed_reordered_copy_ranks_first(compared):
    table, matches = compared
    assert (table.iloc[0].student_a, table.iloc[0].student_b) == ("ada", "copy")
    # most of ada's fingerprints are in the copy: those lost are the few that spanned two cells
    # the copy put in another order
    assert score(table, "ada", "copy") > 0.6
    assert score(table, "ada", "copy") > 3 * max(score(table, "ada", "ben"), score(table, "copy", "ben"))
    assert matches[0].students == ("ada", "copy") and "<mark>" in matches[0].code[0]


def test_independent_sound_solutions_score_low(compared):
    table, _ = compared
    assert score(table, "ada", "ben") < 0.3 and score(table, "copy", "ben") < 0.3


def test_two_untouched_releases_score_zero(compared):
    table, _ = compared
    assert score(table, "una", "uri") == 0
    assert len(table) == 10  # every pair of the five students has a row


def test_the_report_section_says_it_is_a_reason_to_look_not_a_verdict(compared, tmp_path):
    table, matches = compared
    page = similarity.section(table, matches)
    assert "a reason to look, not a verdict" in page and "<mark>" in page
    similarity.write_csv(table, tmp_path / "similarity.csv")
    written = pd.read_csv(tmp_path / "similarity.csv")
    assert list(written.columns) == [*similarity.COLUMNS, NB] and written.iloc[0].similarity > 0.6

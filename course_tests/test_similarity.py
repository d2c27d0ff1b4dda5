"""Similar answers (exports/similarity.csv, report.html): a copy with its variables renamed and
its cells reordered ranks first; two students who solved it each their own way score low; two
who handed in the release untouched score 0, as the given code never counts."""

import html
import itertools
import os
import re
import shutil
import subprocess
import sys

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


STUDENTS = {"ada": ADA, "copy": COPY, "ben": BEN, "una": RELEASED, "uri": RELEASED}


def graded_class(root) -> Assignment:
    for folder in ("source", "release"):
        (root / folder / NAME).mkdir(parents=True)
        nbformat.write(notebook(RELEASED), root / folder / NAME / NB)
    for student, answers in STUDENTS.items():
        (root / "autograded" / student / NAME).mkdir(parents=True)
        nbformat.write(notebook(answers), root / "autograded" / student / NAME / NB)
    return Assignment(Course(root), NAME)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    return similarity.compare(graded_class(tmp_path_factory.mktemp("course")), sorted(STUDENTS))


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


def test_kept_fingerprints_are_used_while_the_answers_are_the_same_and_taken_again_when_not(tmp_path, monkeypatch):
    assignment = graded_class(tmp_path)
    first, _ = similarity.compare(assignment, sorted(STUDENTS))
    kept = {student: assignment.autograded(student) / similarity.FINGERPRINTS for student in STUDENTS}
    assert all(path.is_file() for path in kept.values())

    taken = []  # the code fingerprinted, each time
    real = similarity.stable_hashes
    monkeypatch.setattr(similarity, "stable_hashes", lambda code: taken.append(code) or real(code))
    released = similarity.released_code(assignment, NB)
    own = lambda student: "\n".join(similarity.Given(assignment).own(  # noqa: E731
        similarity.answer_code(assignment.autograded(student) / NB)))
    again, _ = similarity.compare(assignment, sorted(STUDENTS))
    pd.testing.assert_frame_equal(again, first)
    assert taken == [released]  # nobody's answers

    taken.clear()
    kept["ben"].write_text("{not json")  # damaged: taken again, nothing lost
    kept["una"].write_text('{"3-test-performance.ipynb": {"key": "other", "hashes": [1, 2, 3]}}')  # another answer's
    nbformat.write(notebook(ADA), assignment.autograded("copy") / NB)  # the copy became ada's answer exactly
    changed, _ = similarity.compare(assignment, sorted(STUDENTS))
    assert sorted(taken) == sorted([released, own("ben"), own("una"), own("copy")])
    assert score(changed, "ada", "copy") == 1.0 and score(changed, "una", "uri") == 0
    assert score(changed, "ada", "ben") == score(first, "ada", "ben")


def test_fingerprints_are_the_same_in_every_process():
    """Kept on disk and made by shards on other machines: Python's own hash() of a string is salted per process."""
    code = "\n".join(ADA)
    script = f"from penguin_course.outputs import similarity; print(sorted(similarity.stable_hashes({code!r})))"
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(runs) == 1 and runs.pop().strip() == str(sorted(similarity.stable_hashes(code)))


# ---------------------------------------------------------------------------------------------
# A class on the day's real release: untouched notebooks, independent sound students written in
# different idioms (the corpus), a renamed copy of one of them and a partial copy of another.

def renamed(code: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        code = re.sub(rf"\b{old}\b", new, code)
    return code


# names a copier changes in tf-tutorial's answers (never the ones the tests read)
RENAMES = {"scores": "probs", "history": "hist", "predicted": "guessed", "actual": "truth", "features": "feats",
           "encoder": "enc", "labels": "ys", "counts": "cm", "hidden": "mid", "weights": "w", "biases": "b"}


def real_class() -> dict[str, dict[str, dict[str, str]]]:
    """student -> notebook -> solution cell -> what they typed (cells left out keep the stub)."""
    from course_tests.conftest import DAY1
    from penguin_course.preparing.known_answers import Rewritten, load

    CORPUS = load(DAY1).corpus
    class_ = {name: {notebook: {cell: str(code) for cell, code in cells.items() if not isinstance(code, Rewritten)}
                     for notebook, cells in notebooks_.items()} for name, notebooks_ in CORPUS.items()}
    class_["copier"] = {notebook: {cell: renamed(code, RENAMES) for cell, code in cells.items()}
                        for notebook, cells in class_["tf-tutorial"].items()}
    # the partial copier took the first half of functional-api's answers to notebook 3, and no more
    copied = list(class_["functional-api"][NB].items())
    class_["partial-copier"] = {NB: dict(copied[:len(copied) // 2])}
    for untouched in ("una", "uri", "ute"):
        class_[untouched] = {}
    return class_


@pytest.fixture(scope="module")
def real_comparison(tmp_path_factory):
    from penguin_course.course import notebooks
    from penguin_course.course.paths import ASSIGNMENT, RELEASE

    root = tmp_path_factory.mktemp("real-class")
    shutil.copytree(RELEASE, root / "release" / ASSIGNMENT)
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    for name in sorted(path.name for path in RELEASE.glob("*.ipynb")):
        shutil.copy2(RELEASE / name, root / "source" / ASSIGNMENT / name)  # only the names of the notebooks matter
    class_ = real_class()
    for student, answers in class_.items():
        folder = root / "autograded" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for path in RELEASE.glob("*.ipynb"):
            nbformat.write(notebooks.fill(notebooks.read(path), answers.get(path.name, {})), folder / path.name)
    return similarity.compare(Assignment(Course(root), ASSIGNMENT), sorted(class_), shown=10)


def test_a_notebook_left_as_handed_out_pairs_with_nobody(real_comparison):
    table, matches = real_comparison
    untouched = {"una", "uri", "ute"}
    rows = table[table.student_a.isin(untouched) | table.student_b.isin(untouched)]
    assert len(rows) == 3 + 3 * 6 and (rows["similarity"] == 0).all(), rows.to_string()
    assert not any(set(match.students) & untouched for match in matches)


def test_on_the_real_release_the_copies_rank_first_and_independent_work_stays_low(real_comparison):
    table, matches = real_comparison
    top = {frozenset((row.student_a, row.student_b)) for row in table.head(2).itertuples()}
    assert top == {frozenset(("copier", "tf-tutorial")), frozenset(("functional-api", "partial-copier"))}, \
        table.head(5).to_string()
    assert score(table, "copier", "tf-tutorial") > 0.8
    assert score(table, "functional-api", "partial-copier") > 0.8  # all of the copier's own is functional-api's
    independent = ["lesson-learner", "tf-tutorial", "functional-api", "numpy-arrays"]
    for first, second in itertools.combinations(independent, 2):
        assert score(table, first, second) < similarity.SHOWN_FROM, (first, second, table.head(8).to_string())
    assert {frozenset(match.students) for match in matches} <= top


def test_the_side_by_side_view_marks_only_what_students_wrote(real_comparison):
    from penguin_course.course.paths import RELEASE

    _, matches = real_comparison
    given = {line.strip() for path in RELEASE.glob("*.ipynb") for cell in nbformat.read(path, as_version=4).cells
             for line in cell.source.splitlines() if line.strip()}
    for match in matches:
        for code in match.code:
            shown = [html.unescape(re.sub(r"</?mark>", "", line)).strip() for line in code.splitlines()]
            assert not set(shown) & given, f"{match.students} {match.notebook}: given lines {set(shown) & given}"
        assert match.matching_lines > 0 and "<mark>" in match.code[0]
    page = similarity.section(*real_comparison)
    assert "matching lines of their own" in page and "una" not in page

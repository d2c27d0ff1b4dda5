"""`make new-assignment NAME=x`: a new assignment's folder, ready to write in and to test.

It writes ``source/<name>/`` with:

- ``1-<name>.ipynb``, a notebook of the course's shape with nbgrader's metadata and points: the
  "what you fill in" table, a setup cell, an answer cell, a visible and a hidden test of it, and a
  written answer graded by hand (replace the example with the exercise);
- links to the files the course keeps once (the dataset, the visible tests' helpers
  ``penguin_checks.py``, the hidden tests' ``hidden_checks.py``), to the assignment that holds
  them itself: the release and the graders get the files, the repository one copy;
- ``wrong_answers.py`` (a known wrong answer for each test) and ``sound_answers.py`` (sound answers
  in two idioms, and a mutation that breaks each), the proofs ``known_answers`` loads;

then releases it and builds its demo students, so that `make test-fast` passes at once and
`make grade ASSIGNMENT=<name>` grades the demo class. Nothing is written if the name is taken or
not one nbgrader and URLs take.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from penguin_course.course.assignments import SOUND_ANSWERS_FILE, WRONG_ANSWERS_FILE, Assignment
from penguin_course.course.directory import Course

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
SHARED_FILES = ["penguins.csv", "penguin_checks.py", "hidden_checks.py"]


class ScaffoldError(ValueError):
    pass


def meta(grade_id: str, *, grade: bool = False, solution: bool = False, points: float | None = None) -> dict:
    data = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        data["points"] = points
    return {"nbgrader": data}


def cell(kind, grade_id: str, text: str, **options):
    made = kind(dedent(text).strip("\n"), metadata=meta(grade_id, **options))
    made.id = grade_id  # ids that stay: a regenerated notebook keeps them
    return made


def skeleton(title: str) -> nbformat.NotebookNode:
    """The example notebook: one answer, its visible and hidden test, one written answer."""
    cells = [
        cell(new_markdown_cell, "intro", f"""
            # 1. {title}

            What this notebook teaches, in two or three sentences.

            **What you fill in.** The tests read these names, so keep them exactly as written:

            | name | what it holds |
            |---|---|
            | `n_penguins` | the number of penguins in the dataset (an int) |
            | your answer in the text cell | why a test set must stay apart from training |

            Replace each `raise NotImplementedError()` (and *YOUR ANSWER HERE*) with your own work.
            Run the test cells to check it; hidden tests run when your notebook is graded. Before you
            submit, restart the kernel and run all cells.
            """),
        cell(new_code_cell, "setup", """
            # Run this cell first: it reads the dataset shipped next to this notebook.
            import pandas as pd

            penguins = pd.read_csv("penguins.csv")
            """),
        cell(new_markdown_cell, "instructions-1", """
            ## How many penguins?

            Store the number of penguins (rows) of `penguins` in `n_penguins`.
            """),
        cell(new_code_cell, "n-penguins", """
            ### BEGIN SOLUTION
            n_penguins = len(penguins)
            ### END SOLUTION
            n_penguins
            """, solution=True),
        cell(new_code_cell, "test-n-penguins-type", """
            import penguin_checks as checks

            assert checks.whole_number(n_penguins, "n_penguins") > 0, "n_penguins should be a positive whole number"
            """, grade=True, points=1),
        cell(new_code_cell, "test-n-penguins", """
            # Hidden test, run when your notebook is graded: the number
            ### BEGIN HIDDEN TESTS
            import hidden_checks as hidden
            import penguin_checks as checks

            _expected = len(hidden.load_penguins())
            _counted = checks.whole_number(n_penguins, "n_penguins")
            assert _counted == _expected, f"n_penguins should be the number of rows of the dataset, not {_counted}"
            ### END HIDDEN TESTS
            """, grade=True, points=1),
        cell(new_markdown_cell, "instructions-2", """
            In your own words: why must the penguins we test a model on stay apart from those it learns
            from? (Graded by your instructor.)
            """),
        cell(new_markdown_cell, "answer-why", """
            A model can learn the penguins it is trained on by heart. Only penguins it has never seen
            tell how well it does on new ones.
            """, grade=True, solution=True, points=2),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                        "name": "python3"}, "language_info": {"name": "python"}}
    return notebook


WRONG_ANSWERS = '''\
"""Known wrong answers of {name}: one for every autograded test, and the tests it must fail
(penguin_course.preparing.known_answers says how they are used). When you add or change a test
in this folder's notebooks, add or change its entry here. The instructor's file: never released.
"""

from penguin_course.preparing.known_answers import wrong

NB = "{notebook}"

WRONG_ANSWERS = {{(NB, answer_for): answer for answer_for, answer in {{
    # the number as text
    "test-n-penguins-type": wrong(NB, "n-penguins", "n_penguins = str(len(penguins))",
                                  "test-n-penguins-type", "test-n-penguins"),
    # the penguins with every measurement, not all of them
    "test-n-penguins": wrong(NB, "n-penguins", "n_penguins = len(penguins.dropna())", "test-n-penguins"),
}}.items()}}

# The demo's partly wrong student's mistakes (some of the above).
PARTLY_WRONG = [(NB, "test-n-penguins")]
'''

SOUND_ANSWERS = '''\
"""Sound answers of {name}: students who each fill in every notebook in one style, sound work that
must get full marks, and the substitutions that break each (see
penguin_course.preparing.known_answers). The instructor's file: never released.
"""

NB = "{notebook}"

CORPUS = {{
    "shape": {{NB: {{"n-penguins": "n_penguins = penguins.shape[0]"}}}},
    "index": {{NB: {{"n-penguins": "n_penguins = penguins.index.size"}}}},
}}

# (notebook, old text, new text, tests that must fail): in every student's own code, or in one's
COMMON_MUTATIONS = []
OWN_MUTATIONS = {{
    "shape": [(NB, "penguins.shape[0]", "penguins.shape[1]", {{"test-n-penguins"}})],
    "index": [(NB, "penguins.index.size", "penguins.columns.size", {{"test-n-penguins"}})],
}}
'''


def shared_home(course: Course, name: str) -> Path | None:
    """The assignment folder that holds the course's own copy of ``name`` (a file, not a link)."""
    for assignment in course.assignments:
        path = assignment.source / name
        if path.is_file() and not path.is_symlink():
            return path
    return None


def new_assignment(course: Course, name: str) -> Assignment:
    """Write ``source/<name>/`` (see the module's docstring); ScaffoldError, writing nothing, if
    ``name`` is not a fit name or is taken."""
    if not NAME.match(name or ""):
        raise ScaffoldError(f"NAME={name!r}: expected lower-case letters, digits and '-', starting with a letter "
                            "or digit (it names a folder, the gradebook's assignment and URLs), e.g. NAME=day3-cnn")
    folder = course.source / name
    if folder.exists():
        raise ScaffoldError(f"{folder} exists: choose another NAME (nothing was written)")
    homes = {file: shared_home(course, file) for file in SHARED_FILES}
    missing = [file for file, home in homes.items() if home is None]
    if missing:
        raise ScaffoldError(f"no assignment of {course.source} holds {', '.join(missing)} to link to")
    folder.mkdir(parents=True)
    notebook = f"1-{name}.ipynb"
    nbformat.write(skeleton(name.replace("-", " ").capitalize()), folder / notebook)
    for file, home in homes.items():
        (folder / file).symlink_to(os.path.relpath(home, folder))
    (folder / WRONG_ANSWERS_FILE).write_text(WRONG_ANSWERS.format(name=name, notebook=notebook))
    (folder / SOUND_ANSWERS_FILE).write_text(SOUND_ANSWERS.format(name=name, notebook=notebook))
    return Assignment(course, name)

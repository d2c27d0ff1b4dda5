"""Grade submissions with nbgrader and read the scores back from the gradebook."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry

from penguin_course import release
from penguin_course.nbgrader_cli import nbgrader
from penguin_course.notebooks import grade_id, is_autograded_test, nbgrader_meta, read
from penguin_course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT

SCORE_COLUMNS = ["student", "notebook", "grade_id", "autograded", "score", "max_score", "manual"]


def autograde(submitted_dir: Path, root: Path = ROOT) -> None:
    """``nbgrader autograde`` every student in ``submitted_dir`` (nbgrader's submitted/ layout)."""
    nbgrader("autograde", ASSIGNMENT, "--force",
             f"--CourseDirectory.submitted_directory={os.path.relpath(submitted_dir, root)}", root=root)


def graded_cells(root: Path) -> list[tuple[str, str, bool]]:
    """(notebook, grade_id, autograded?) of every graded cell of the source notebooks, in order."""
    return [(Path(name).stem, grade_id(cell), is_autograded_test(cell))
            for name in NOTEBOOKS
            for cell in read(root / "source" / ASSIGNMENT / name).cells
            if nbgrader_meta(cell).get("grade")]


def scores(root: Path = ROOT) -> pd.DataFrame:
    """One row per student and graded cell, from the gradebook: the score, and whether the
    cell waits for manual grading. A notebook that was not graded scores nothing."""
    rows = []
    cells = graded_cells(root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student in sorted(student.id for student in gradebook.students):
            for notebook, cell, autograded in cells:
                try:
                    grade = gradebook.find_grade(cell, notebook, ASSIGNMENT, student)
                except MissingEntry:
                    continue
                rows.append((student, notebook, cell, autograded, grade.score, grade.max_score,
                             grade.needs_manual_grade))
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Autograded points per student and notebook as 'score/max', and the cells left to grade by hand."""
    auto = table[table["autograded"]]
    totals = auto.groupby(["student", "notebook"])[["score", "max_score"]].sum()
    wide = (totals["score"].map("{:g}".format) + "/" + totals["max_score"].map("{:g}".format)).unstack()
    overall = auto.groupby("student")[["score", "max_score"]].sum()
    wide["autograded"] = overall["score"].map("{:g}".format) + "/" + overall["max_score"].map("{:g}".format)
    wide["to grade by hand"] = table.groupby("student")["manual"].sum().astype(int)
    return wide


def demo(root: Path = ROOT) -> pd.DataFrame:
    """Generate the release, autograde the demo submissions, and return their scores."""
    release.generate(root)
    autograde(root / DEMO_SUBMISSIONS.relative_to(ROOT), root)
    return scores(root)

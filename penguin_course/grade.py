"""Grade submissions with nbgrader and summarise the scores from the gradebook."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from nbgrader.api import Gradebook, MissingEntry

from penguin_course import release
from penguin_course.nbgrader_cli import nbgrader
from penguin_course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT


def autograde(submitted_dir: Path, root: Path = ROOT) -> None:
    """``nbgrader autograde`` every student in ``submitted_dir`` (nbgrader's submitted/ layout)."""
    nbgrader("autograde", ASSIGNMENT, "--force",
             f"--CourseDirectory.submitted_directory={os.path.relpath(submitted_dir, root)}", root=root)


def score_table(root: Path = ROOT) -> pd.DataFrame:
    """Autograded score per student and notebook, from the gradebook; one row per student."""
    rows = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student in sorted(student.id for student in gradebook.students):
            row = {"student": student}
            code, max_code, manual = 0.0, 0.0, 0
            for name in NOTEBOOKS:
                try:
                    notebook = gradebook.find_submission_notebook(Path(name).stem, ASSIGNMENT, student)
                except MissingEntry:
                    row[Path(name).stem] = "not graded"
                    continue
                row[Path(name).stem] = f"{notebook.code_score:g}/{notebook.max_code_score:g}"
                code, max_code = code + notebook.code_score, max_code + notebook.max_code_score
                manual += sum(1 for grade in notebook.grades if grade.needs_manual_grade)
            row["autograded"] = f"{code:g}/{max_code:g}"
            row["to grade by hand"] = manual
            rows.append(row)
    return pd.DataFrame(rows).set_index("student")


def demo(root: Path = ROOT) -> pd.DataFrame:
    """Generate the release, grade the demo submissions, and return the score table."""
    release.generate(root)
    autograde(DEMO_SUBMISSIONS, root)
    return score_table(root)

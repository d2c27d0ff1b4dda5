"""Keep nbgrader's own autograde from running student code outside the sandbox.

Formgrader's *Autograde* button and `nbgrader autograde` run each student's notebooks in the
Jupyter server's (or the shell's) process, with the instructor's rights and without the
sandbox that `make grade` uses. nbgrader_config.py makes them refuse, through the one
setting nbgrader reads before it touches anything: the class that exports the notebooks.
(A refusal from a preprocessor would come too late: with --force, which the button uses,
nbgrader first deletes the student's graded notebooks, hand grades' context included.)
"""

from __future__ import annotations

from nbconvert.exporters import NotebookExporter

REFUSAL = ("Refused: nbgrader's autograde would run the students' code outside the course's sandbox,\n"
           "with your rights. Grade with `make grade` (or `python -m penguin_course grade`) in the\n"
           "course folder instead: it grades in the sandbox, keeps the answers graded by hand,\n"
           "and refreshes the feedback.")


class AutogradeRefused(RuntimeError):
    pass


class RefuseAutograde(NotebookExporter):
    """The exporter of nbgrader's Autograde: refuses before any notebook is run or any file removed."""

    def __init__(self, *args, parent=None, **kwargs):
        if parent is not None:
            parent.log.error(REFUSAL)  # formgrader shows the log above the traceback
        raise AutogradeRefused(REFUSAL)

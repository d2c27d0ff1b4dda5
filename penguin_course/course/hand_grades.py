"""The note an answer graded by hand gets when the student changes it and it goes back in the queue.

Its earlier score and comment were about the earlier answer: they leave the grade (which counts as
not graded until it is graded again) for a note in the comment's ``auto_comment``, "On the earlier
answer, graded 1.5 of 2 by hand: <the comment>". Formgrader shows it as the comment box's
placeholder, so the grader sees it while writing the new comment; the feedback page shows it while
the answer waits. Once the answer is graded again, the note goes (``clear_answered_notes``, at every
refresh; the feedback pages also leave out one still there): the new grade's comment is the
grader's, or none, never the earlier score. A grader who wants the earlier words writes them.
"""

from __future__ import annotations

from nbgrader.api import MissingEntry

EARLIER = "On the earlier answer, graded "


def earlier_note(score: float, max_score: float, comment: str | None) -> str:
    earlier = f"{EARLIER}{score:g} of {max_score:g} by hand"
    return f"{earlier}: {comment}" if comment else f"{earlier}."


def is_note(comment: str | None) -> bool:
    return (comment or "").startswith(EARLIER)


def earlier_grade_notes(gradebook, assignment: str, student: str) -> dict[tuple[str, str], str]:
    """(notebook, grade_id) -> the note of each of ``student``'s answers to ``assignment`` that has one."""
    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return {}
    return {(notebook.name, comment.name): comment.auto_comment for notebook in submission.notebooks
            for comment in notebook.comments if is_note(comment.auto_comment)}


def clear_answered_notes(gradebook, assignment: str) -> int:
    """Remove the note of every answer of ``assignment`` graded by hand since it went back in the
    queue; how many were removed."""
    try:
        submissions = gradebook.find_assignment(assignment).submissions
    except MissingEntry:
        return 0
    cleared = 0
    for submission in submissions:
        for notebook in submission.notebooks:
            graded = {grade.name for grade in notebook.grades if grade.manual_score is not None}
            for comment in notebook.comments:
                if comment.name in graded and is_note(comment.auto_comment):
                    comment.auto_comment = None
                    cleared += 1
    return cleared

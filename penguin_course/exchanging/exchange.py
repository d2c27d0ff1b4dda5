"""nbgrader's exchange: the shared folder through which students fetch assignments, submit
them and fetch their feedback in JupyterLab's *Assignment List* (`make exchange`).

nbgrader expects the folder to exist and be writable by every student, and each student's
Jupyter to know the course and where the folder is; it sets up neither. This creates the
folder and writes the students' side of the setting where their Jupyter reads it.
"""

from __future__ import annotations

import glob
import html
import os
import re
import sys
from pathlib import Path

from penguin_course.course.assignments import Assignment, UnknownAssignment
from penguin_course.course.nbgrader_cli import nbgrader
from penguin_course.course.directory import Course

# Everyone may create their own entries, and only remove their own (as /tmp): a student
# cannot delete the course's folder in it.
EXCHANGE_MODE = 0o1777


class ExchangeError(RuntimeError):
    pass


def settings(course: Course) -> tuple[str, Path]:
    """The course id and the exchange folder, as nbgrader_config.py sets them."""
    config = course.config
    return config.CourseDirectory.course_id, Path(config.Exchange.root)


def student_config_path() -> Path:
    """The Jupyter configuration of this environment: every user who runs Jupyter from it reads it."""
    return Path(sys.prefix) / "etc" / "jupyter" / "nbgrader_config.py"


def student_config(course_id: str, exchange: Path) -> str:
    return (f'"""Written by `make exchange`: where students find the course in the Assignment List (Nbgrader menu)."""\n'
            f"c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {course_id!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n")


def create(course: Course, config_path: Path | None = None) -> tuple[Path, Path]:
    """Create the exchange folder (open to every student) and the students' configuration;
    (exchange folder, configuration file)."""
    course_id, exchange = settings(course)
    try:
        exchange.mkdir(parents=True, exist_ok=True)
        os.chmod(exchange, EXCHANGE_MODE)
    except PermissionError:
        raise ExchangeError(f"cannot create the exchange {exchange}: run `sudo make exchange`, or choose a "
                            f"folder you can write with NBGRADER_EXCHANGE=/path make exchange") from None
    config_path = config_path or student_config_path()
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(student_config(course_id, exchange))
    return exchange, config_path


def chosen(course: Course, name: str | None) -> list[Assignment]:
    try:
        return course.select(name)
    except UnknownAssignment as error:
        raise ExchangeError(str(error)) from None


def release_assignment(course: Course, force: bool = False, name: str | None = None) -> list[str]:
    """``nbgrader release_assignment``: put release/ in the exchange, for students to fetch: every
    assignment, or the one called ``name``; the assignments released."""
    picked = chosen(course, name)
    _, exchange = settings(course)
    if not exchange.is_dir():
        raise ExchangeError(f"there is no exchange at {exchange}: run `make exchange` first")
    for assignment in picked:
        nbgrader(course, "release_assignment", assignment.name, *(["--force"] if force else []))
    return [assignment.name for assignment in picked]


def waiting_for_hand_grading(course: Course, assignment: str) -> list[str]:
    """The students with an answer to ``assignment`` that waits to be graded by hand (formgrader)."""
    from nbgrader.api import MissingEntry

    if not course.gradebook_exists():
        return []
    with course.gradebook() as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            return []
        return sorted(submission.student_id for submission in submissions if submission.needs_manual_grade)


def release_feedback(course: Course, name: str | None = None, force: bool = False) -> list[str]:
    """``nbgrader release_feedback``: put each student's feedback pages in the exchange, where the
    student fetches them in the Assignment List (Nbgrader menu); the students whose feedback was released.

    Only work submitted through the exchange can be returned through it (nbgrader files the
    pages under a secret of the submission); the feedback of work that came another way stays
    in feedback/ for the instructor to hand out. While a student's answer waits to be graded by
    hand, nothing is released (the page would show it ungraded), unless ``force``. The pages of a
    student's earlier submissions say at their top that they were superseded (``mark_superseded``)."""
    releases = []
    for assignment in chosen(course, name):
        folders = sorted(path.parent for path in course.feedback.glob(f"*/{assignment.name}/*.html"))
        students = sorted({folder.parent.name for folder in folders})
        returnable = [s for s in students if (assignment.feedback(s) / "submission_secret.txt").is_file()]
        if returnable:
            releases.append((assignment, students, returnable))
    waiting = {f"{student} ({assignment.name})" for assignment, _, returnable in releases
               for student in waiting_for_hand_grading(course, assignment.name) if student in returnable}
    if waiting and not force:
        raise ExchangeError(f"answers of {', '.join(sorted(waiting))} still wait to be graded by hand (formgrader): "
                            "their pages would show them ungraded. Nothing was released; grade them and run "
                            "`make feedback`, or release all the same with `make release-feedback FORCE=1`")
    released = set()
    for assignment, students, returnable in releases:
        others = sorted(set(students) - set(returnable))
        nbgrader(course, "release_feedback", assignment.name,
                 *([f"--CourseDirectory.student_id_exclude={','.join(others)}"] if others else []))
        mark_superseded(course, assignment, returnable)
        released.update(returnable)
    if not released:
        if not any(course.feedback.glob("*/*/*.html")):
            raise ExchangeError(f"there is no feedback in {course.feedback}: run `make grade` or `make feedback` "
                                "first")
        raise ExchangeError("no feedback to release through the exchange: none of the graded work was submitted "
                            "through it (hand out feedback/<student>/ another way)")
    return sorted(released)


SUPERSEDED = "superseded-notice"  # the class of the notice at the top of a superseded page


def superseded_notice(submitted: str, latest: str) -> str:
    return (f"<div class='{SUPERSEDED}' style='border:2px solid #c60;background:#fff4e5;padding:.6em 1em;"
            f"margin:.5em'><strong>This page is about your submission of {html.escape(submitted)}, which "
            f"your submission of {html.escape(latest)} superseded.</strong> The feedback on that one is in "
            f"<code>feedback/{html.escape(latest)}/</code>: it is the one that counts.</div>")


def mark_superseded(course: Course, assignment: Assignment, students: list[str]) -> list[Path]:
    """Put a notice at the top of the pages released earlier for each of ``students``' earlier
    submissions of ``assignment`` (in the exchange, where nbgrader files a page under its
    submission's secret): the student's next *Fetch Feedback* brings them, in place of the pages
    fetched before, beside those of the submission that counts. The pages marked."""
    from nbgrader.utils import notebook_hash, parse_utc

    course_id, root = settings(course)
    marked = []
    for student in students:
        latest = (assignment.feedback(student) / "timestamp.txt").read_text().strip()
        for folder in (root / course_id / "inbound").glob(f"{glob.escape(student)}+{glob.escape(assignment.name)}+*"):
            try:
                submitted = (folder / "timestamp.txt").read_text().strip()
                secret = (folder / "submission_secret.txt").read_text()
                earlier = parse_utc(submitted) < parse_utc(latest)
            except (OSError, ValueError):
                continue  # not a submission nbgrader can return feedback for
            if not earlier:
                continue
            for notebook in assignment.notebooks:
                page = root / course_id / "feedback" / f"{notebook_hash(secret=secret, notebook_id=Path(notebook).stem)}.html"
                if not page.is_file() or SUPERSEDED in (text := page.read_text()):
                    continue
                body = re.search(r"<body[^>]*>", text)
                at = body.end() if body else 0
                page.write_text(text[:at] + superseded_notice(submitted, latest) + text[at:])
                marked.append(page)
    return marked

"""Whether `make grade` has anything to do, decided with the standard library alone.

Grading on every push pays a fixed cost per run: importing nbgrader, Jupyter and pandas,
regenerating the release, writing every output again. When no submission, exercise or
setting has changed since the last run, and the gradebook has not changed since the outputs
were written from it (no grade given by hand since), none of that is needed: this module
says so before anything heavy is imported, and `make grade` ends in a fraction of a second.

Two stamps in autograded/ (generated, like everything there): the digest of the exercises
each assignment was last released from, and the digest of what the outputs were last written
from (the gradebook file and every student's run record).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from penguin_course.course.assignments import PROOF_FILES, Assignment, units
from penguin_course.course.directory import DEFAULT_GRADEBOOK, Course

TIME_LIMIT = 180  # seconds per notebook: the reference solution needs about 10 s
RELEASE_STAMP = Path("autograded") / ".release-digest"
OUTPUTS_STAMP = Path("autograded") / ".outputs-digest"


class Fingerprint(NamedTuple):
    """What a student's grade for an assignment depends on, as digests."""

    whole: str  # all of it: the run is redone when it changes
    submission: str  # the student's files and the grading settings
    base: str  # the exercises but their test cells: when only the tests changed, kept answers can judge them


def exercises_digest(course: Course, assignment: Assignment | None = None, tests: bool = True) -> str:
    """A digest of an assignment's exercises (default: every assignment's) and the course's nbgrader
    settings; without their notebooks' test cells if ``tests`` is False."""
    digest = hashlib.sha256()
    source = assignment.source if assignment is not None else course.source
    exercises = sorted(p for p in source.rglob("*") if p.is_file() and p.name not in PROOF_FILES)
    for path in [course.root / "nbgrader_config.py"] + exercises:
        data = path.read_bytes()
        if not tests and path.suffix == ".ipynb":
            data = without_tests(data)
        digest.update(str(path.relative_to(course.root)).encode() + b"\0" + data)
    return digest.hexdigest()


def without_tests(notebook: bytes) -> bytes:
    """A notebook's JSON without its test cells (nbgrader's autograder tests: graded, not an answer),
    nor what saving it again changes but no student sees: each cell's id (nbformat gives every cell
    a new random one when a notebook is written anew; grading matches cells by grade id), outputs
    and execution counts (the release clears them)."""
    try:
        parsed = json.loads(notebook)
        parsed["cells"] = [{key: value for key, value in cell.items() if key not in ("id", "outputs", "execution_count")}
                           for cell in parsed["cells"] if not (
            cell.get("cell_type") == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not cell["metadata"]["nbgrader"].get("solution"))]
    except (ValueError, KeyError, TypeError, AttributeError):
        return notebook
    return json.dumps(parsed, sort_keys=True).encode()


def notebook_digests(assignment: Assignment) -> dict[str, str]:
    """A digest of each of the assignment's source notebooks, tests included: when only tests changed
    (``Fingerprint.base``), a notebook whose digest did not change is judged as before."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(assignment.source.glob("*.ipynb")) if path.is_file()}


def submission_digest(assignment: Assignment, submitted_dir: Path, student: str, time_limit: float,
                      sandboxed: bool) -> str:
    """A digest of a student's files for an assignment (all of theirs if they have no folder for it)
    and of the grading settings."""
    digest = hashlib.sha256(f"{assignment.name} {time_limit} {sandboxed}".encode())
    folder = assignment.submitted(submitted_dir, student)
    folder = folder if folder.is_dir() else submitted_dir / student
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def whole_digest(submission: str, exercises: str) -> str:
    return hashlib.sha256(f"{submission} {exercises}".encode()).hexdigest()


def fingerprint(assignment: Assignment, submitted_dir: Path, student: str, time_limit: float, sandboxed: bool,
                exercises: str | None = None, base: str | None = None) -> Fingerprint:
    """Digests of everything a student's grade for an assignment depends on: their files, its
    exercises (``exercises`` and ``base``, if already known), the settings."""
    course = assignment.course
    submission = submission_digest(assignment, submitted_dir, student, time_limit, sandboxed)
    return Fingerprint(whole_digest(submission, exercises or exercises_digest(course, assignment)), submission,
                       base or exercises_digest(course, assignment, tests=False))


def recorded_fingerprint(assignment: Assignment, student: str) -> str | None:
    """The fingerprint of what the last run graded of ``student``'s work for ``assignment`` (autograde's run record)."""
    try:
        return json.loads(assignment.course.run_record(assignment, student).read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def local_gradebook(course: Course) -> Path | None:
    """The SQLite file of the default gradebook; None for a gradebook elsewhere (a database server,
    whose changes a file's date does not show: there every run writes the outputs again)."""
    configured = os.environ.get("NBGRADER_DB_URL", DEFAULT_GRADEBOOK)
    try:
        default = DEFAULT_GRADEBOOK in (course.root / "nbgrader_config.py").read_text()
    except OSError:
        return None
    return course.root / "gradebook.db" if configured == DEFAULT_GRADEBOOK and default else None


def outputs_digest(course: Course) -> str | None:
    """A digest of what the outputs are written from: the gradebook, every run record, the course's
    settings (the late policy), due-dates.csv and extensions.csv."""
    gradebook = local_gradebook(course)
    if gradebook is None or not gradebook.exists():
        return None
    status = gradebook.stat()
    digest = hashlib.sha256(f"{status.st_mtime_ns} {status.st_size}".encode())
    for name in ("nbgrader_config.py", "due-dates.csv", "extensions.csv"):
        path = course.root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    for record in course.run_records():
        digest.update(str(record).encode() + b"\0" + record.read_bytes())
    return digest.hexdigest()


def read_stamp(course: Course, stamp: Path) -> str | None:
    try:
        return (course.root / stamp).read_text().strip()
    except OSError:
        return None


def write_stamp(course: Course, stamp: Path, value: str | None) -> None:
    """Record ``value`` in ``stamp``; its folder (autograded/) is made if a new course lacks it: else
    the first grading would not know its release current, and the next would write it again."""
    if value is not None:
        (course.root / stamp).parent.mkdir(parents=True, exist_ok=True)
        (course.root / stamp).write_text(value + "\n")


def released_digests(course: Course) -> dict[str, str]:
    """The digest of the exercises each assignment was last released from (none if unknown)."""
    try:
        recorded = json.loads(read_stamp(course, RELEASE_STAMP) or "{}")
    except ValueError:  # a stamp of an older course: one digest for every assignment
        return {}
    return recorded if isinstance(recorded, dict) else {}


def stale_releases(course: Course, chosen: list[Assignment] | None = None) -> list[Assignment]:
    """The assignments (of ``chosen``, default every one) whose release/ and record in the gradebook
    were not made from their exercises as they are: every one while the gradebook is not a local file."""
    chosen = course.assignments if chosen is None else chosen
    gradebook = local_gradebook(course)
    if gradebook is None or not gradebook.exists():
        return list(chosen)
    recorded = released_digests(course)
    return [a for a in chosen if not a.release.is_dir() or recorded.get(a.name) != exercises_digest(course, a)]


def in_play(course: Course, chosen: list[Assignment], work: list[tuple[Assignment, str]]) -> list[Assignment]:
    """The ``chosen`` assignments a grading concerns: those with work to grade, and those released
    before (their record in the gradebook follows their exercises)."""
    recorded = released_digests(course)
    return [a for a in chosen if a.name in recorded or any(unit[0] == a for unit in work)]


def release_is_current(course: Course, chosen: list[Assignment] | None = None) -> bool:
    """Whether the assignments (``chosen``, default every one) are released from their exercises as they are."""
    return not stale_releases(course, chosen)


def record_release(course: Course, released: list[Assignment]) -> None:
    """Note that ``released`` were just released from their exercises as they are (the others keep their note)."""
    recorded = released_digests(course)
    recorded.update({a.name: exercises_digest(course, a) for a in released})
    write_stamp(course, RELEASE_STAMP, json.dumps(recorded, sort_keys=True))


def nothing_to_do(course: Course, submitted_dir: Path, time_limit: float = TIME_LIMIT, sandboxed: bool = True,
                  assignment: str | None = None) -> int:
    """How many students are graded and up to date (for ``assignment``, default every one), if
    nothing at all needs doing; 0 otherwise."""
    chosen = [a for a in course.assignments if not assignment or a.name == assignment]
    if not submitted_dir.is_dir():
        return 0
    work = units(course, submitted_dir, chosen)
    if not release_is_current(course, in_play(course, chosen, work)):
        return 0
    digests = {a.name: exercises_digest(course, a) for a in chosen}
    if not work or any(recorded_fingerprint(a, student) != whole_digest(submission_digest(
            a, submitted_dir, student, time_limit, sandboxed), digests[a.name]) for a, student in work):
        return 0
    current = outputs_digest(course)
    return len({student for _, student in work}) if current is not None and read_stamp(course, OUTPUTS_STAMP) == current else 0

"""Grades for learning platforms: `make export` writes exports/<platform>.csv from the gradebook.

One file per platform, in the format its gradebook importer reads, with one column per
assignment holding the student's score (autograded and graded by hand, less any late penalty;
an answer that waits to be graded by hand counts as not graded) and a blank where the student
has no submission:

- canvas.csv: ``Student`` ("Last, First"), ``ID`` (Canvas's user id: the student's LMS user id),
  ``SIS User ID``, ``SIS Login ID`` (the course's student id), ``Section``; a column per
  assignment headed ``<title> (<Canvas assignment id>)`` when the id is known, else the title;
  a second row ``Points Possible``.
- moodle.csv: one identifying column (``CourseExports.moodle_identity``: email, username (the
  student id) or idnumber (the LMS user id)), then a column per assignment.
- brightspace.csv: ``OrgDefinedId`` (the LMS user id) and ``Username`` (the student id), a column
  ``<title> Points Grade`` per assignment, and ``End-of-Line Indicator`` (``#``) last.
- blackboard.csv: ``Username`` (the student id), ``Last Name``, ``First Name``, a column per assignment.

Identities come from the gradebook's student table, which `make roster ROSTER=students.csv`
fills with nbgrader's own import. Which platforms, the assignments' titles and Canvas ids come
from nbgrader_config.py (``CourseExports``: ``platforms``, ``titles``, ``canvas_ids``); a title
defaults to the assignment's name.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path

from traitlets import Dict, Enum, List, TraitError, Unicode, validate
from traitlets.config import Configurable

from penguin_course.course.directory import Course
from penguin_course.course.nbgrader_cli import nbgrader
from penguin_course.course.student_ids import is_student_id, refusal
from penguin_course.outputs import spreadsheets

EXPORTS = "exports"
MOODLE_IDENTITIES = {"email": "Email address", "username": "Username", "idnumber": "ID number"}
ROSTER_COLUMNS = ["id", "first_name", "last_name", "email", "lms_user_id"]


class ExportError(RuntimeError):
    pass


@dataclass
class Student:
    id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str
    scores: dict[str, float]  # assignment -> score, for those submitted


@dataclass
class Gradebook:
    """What the exports are written from: the assignments (name -> points possible) and the students."""

    assignments: dict[str, float]
    students: list[Student]


def read_gradebook(course: Course) -> Gradebook:
    """Every assignment and student of the course's gradebook, with each submission's score."""
    if not course.gradebook_exists():
        raise ExportError(f"there is no gradebook in {course.root}: grade first (make grade)")
    with course.gradebook() as gradebook:
        assignments = {assignment.name: float(assignment.max_score)
                       for assignment in sorted(gradebook.assignments, key=lambda assignment: assignment.name)}
        students = []
        for student in sorted(gradebook.students, key=lambda student: student.id):
            scores = {}
            for submission in student.submissions:
                penalty = submission.late_submission_penalty or 0.0
                scores[submission.assignment.name] = max(0.0, float(submission.score) - float(penalty))
            students.append(Student(student.id, student.first_name or "", student.last_name or "",
                                    student.email or "", student.lms_user_id or "", scores))
    return Gradebook(assignments, students)


class CourseExports(Configurable):
    """What `make export` writes, set in nbgrader_config.py (``c.CourseExports.…``)."""

    platforms = List(Unicode(), default_value=["canvas", "moodle", "brightspace", "blackboard"],
                     help="The learning platforms the course uses: a file is written for each, and `make export` "
                          "fails only when one of these cannot identify a student.").tag(config=True)
    titles = Dict(value_trait=Unicode(), help="Each assignment's column title (default: its name).").tag(config=True)
    canvas_ids = Dict(value_trait=Unicode(),
                      help="Each assignment's Canvas assignment id, for its column's title.").tag(config=True)
    moodle_identity = Enum(list(MOODLE_IDENTITIES), default_value="email",
                           help="What identifies a student in moodle.csv: email, username (the student id) or "
                                "idnumber (the LMS user id).").tag(config=True)

    @validate("platforms")
    def _known_platforms(self, proposal):
        unknown = [name for name in proposal["value"] if name not in PLATFORMS]
        if unknown:
            raise TraitError(f"unknown platform {', '.join(map(repr, unknown))}: expected some of "
                             f"{', '.join(PLATFORMS)}")
        return proposal["value"]


def settings(course: Course) -> CourseExports:
    """The course's export settings (nbgrader_config.py's ``c.CourseExports``); ExportError if one is wrong."""
    try:
        return CourseExports(config=course.config)
    except TraitError as error:
        raise ExportError(f"nbgrader_config.py: c.CourseExports: {error}") from None


def score_text(student: Student, assignment: str) -> str:
    return f"{student.scores[assignment]:g}" if assignment in student.scores else ""


def canvas(book: Gradebook, options: CourseExports) -> tuple[list[list[str]], list[str]]:
    titles = [options.titles.get(name, name) for name in book.assignments]
    headers = [f"{title} ({options.canvas_ids[name]})" if name in options.canvas_ids else title
               for name, title in zip(book.assignments, titles)]
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *headers],
            ["Points Possible", "", "", "", "", *(f"{points:g}" for points in book.assignments.values())]]
    for student in book.students:
        name = ", ".join(part for part in (student.last_name, student.first_name) if part) or student.id
        rows.append([name, student.lms_user_id, "", student.id, "",
                     *(score_text(student, assignment) for assignment in book.assignments)])
    return rows, []  # the student id always identifies the student (SIS Login ID)


def moodle(book: Gradebook, options: CourseExports) -> tuple[list[list[str]], list[str]]:
    identity = options.moodle_identity
    value = {"email": lambda s: s.email, "username": lambda s: s.id, "idnumber": lambda s: s.lms_user_id}[identity]
    rows = [[MOODLE_IDENTITIES[identity], *(options.titles.get(name, name) for name in book.assignments)]]
    missing = [student.id for student in book.students if not value(student)]
    rows += [[value(student), *(score_text(student, a) for a in book.assignments)]
             for student in book.students if value(student)]
    return rows, [f"{student} (no {MOODLE_IDENTITIES[identity].lower()})" for student in missing]


def brightspace(book: Gradebook, options: CourseExports) -> tuple[list[list[str]], list[str]]:
    rows = [["OrgDefinedId", "Username",
             *(f"{options.titles.get(name, name)} Points Grade" for name in book.assignments),
             "End-of-Line Indicator"]]
    rows += [[student.lms_user_id, student.id, *(score_text(student, a) for a in book.assignments), "#"]
             for student in book.students]
    return rows, []


def blackboard(book: Gradebook, options: CourseExports) -> tuple[list[list[str]], list[str]]:
    rows = [["Username", "Last Name", "First Name", *(options.titles.get(name, name) for name in book.assignments)]]
    rows += [[student.id, student.last_name, student.first_name, *(score_text(student, a) for a in book.assignments)]
             for student in book.students]
    return rows, []


PLATFORMS = {"canvas": canvas, "moodle": moodle, "brightspace": brightspace, "blackboard": blackboard}


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """A CSV file as spreadsheets and importers read it: quoted where needed, every value as text
    (an id keeps its leading zeros), none as a formula (``spreadsheets.inert``), UTF-8 with a
    byte-order mark (Excel reads accents right)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        csv.writer(file, lineterminator="\r\n").writerows(spreadsheets.inert_rows(rows))


def export(course: Course) -> tuple[list[Path], list[str]]:
    """exports/<platform>.csv for every platform the course uses (``CourseExports.platforms``); (the
    files, the students a platform could not identify, named with the platform: they are left out
    of its file)."""
    options = settings(course)
    book = read_gradebook(course)
    written, unidentified = [], []
    for platform in options.platforms:
        rows, missing = PLATFORMS[platform](book, options)
        path = course.root / EXPORTS / f"{platform}.csv"
        write_csv(path, rows)
        written.append(path)
        unidentified += [f"{platform}: {student}" for student in missing]
    return written, unidentified


def import_roster(course: Course, roster: Path) -> int:
    """Add or update the gradebook's students from ``roster`` (a CSV file with the columns
    id, first_name, last_name, email, lms_user_id; only id is required) with nbgrader's own
    ``nbgrader db student import``; how many students it holds."""
    if not roster.is_file():
        raise ExportError(f"there is no roster at {roster}: expected a CSV file with the columns "
                          f"{', '.join(ROSTER_COLUMNS)}")
    with roster.open(newline="", encoding="utf-8-sig") as file:
        header = next(csv.reader(file), [])
        rows = [(line, row) for line, row in enumerate(csv.reader(file), start=2) if any(row)]
    if "id" not in header:
        raise ExportError(f"{roster}: the first line names the columns, and one must be 'id' (the student id); "
                          f"found {', '.join(header) or 'nothing'}; expected {', '.join(ROSTER_COLUMNS)}")
    column = header.index("id")
    wrong = [f"line {line}: {refusal(row[column] if column < len(row) else '', 'the id column')}"
             for line, row in rows if not is_student_id(row[column] if column < len(row) else "")]
    if wrong:
        raise ExportError(f"{roster}: nothing was imported; {'; '.join(wrong)}")
    count = len(rows)
    # nbgrader reads the file as plain UTF-8: a spreadsheet's byte-order mark would hide the 'id' column
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / roster.name
        plain.write_text(roster.read_text(encoding="utf-8-sig"), encoding="utf-8")
        nbgrader(course, "db", "student", "import", str(plain))
    return count

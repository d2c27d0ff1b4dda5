"""Deadlines: the course's late policy, extensions, and how late each submission was.

nbgrader keeps what lateness needs in the gradebook: each assignment's due date (set in
formgrader, *Manage Assignments*), each submission's time and an extension per student, and its
``AssignLatePenalties`` asks a late-submission plugin for each notebook's penalty when it is
graded. This module adds what nbgrader leaves out:

- due-dates.csv, each assignment's due date in the course repository (``read_due_dates``),
  reviewed like the rest and applied to whatever gradebook is in use, a fresh clone's in CI
  included: for the assignments it names it wins over formgrader's dialog; ``set_due_date`` is
  `make due`;

- ``LatePolicy``, the course's plugin: a share of the notebook's score per day, or part of one,
  past the student's deadline and a grace period (nbgrader's own knows only "none" and "zero");
  nbgrader_config.py names it and sets its numbers;
- extensions.csv, where an instructor gives a student more time (``read_extensions``): nbgrader
  has an extension per submission but no way to set it but its Python API;
- ``settle``: every submission's extension and every notebook's penalty set again from the due
  dates, extensions.csv and the policy as they are now. A due date changed in formgrader, a new
  extension or a hand grade (the penalty is a share of the score) then reaches every output,
  where nbgrader computes a penalty once, when it autogrades;
- ``lateness``: a row per submission (the deadline that applied, when it came, how late, the penalty).

Times in the gradebook are UTC; extensions.csv and the pages use the course's time zone,
``NbGraderAPI.timezone`` (formgrader's, UTC unless nbgrader_config.py says otherwise).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from dateutil import tz
from nbgrader.plugins import BasePlugin
from traitlets import Float
from traitlets.config import Config

from penguin_course.course.directory import Course
from penguin_course.outputs import spreadsheets

EXTENSIONS = "extensions.csv"
EXTENSION_COLUMNS = ["student_id", "assignment", "due"]
DUE_DATES = "due-dates.csv"
DUE_DATE_COLUMNS = ["assignment", "due"]
HOURS_AFTER = re.compile(r"^\+\s*(\d+(?:\.\d+)?)\s*(?:h|hours?)?$", re.IGNORECASE)
LATENESS_COLUMNS = ["assignment", "student_id", "due", "extended", "submitted", "late_by_seconds", "penalty"]


class DeadlinesFileError(ValueError):
    """A mistake in due-dates.csv or extensions.csv, naming the file and line."""


class ExtensionsError(DeadlinesFileError):
    pass


class DueDatesError(DeadlinesFileError):
    pass


class LatePolicy(BasePlugin):
    """The course's late policy, as nbgrader's ``AssignLatePenalties`` plugin: each notebook
    submitted past the student's deadline (and the grace period) loses ``percent_per_day``
    percent of its score for each day, or part of one, it was late; never more than its score."""

    grace_minutes = Float(0, help="Minutes past the deadline that count as on time.").tag(config=True)
    percent_per_day = Float(10, help="Percent of the notebook's score lost per day, or part of one, late "
                                     "(100: late work scores 0).").tag(config=True)

    def days_late(self, total_seconds_late: float) -> int:
        """The days, or parts of one, that count as late."""
        counted = total_seconds_late - 60 * self.grace_minutes
        return math.ceil(counted / 86400) if counted > 0 else 0

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        days = self.days_late(total_seconds_late)
        if days == 0:
            return None
        return round(min(score, score * self.percent_per_day / 100 * days), 6)  # no 5.1000000000000005

    def describe(self) -> str:
        grace = f" after a grace period of {self.grace_minutes:g} minutes" if self.grace_minutes else ""
        return f"each day, or part of one, late{grace} takes {self.percent_per_day:g}% off a notebook's score"


def late_plugin(config: Config) -> BasePlugin:
    """The late-submission plugin nbgrader_config.py (``config``) chooses, configured as nbgrader's
    AssignLatePenalties configures it."""
    from nbgrader.preprocessors import AssignLatePenalties

    penalties = AssignLatePenalties(config=config)
    penalties.init_plugin()
    return penalties.plugin_inst


def policy_text(config: Config) -> str:
    """The late policy in words, for the pages students read."""
    plugin = late_plugin(config)
    if isinstance(plugin, LatePolicy):
        return plugin.describe()
    method = getattr(plugin, "penalty_method", None)
    return {"none": "late work loses nothing", "zero": "late work scores 0"}.get(method, type(plugin).__name__)


def course_timezone(config: Config) -> str:
    """formgrader's time zone (``NbGraderAPI.timezone``), in which due dates are entered and shown."""
    return str(config.NbGraderAPI.get("timezone", "UTC"))


def lateness_line(submitted: datetime, due: datetime, assignment_due: datetime, penalty: float | None,
                  config: Config) -> str:
    """What a feedback page says of a notebook's lateness: when it was submitted, the deadline that
    applied (the student's own, with an extension) and what being late cost."""
    zone = course_timezone(config)
    deadline = f"the deadline ({shown(due, zone)})"
    if due != assignment_due:
        deadline = (f"your deadline ({shown(due, zone)}, with the extension you were given; the assignment's "
                    f"was {shown(assignment_due, zone)})")
    if submitted <= due:
        return f"Submitted {shown(submitted, zone)}, before {deadline}."
    cost = (f"the late penalty takes {penalty:g} point{'' if penalty == 1 else 's'} off this notebook's score"
            if penalty else "no penalty")
    return (f"**Submitted {shown(submitted, zone)}, {duration((submitted - due).total_seconds())} after "
            f"{deadline}**: {cost} (the course's late policy: {policy_text(config)}).")


def to_utc(moment: datetime, zone: str) -> datetime:
    """A naive UTC time, as the gradebook keeps them, from ``moment`` (naive: in ``zone``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz.gettz(zone))
    return moment.astimezone(tz.UTC).replace(tzinfo=None)


def shown(moment: datetime | None, zone: str) -> str:
    """A gradebook time (naive UTC) in the course's time zone, as a person reads it."""
    if moment is None or moment != moment:  # None, or pandas' NaT
        return ""
    return moment.replace(tzinfo=tz.UTC).astimezone(tz.gettz(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def duration(seconds: float) -> str:
    """``seconds`` in words: "24 seconds", "3 hours 5 minutes", "2 days 1 hour"."""
    seconds = int(round(seconds))
    parts = [(seconds // 86400, "day"), (seconds % 86400 // 3600, "hour"), (seconds % 3600 // 60, "minute"),
             (seconds % 60, "second")]
    words = [f"{count} {unit}{'s' if count != 1 else ''}" for count, unit in parts if count]
    return " ".join(words[:2]) or "0 seconds"


@dataclass(frozen=True)
class DueDate:
    line: int
    due: datetime  # naive UTC


@dataclass(frozen=True)
class Extension:
    line: int
    due: datetime | None  # naive UTC; None: hours after a due date the assignment does not have yet


def parse_due(text: str, assignment_due: datetime | None, zone: str, hours_after: bool = True) -> datetime | None:
    """A due column: ``+hours`` after the assignment's due date (None while it has none; unless
    ``hours_after`` is False: an assignment's own), or a date-time (in ``zone`` unless it names its
    offset); ValueError saying what was expected."""
    hours = HOURS_AFTER.match(text)
    if hours and hours_after:
        return assignment_due + timedelta(hours=float(hours.group(1))) if assignment_due is not None else None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        expected = f"a date and time such as 2026-12-18 17:00 (in {zone}, or with an offset such as +01:00)"
        if hours_after:
            expected += " or hours after the assignment's due date such as +48"
        elif hours:
            expected += "; hours after a due date are for extensions.csv"
        raise ValueError(f"due '{text}': expected {expected}") from None
    if not re.search(r"\d[T ]\d", text):
        raise ValueError(f"due '{text}' has no time of day: write one, such as {text} 23:59")
    return to_utc(moment, zone)


def read_rows(path: Path, columns: list[str], error: type[DeadlinesFileError]) -> list[tuple[str, int, list[str]]]:
    """The lines of a deadlines file (``columns``, then one line each; blank lines and lines starting
    with # skipped) as (where, line number, stripped values); ``error`` naming the line of a wrong
    header or a line with another number of values."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    header = [column.strip() for column in rows[0]] if rows else []
    if header != columns:
        raise error(f"{path}, line 1: expected the columns {','.join(columns)}; found {','.join(header) or 'nothing'}")
    found = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(field.strip() for field in row) or row[0].lstrip().startswith("#"):
            continue  # a blank line or a comment
        where = f"{path}, line {number}"
        if len(row) != len(columns):
            raise error(f"{where}: expected {len(columns)} values ({', '.join(columns)}); found {len(row)}")
        found.append((where, number, [field.strip() for field in row]))
    return found


def read_due_dates(course: Course, path: Path | None = None) -> dict[str, DueDate]:
    """due-dates.csv (assignment, due: a date-time; ``path`` instead, if given) as each assignment's
    due date, by name; none if there is no such file. DueDatesError naming the line of the first
    mistake: a file with one is not used at all."""
    path = path or course.root / DUE_DATES
    if not path.is_file():
        return {}
    zone = course_timezone(course.config)
    names = [assignment.name for assignment in course.assignments]
    dates: dict[str, DueDate] = {}
    for where, number, (assignment, due_text) in read_rows(path, DUE_DATE_COLUMNS, DueDatesError):
        if assignment not in names:
            raise DueDatesError(f"{where}: there is no assignment '{assignment}' in source/ "
                                f"(expected one of {', '.join(names) or 'none'})")
        try:
            due = parse_due(due_text, None, zone, hours_after=False)
        except ValueError as error:
            raise DueDatesError(f"{where}: {error}") from None
        if assignment in dates:
            raise DueDatesError(f"{where}: {assignment} already has a due date on line {dates[assignment].line}")
        dates[assignment] = DueDate(number, due)
    return dates


def set_due_date(course: Course, assignment: str, due_text: str) -> DueDate:
    """`make due`: ``assignment``'s line in due-dates.csv set to ``due_text`` (added, or replaced in
    place; comments and other lines kept; the file created with its header if there is none),
    after checking it as ``read_due_dates`` would: nothing is written if it is wrong."""
    path = course.root / DUE_DATES
    lines = path.read_text(encoding="utf-8-sig").splitlines() if path.is_file() else [",".join(DUE_DATE_COLUMNS)]
    written = io.StringIO()
    csv.writer(written, lineterminator="").writerow([assignment, due_text])
    new_line = written.getvalue()
    mine = [index for index, line in enumerate(lines)
            if index and not line.lstrip().startswith("#") and next(csv.reader([line]), [""])[0].strip() == assignment]
    if mine:
        lines[mine[0]] = new_line
    else:
        lines.append(new_line)
    text = "\n".join(lines) + "\n"
    scratch = path.with_name(f".{DUE_DATES}.new")
    scratch.write_text(text, encoding="utf-8")
    try:  # read as the course will read it, before it replaces the file
        checked = read_due_dates(course, scratch)
    except DueDatesError as error:
        scratch.unlink()
        raise DueDatesError(str(error).replace(str(scratch), str(path))) from None
    scratch.replace(path)
    return checked[assignment]


def read_extensions(course: Course, due_dates: dict[str, datetime | None]) -> dict[tuple[str, str], Extension]:
    """extensions.csv (student_id, assignment, due: a date-time or +hours) as each student's own
    deadline, by (student, assignment); none if there is no such file. ExtensionsError naming the
    line of the first mistake: a file with one is not used at all."""
    path = course.root / EXTENSIONS
    if not path.is_file():
        return {}
    zone = course_timezone(course.config)
    extensions: dict[tuple[str, str], Extension] = {}
    for where, number, (student, assignment, due_text) in read_rows(path, EXTENSION_COLUMNS, ExtensionsError):
        if not student:
            raise ExtensionsError(f"{where}: the student_id is empty")
        if assignment not in due_dates:
            raise ExtensionsError(f"{where}: there is no assignment '{assignment}' "
                                  f"(expected one of {', '.join(sorted(due_dates)) or 'none: release one first'})")
        try:
            due = parse_due(due_text, due_dates[assignment], zone)
        except ValueError as error:
            raise ExtensionsError(f"{where}: {error}") from None
        if None not in (due, due_dates[assignment]) and due < due_dates[assignment]:
            raise ExtensionsError(f"{where}: {shown(due, zone)} is before the assignment's own due date "
                                  f"({shown(due_dates[assignment], zone)}): an extension gives more time")
        if (student, assignment) in extensions:
            raise ExtensionsError(f"{where}: {student} already has an extension for {assignment} on line "
                                  f"{extensions[(student, assignment)].line}")
        extensions[(student, assignment)] = Extension(number, due)
    return extensions


def due_dates(course: Course) -> dict[str, datetime | None]:
    """The due date of each assignment in source/ or the gradebook (naive UTC; None if it has none):
    due-dates.csv's for those it names, else the gradebook's (formgrader's dialog)."""
    from nbgrader.api import Assignment

    dates: dict[str, datetime | None] = {assignment.name: None for assignment in course.assignments}
    if course.gradebook_exists():
        with course.gradebook() as gradebook:
            dates.update({assignment.name: assignment.duedate for assignment in gradebook.db.query(Assignment)})
    dates.update({name: date.due for name, date in read_due_dates(course).items()})
    return dates


def apply_due_dates(course: Course, gradebook) -> tuple[bool, list[str]]:
    """due-dates.csv's dates written to ``gradebook`` (an open nbgrader Gradebook) where it differs;
    whether it changed, and a note for each date formgrader had set otherwise (the file wins)."""
    from nbgrader.api import MissingEntry

    zone, changed, notes = course_timezone(course.config), False, []
    for name, date in read_due_dates(course).items():
        try:
            before = gradebook.find_assignment(name).duedate
        except MissingEntry:
            before = None
        if before == date.due:
            continue
        if before is not None:
            notes.append(f"{DUE_DATES}, line {date.line}: {name} is due {shown(date.due, zone)}; the gradebook had "
                         f"{shown(before, zone)} (set in formgrader?): the file's date wins")
        gradebook.update_or_create_assignment(name, duedate=date.due)
        changed = True
    return changed, notes


def settle(course: Course, student: str | None = None) -> list[str]:
    """Set each assignment's due date from due-dates.csv, every submission's (``student``'s only, if
    given) extension from extensions.csv and every notebook's late penalty from the policy, the due
    dates and the submission times, writing the gradebook only where something changed; notes on
    due dates the file overrode and extensions that cannot apply yet. DeadlinesFileError, changing
    nothing, when either file has a mistake."""
    from nbgrader.api import SubmittedAssignment

    if not course.gradebook_exists():
        return []
    dates = due_dates(course)
    extensions = read_extensions(course, dates)
    plugin = late_plugin(course.config)
    with course.gradebook() as gradebook:
        changed, notes = apply_due_dates(course, gradebook)  # before the submissions' lateness is read
        submissions = gradebook.db.query(SubmittedAssignment)
        if student is not None:
            submissions = submissions.filter(SubmittedAssignment.student_id == student)
        for submission in submissions:
            due = dates.get(submission.assignment.name)
            extension = extensions.get((submission.student_id, submission.assignment.name))
            extra = extension.due - due if extension is not None and None not in (extension.due, due) else None
            if extension is not None and due is None:
                notes.append(f"{EXTENSIONS}, line {extension.line}: {submission.assignment.name} has no due date "
                             f"yet, so the extension of {submission.student_id} waits for one (set it in "
                             "formgrader, Manage Assignments)")
            if submission.extension != extra:
                submission.extension, changed = extra, True
            seconds_late = submission.total_seconds_late
            for notebook in submission.notebooks:
                penalty = None
                if seconds_late > 0:
                    penalty = plugin.late_submission_penalty(submission.student_id, notebook.score, seconds_late)
                    if penalty is not None:  # as nbgrader's AssignLatePenalties bounds it
                        penalty = min(max(penalty, 0.0), notebook.score)
                if notebook.late_submission_penalty != penalty:
                    notebook.late_submission_penalty, changed = penalty, True
        if changed:
            gradebook.db.commit()
    return notes


def lateness(course: Course) -> pd.DataFrame:
    """A row per submission in the gradebook: the deadline that applied (the student's own if they
    have an extension), when it was submitted, how many seconds late, and the penalty of its notebooks."""
    import pandas as pd  # here: nbgrader_config.py imports this module (through feedback) for every nbgrader command
    from nbgrader.api import SubmittedAssignment

    rows = []
    if course.gradebook_exists():
        with course.gradebook() as gradebook:
            for submission in gradebook.db.query(SubmittedAssignment):
                penalty = sum(notebook.late_submission_penalty or 0.0 for notebook in submission.notebooks)
                rows.append((submission.assignment.name, submission.student_id, submission.duedate,
                             submission.extension is not None, submission.timestamp,
                             float(submission.total_seconds_late), float(penalty)))
    table = pd.DataFrame(rows, columns=LATENESS_COLUMNS)
    return table.sort_values(["assignment", "student_id"], ignore_index=True)


def lateness_shown(course: Course) -> pd.DataFrame:
    """``lateness`` as people read it: times in the course's time zone, the late time in words too."""
    zone = course_timezone(course.config)
    table = lateness(course)
    late_by = table["late_by_seconds"].map(lambda seconds: duration(seconds) if seconds > 0 else "")
    table = table.assign(due=table["due"].map(lambda moment: shown(moment, zone)),
                         submitted=table["submitted"].map(lambda moment: shown(moment, zone)))
    table.insert(table.columns.get_loc("late_by_seconds"), "late_by", late_by)
    return table


def write_lateness(table, path: Path) -> Path:
    """exports/lateness.csv, from ``lateness_shown``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spreadsheets.inert_table(table).to_csv(path, index=False)
    return path

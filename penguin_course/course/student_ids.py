"""Which names the course takes as student ids.

A student id comes from outside: a login name through nbgrader's exchange (a student can submit
under any name: nbgrader takes ``CourseDirectory.student_id`` from the student's own
configuration), a file name in a learning platform's download, a roster. It becomes a folder,
a gradebook entry, part of formgrader's URLs and of values in its pages' scripts, a cell of every
CSV. Formgrader puts it into its pages without escaping it, so the course takes only ids that
mean nothing in HTML, JavaScript, a URL, a path or a spreadsheet: letters (of any script), digits,
``.``, ``_``, ``-`` and ``@``, beginning with a letter or a digit, as login names, e-mail addresses
and learning platforms' ids are. Work under another name is left where it is and named, never
graded under it.
"""

from __future__ import annotations

import re
from pathlib import Path

STUDENT_ID = re.compile(r"[^\W_][\w.@-]{0,99}")
RULE = ("letters, digits, '.', '_', '-' and '@', beginning with a letter or a digit, at most 100 "
        "characters")


def is_student_id(name: str) -> bool:
    return STUDENT_ID.fullmatch(name) is not None


def refusal(name: str, where: str) -> str:
    """Why ``name`` (shown escaped, as Python writes it) is not taken, and what to do."""
    return (f"{name!r} in {where} is not a student id the course takes ({RULE}): it was left as it is; "
            "if it is a real student, rename it to their id")


def refused_folders(submitted: Path) -> list[str]:
    """The folders of ``submitted`` (submitted/) whose names are not student ids, each said why."""
    if not submitted.is_dir():
        return []
    return [refusal(path.name, str(submitted)) for path in sorted(submitted.iterdir())
            if path.is_dir() and not is_student_id(path.name)]

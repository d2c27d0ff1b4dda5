"""Bring submissions to submitted/<student id>/<assignment>/, where `make grade` grades them.

- Through nbgrader's exchange (`make collect`): ``nbgrader collect``, taking each student's
  latest submission.
- From a learning platform (`make zip-collect ARCHIVE=path`): the notebooks downloaded from
  it, as one zip (or folder) for the class or one per student, go through nbgrader's own
  ``zip_collect``. Each notebook must be named for its student:

      <student id>_<notebook>.ipynb     e.g. ada_1-inspect-dataset.ipynb

  in any folder of the zip. The student id cannot hold "_" or "/". nbgrader_config.py holds
  the pattern (FileNameCollectorPlugin.named_regexp); files that do not follow it are listed
  and left out, never guessed at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from penguin_course.course.assignments import UnknownAssignment
from penguin_course.course.directory import Course
from penguin_course.course.nbgrader_cli import nbgrader

class CollectError(RuntimeError):
    pass


def collect(course: Course, name: str | None = None) -> list[str]:
    """``nbgrader collect --update`` for every assignment (or the one called ``name``): every
    student's latest submission from the exchange; nbgrader's log of each."""
    try:
        chosen = course.select(name)
    except UnknownAssignment as error:
        raise CollectError(str(error)) from None
    return [nbgrader(course, "collect", assignment.name, "--update") for assignment in chosen]


def zip_collect(course: Course, archive: Path, name: str | None = None) -> tuple[list[str], list[str]]:
    """Collect the notebooks of ``archive`` (a zip, or a folder of notebooks and zips) for the
    assignment called ``name`` (needed only if the course has several) into submitted/; (the
    students in submitted/ with work for it, the files skipped because their names do not follow
    the pattern: they are listed, not guessed at)."""
    try:
        assignment = course.one(name, "the archive")
    except UnknownAssignment as error:
        raise CollectError(str(error)) from None
    if not archive.exists():
        raise CollectError(f"{archive} does not exist: give a zip file or a folder of the students' notebooks, "
                           "named <student id>_<notebook>.ipynb (ARCHIVE=path)")
    pattern = course.config.FileNameCollectorPlugin.named_regexp
    if not pattern:
        raise CollectError("nbgrader_config.py sets no FileNameCollectorPlugin.named_regexp: zip_collect cannot "
                           "tell the students apart")
    downloaded = course.root / "downloaded" / assignment.name
    incoming = downloaded / "archive"
    if incoming.exists():
        shutil.rmtree(incoming)
    if archive.is_dir():
        shutil.copytree(archive, incoming)
    else:
        incoming.mkdir(parents=True)
        shutil.copy2(archive, incoming / archive.name)
    log = nbgrader(course, "zip_collect", assignment.name, "--force")
    skipped = [Path(path).relative_to(downloaded / "extracted").as_posix()
               for path in re.findall(r"Skipped submission with no match information provided: (.*)", log)]
    return sorted(path.parent.name for path in course.submitted.glob(f"*/{assignment.name}")), skipped

"""Finding and reading a student's submitted notebooks, whatever state they are in.

A submission folder may lack a notebook, hold it under another name (browsers save a
second download as ``3-test-performance (1).ipynb``), or hold a file that is not a
notebook at all. Each expected notebook is resolved to a file, or to the reason there
is none, so that grading can record it and go on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from penguin_course.course.records import INVALID, MISSING  # noqa: F401  (re-exported: where they were)


class InvalidNotebook(ValueError):
    pass


@dataclass(frozen=True)
class SubmittedNotebook:
    expected: str  # the notebook's name in the assignment
    path: Path | None  # the file that holds it, if any
    note: str = ""  # how it was found, or why it was not


def normalised(name: str) -> str:
    """A file name without what copies and downloads add: ' (1)', 'Copy of ', '-Copy1', case."""
    stem = Path(name).stem.lower().strip()
    stem = re.sub(r"^copy of ", "", stem)
    stem = re.sub(r"\s*\(\d+\)$", "", stem)
    stem = re.sub(r"[-_ ]copy\d*$", "", stem)
    return re.sub(r"[\s_]+", "-", stem)


def find_notebooks(folder: Path, expected: list[str]) -> list[SubmittedNotebook]:
    """Resolve each expected notebook name to a file of ``folder``: the exact name first,
    else the one file whose name differs only by what copies and downloads add."""
    files = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    found = []
    for name in expected:
        if (folder / name).is_file():
            found.append(SubmittedNotebook(name, folder / name))
            continue
        candidates = [path for path in files if normalised(path.name) == normalised(name)]
        if candidates:
            # Of several copies, the one saved last is the student's latest work.
            chosen = max(candidates, key=lambda path: (path.stat().st_mtime, path.name))
            found.append(SubmittedNotebook(name, chosen, f"graded {chosen.name!r} as {name!r}"))
        else:
            others = ", ".join(repr(path.name) for path in files) or "no notebooks"
            found.append(SubmittedNotebook(name, None, f"expected {name!r} in {folder}, found {others}"))
    return found


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook in ``path``; InvalidNotebook saying what is wrong with the file otherwise."""
    text = path.read_bytes()
    if not text.strip():
        raise InvalidNotebook(f"{path.name} is empty")
    try:
        content = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidNotebook(f"{path.name} is not valid JSON ({error})") from None
    if not isinstance(content, dict) or "cells" not in content or "nbformat" not in content:
        raise InvalidNotebook(f"{path.name} is JSON but not a Jupyter notebook (it has no cells)")
    try:
        notebook = nbformat.reads(text.decode(), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several kinds for malformed notebooks
        raise InvalidNotebook(f"{path.name} is not a valid Jupyter notebook ({str(error).splitlines()[0]})") from None
    return notebook

"""What proves an assignment's tests from both sides, kept with the assignment in source/<name>/:

- ``wrong_answers.py``: a known wrong answer for every autograded test, ``WRONG_ANSWERS``
  ((notebook, grade id) -> ``wrong(notebook, cell, code, *tests it fails)``): the answer replaces
  the instructor's solution in one solution cell, and exactly the tests it names may fail; every
  other test of the notebook must still pass. ``PARTLY_WRONG`` names a few of them: the typical
  mistakes of the demo's partly wrong student (``demo``).
- ``sound_answers.py``: ``CORPUS``, students who fill in every notebook in one style, sound work
  in the idioms students bring, which must get full marks (student -> notebook -> solution cell ->
  code; ``Rewritten`` for a cell rewritten as a whole); and the same answers broken on purpose,
  which must fail the tests they break: ``COMMON_MUTATIONS`` (in every student's own code) and
  ``OWN_MUTATIONS`` (student -> theirs), each (notebook, old text, new text, tests that must fail).

The course tests run them all, for every assignment (``load``). Both files are the instructor's:
never released, given to students or the judge, nor part of what grading digests.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent
from typing import TYPE_CHECKING

from penguin_course.course.assignments import SOUND_ANSWERS_FILE, WRONG_ANSWERS_FILE

if TYPE_CHECKING:
    from penguin_course.course.assignments import Assignment


@dataclass(frozen=True)
class WrongAnswer:
    notebook: str
    cell: str  # the grade_id of the solution cell the answer replaces
    code: str
    fails: frozenset[str] = field(default_factory=frozenset)

    @property
    def answers(self) -> dict[str, str]:
        return {self.cell: dedent(self.code).strip()}


def wrong(notebook: str, cell: str, code: str, *fails: str) -> WrongAnswer:
    return WrongAnswer(notebook, cell, code, frozenset(fails))


def code(text: str) -> str:
    return dedent(text).strip()


class Rewritten(str):
    """A solution cell the student rewrote as a whole, the given lines around the stub included
    (e.g. ``target.head()``, which a NumPy target does not have): the cell's whole new source."""


# (notebook, old text, new text, tests that must fail): a substitution that breaks a sound answer
Mutation = tuple[str, str, str, set[str]]


@dataclass(frozen=True)
class KnownAnswers:
    """An assignment's proofs: its wrong answers (by notebook and test), the demo's typical
    mistakes among them, and its corpus of sound answers (empty where it has no such file)."""
    wrong_answers: dict[tuple[str, str], WrongAnswer]
    partly_wrong: list[tuple[str, str]]
    corpus: dict[str, dict[str, dict[str, str]]]
    common_mutations: list[Mutation] = field(default_factory=list)
    own_mutations: dict[str, list[Mutation]] = field(default_factory=dict)

    def mutations(self, student: str) -> list[Mutation]:
        """The substitutions that break ``student``'s answers: everyone's, then their own."""
        return self.common_mutations + self.own_mutations.get(student, [])


def _module(path: Path):
    """The Python file at ``path``, run as a module of its own (the instructor's file, trusted)."""
    name = f"_known_answers_{path.parent.name.replace('-', '_')}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling find it by name
    spec.loader.exec_module(module)
    return module


def load(assignment: Assignment) -> KnownAnswers:
    """The proofs kept with ``assignment`` (see the module's docstring)."""
    wrong_file, sound_file = assignment.proof_file(WRONG_ANSWERS_FILE), assignment.proof_file(SOUND_ANSWERS_FILE)
    wrong_module = _module(wrong_file) if wrong_file.is_file() else None
    sound_module = _module(sound_file) if sound_file.is_file() else None
    return KnownAnswers(wrong_answers=dict(getattr(wrong_module, "WRONG_ANSWERS", {})),
                        partly_wrong=list(getattr(wrong_module, "PARTLY_WRONG", [])),
                        corpus=dict(getattr(sound_module, "CORPUS", {})),
                        common_mutations=list(getattr(sound_module, "COMMON_MUTATIONS", [])),
                        own_mutations=dict(getattr(sound_module, "OWN_MUTATIONS", {})))

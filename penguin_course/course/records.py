"""What a run found for one student's work for an assignment: the run record.

The record (``grading.json`` in autograded/<student>/<assignment>/) keeps each notebook's status
and each graded cell's score, status, message and the digest of its answer: the outputs read
it beside the gradebook, and the next run tells from it what changed (see ``Course.read_run``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A notebook that could not be graded is MISSING or INVALID; a cell is PASSED, FAILED, ERROR,
# TIMEOUT or MANUAL.
MISSING, INVALID = "missing notebook", "invalid notebook"
PASSED, FAILED, ERROR, TIMEOUT, MANUAL = "passed", "failed", "error", "timeout", "needs manual grading"
RUN_RECORD = "grading.json"


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    status: str
    message: str = ""
    answer: str = ""  # of an answer cell: a digest of what the student wrote, to tell whether it changed


@dataclass
class NotebookResult:
    name: str
    status: str = ""  # "" when it ran, else MISSING, INVALID, TIMEOUT or ERROR (the kernel died)
    message: str = ""
    cells: list[CellResult] = field(default_factory=list)


@dataclass
class StudentResult:
    student: str
    notebooks: list[NotebookResult]
    seconds: float = 0.0
    start_seconds: float = 0.0  # of that, starting the sandbox and importing the libraries
    assignment: str = ""
    # what the judge received, kept (``kept_answers``): the file's digest, and the digests of the
    # submission and of the exercises but their tests it was graded against, and of each notebook
    # whose tests it was judged with (``uptodate``)
    kept: dict = field(default_factory=dict)
    replay: str = ""  # "replayed" when judged again from kept answers; else why that could not be done, if tried


def result_from_dict(saved: dict, assignment: str) -> StudentResult:
    """A StudentResult from its record's JSON (KeyError or TypeError if it is not one)."""
    notebooks = [NotebookResult(n["name"], n["status"], n["message"], [CellResult(**c) for c in n["cells"]])
                 for n in saved["notebooks"]]
    kept = saved.get("kept") or {}
    return StudentResult(saved["student"], notebooks, saved["seconds"], assignment=assignment,
                         kept={str(k): {str(n): str(d) for n, d in v.items()} if isinstance(v, dict) else str(v)
                               for k, v in dict(kept).items()}, replay=str(saved.get("replay", "")))

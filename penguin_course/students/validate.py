"""A student's check of a notebook before submitting: `make validate NOTEBOOK=path`.

It runs the notebook as the grader will: in a fresh kernel, top to bottom, in the notebook's
own folder, within the grader's time limit, with the test cells as they were handed out
(a test the student edited or deleted is put back, as the grader puts it back). It prints
every check that fails and exits non-zero if any does. nbgrader's own ``validate`` prints
"VALIDATION FAILED" and still exits 0, so a script cannot rely on it.

Only the visible tests run here: the hidden ones run when the notebook is graded. (An
instructor who validates a source notebook, which still holds its hidden tests, gets every test
run, the hidden ones labelled as such.) When it is
graded, the tests run outside the student's kernel and get the answers as data (``crossing``):
so before each visible test, the kernel is asked whether the names it reads would cross, and a
test whose answer would be refused fails here with the message the grade would give. So do the
model files the notebook saved, which a hidden test loads.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async
from nbgrader.utils import determine_grade

from penguin_course.course.notebooks import (GRADING_ENV, STUB, TEXT_STUB, failure_message, grade_id, has_hidden_tests,
                                             is_autograded_test, is_solution, read, restore_tests)
from penguin_course.course.directory import Course
from penguin_course.course.paths import ROOT
from penguin_course.isolation import crossing
from penguin_course.course.submissions import InvalidNotebook, normalised, read_notebook

TIME_LIMIT = 180  # seconds for the whole notebook, as when it is graded
CELL_TIME_LIMIT = 300  # seconds per cell (nbgrader_config.py's Execute.timeout)


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    message: str = ""
    hidden: bool = False  # a test with hidden parts: only a source notebook has them

    @property
    def label(self) -> str:
        return f"{self.name} (hidden)" if self.hidden else self.name


def released_copy(path: Path, release_dir: Path | None = None) -> Path | None:
    """The notebook as it was handed out, if ``path`` is one of an assignment's (by name): in
    ``release_dir``, or in release/<assignment>/ of the course (the assignment of the notebook's
    folder's name first, as students keep it: <assignment>/<notebook>.ipynb)."""
    folders = [release_dir] if release_dir is not None else sorted(
        (a.release for a in Course(ROOT).assignments), key=lambda folder: folder.name != path.parent.name)
    for folder in folders:
        for released in sorted(folder.glob("*.ipynb")):
            if normalised(path.name) == normalised(released.name):
                return released
    return None


def with_released_tests(notebook, released) -> tuple[nbformat.NotebookNode, list[Check]]:
    """The notebook with its test cells as handed out; a failed check for each test cell it lacks."""
    present = {grade_id(cell) for cell in notebook.cells}
    deleted = [Check(grade_id(cell), False, "this test cell was deleted: the grader puts it back and runs it")
               for cell in released.cells if is_autograded_test(cell) and grade_id(cell) not in present]
    return restore_tests(notebook, released), deleted


def unanswered(notebook) -> list[Check]:
    """The answer cells still holding the stub they were handed out with."""
    return [Check(grade_id(cell), False, "not answered yet")
            for cell in notebook.cells
            if is_solution(cell) and (STUB in cell.source or TEXT_STUB in cell.source)]


def working_copy(folder: Path, scratch: Path, release_dir: Path) -> None:
    """What the grader runs a notebook beside: the student's files, then the assignment's own
    (the dataset, the tests' helpers) over them. The student's folder is left as it is."""
    for source in (folder, release_dir):
        if source.is_dir():
            for path in source.iterdir():
                if path.is_file() and path.suffix != ".ipynb":
                    shutil.copy2(path, scratch / path.name)


def names_read(source: str) -> list[str]:
    """The names a test cell reads and does not define itself (and those it looks up in ``globals()``):
    the student's answers it checks."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    bound = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    bound |= {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
              if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    read = [node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)]
    if "globals" in read:
        read += [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                 and isinstance(node.value, str) and node.value.isidentifier()]
    return sorted({name for name in read if name not in bound and name not in dir(builtins)})


class CrossingProbe(NotebookClient):
    """nbclient's executor that, before each visible test, asks the kernel whether the names the test
    reads would cross to the judge as grading sends them, and after the last cell whether the model
    files the notebook saved would: grading's refusals, by test (or file), in ``refusals``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusals: dict[str, list[str]] = {}
        self.primed = False

    async def ask(self, cell, request: dict) -> dict[str, str]:
        folder = Path(self.resources["metadata"]["path"])
        out = folder / f".validate-{secrets.token_hex(8)}.json"
        code = ([] if self.primed else [crossing.bootstrap_code()]) + [
            f"__import__('sys').modules[{crossing.KERNEL_MODULE!r}].probe({json.dumps({**request, 'out': str(out)})!r})"]
        self.primed = True
        for line in code:
            message_id = await ensure_async(self.kc.execute(line, silent=True, store_history=False,
                                                            allow_stdin=False, stop_on_error=False))
            await self.async_wait_for_reply(message_id, cell)
        try:
            return json.loads(out.read_text())
        except (OSError, ValueError):
            return {}
        finally:
            out.unlink(missing_ok=True)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if is_autograded_test(cell) and not hidden_only(cell) and names_read(cell.source):
            refused = await self.ask(cell, {"names": names_read(cell.source)})
            if refused:
                self.refusals[grade_id(cell)] = list(refused.values())
        executed = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell_index == len(self.nb.cells) - 1:
            files = sorted(path.name for path in Path(self.resources["metadata"]["path"]).glob("*.keras"))
            for name, message in (await self.ask(cell, {"files": files}) if files else {}).items():
                self.refusals[name] = [message]
        return executed


def run(notebook, folder: Path, time_limit: float = TIME_LIMIT) -> tuple[str, dict[str, list[str]]]:
    """Execute ``notebook`` in place in a fresh kernel in ``folder``: "" or why it stopped early, and
    what would not cross to the judge when graded (by test, or model file)."""
    deadline = time.monotonic() + time_limit
    client = CrossingProbe(notebook, timeout=CELL_TIME_LIMIT, allow_errors=True, kernel_name="python3",
                           resources={"metadata": {"path": str(folder)}})
    client.extra_arguments = ["--IPKernelApp.log_level=ERROR"]  # the kernel's own log is not the notebook's
    client.timeout_func = lambda cell: max(1, int(min(CELL_TIME_LIMIT, deadline - time.monotonic())))
    try:
        client.execute(env={**os.environ, **GRADING_ENV})
    except CellTimeoutError:
        return (f"the notebook ran past the grader's time limit ({time_limit:g} s): the cells after it do not count",
                client.refusals)
    except DeadKernelError:
        return "the kernel died (the notebook crashed Python or ran out of memory)", client.refusals
    return "", client.refusals


def hidden_only(cell) -> bool:
    """A test cell whose checks are all hidden: it is empty here, and checks nothing until graded."""
    try:
        return not ast.parse(cell.source).body
    except SyntaxError:
        return False


def in_source(path: Path) -> bool:
    """Whether ``path`` is one of the course's source notebooks (never, in the students' tools)."""
    return Course(ROOT).source.resolve() in path.resolve().parents


def validate(path: Path, time_limit: float = TIME_LIMIT, release_dir: Path | None = None) -> tuple[list[Check], str]:
    """(the result of every check of the notebook at ``path``, why the run stopped early or "")."""
    notebook = read_notebook(path)
    checks = []
    released = released_copy(path, release_dir)
    if released is not None and not in_source(path):  # a source notebook's tests are the truth
        notebook, checks = with_released_tests(notebook, read(released))
    with tempfile.TemporaryDirectory(prefix="penguin-validate-") as scratch:
        working_copy(path.parent, Path(scratch), released.parent if released is not None else path.parent)
        problem, refusals = run(notebook, Path(scratch), time_limit)
    for cell in notebook.cells:
        if is_autograded_test(cell) and not hidden_only(cell):
            score, max_score = determine_grade(cell)
            message = failure_message(cell) or ("not run" if problem and not cell.get("outputs") else "")
            # A value the grader cannot send to the tests fails them when graded, whatever it did here.
            message = "; ".join(f"CrossingRefused: {refusal}" for refusal in refusals.pop(grade_id(cell), [])) or message
            checks.append(Check(grade_id(cell), score >= max_score and not message, message, has_hidden_tests(cell)))
    checks += [Check(name, False, f"CrossingRefused: {' '.join(messages)} (a hidden test loads it when graded)")
               for name, messages in refusals.items()]
    return checks + unanswered(notebook), problem


def main(path: Path, time_limit: float = TIME_LIMIT, release_dir: Path | None = None) -> int:
    """Print the checks of the notebook at ``path`` (as handed out in ``release_dir``, or found in the
    course's release/); 0 if every one passes, else 1."""
    if not path.is_file():
        print(f"{path}: no such notebook (give the path of a .ipynb file)")
        return 2
    try:
        checks, problem = validate(path, time_limit, release_dir)
    except InvalidNotebook as error:
        print(f"{path}: {error}")
        return 1
    for check in checks:
        print(f"  {'PASS' if check.passed else 'FAIL'}  {check.label}" + (f": {check.message}" if check.message else ""))
    if problem:
        print(f"{path.name}: {problem}")
    failed = [check for check in checks if not check.passed]
    if failed or problem:
        print(f"{path.name}: {len(failed)} of {len(checks)} checks fail: fix them, then validate again")
        return 1
    hidden = sum(check.hidden for check in checks)
    if hidden:
        print(f"{path.name}: all {len(checks)} checks pass, {hidden} of them with hidden tests (a source notebook: "
              "students' validate runs the visible checks only)")
    else:
        print(f"{path.name}: all {len(checks)} visible checks pass (the hidden tests run when it is graded)")
    return 0

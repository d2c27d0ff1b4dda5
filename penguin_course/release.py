"""Generate the student version of the assignments: release/ from source/, with the students' tools."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from penguin_course import assignments, environments, student_cli
from penguin_course.assignments import Assignment
from penguin_course.nbgrader_cli import nbgrader
from penguin_course.paths import ROOT

PACKAGE = Path(__file__).parent


class ReleaseError(RuntimeError):
    """The release cannot be written as it should be."""
EPOCH = (1980, 1, 1, 0, 0, 0)  # every member's date in the bundle: the same inputs give the same bytes


def generate(assignment: Assignment) -> Path:
    """``nbgrader generate_assignment``: strip solutions and hidden tests, record the
    assignment in the gradebook, and write release/<assignment>/, with the students' tools."""
    nbgrader("generate_assignment", assignment.name, "--force", root=assignment.root)
    write_student_tools(assignment.release)
    return assignment.release


def generate_all(root: Path = ROOT, name: str | None = None) -> list[Path]:
    """Release every assignment of source/ (or the one called ``name``)."""
    return [generate(assignment) for assignment in assignments.select(root, name)]


def imported_modules(module: str) -> set[str]:
    """``module`` of the course's package and every module of it that it imports, directly or not."""
    found, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for node in ast.walk(ast.parse((PACKAGE / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == PACKAGE.name:
                todo += [alias.name for alias in node.names if (PACKAGE / f"{alias.name}.py").is_file()]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{PACKAGE.name}."):
                todo.append(node.module.split(".")[1])
    return found


def write_student_tools(folder: Path) -> Path:
    """``course_tools.pyz`` in a released assignment's ``folder``: the students' check and validate
    (``student_cli``) with what they import of the course's package, the students' pinned packages
    (environment.yml's), and the assignment's files as handed out, so that validate runs the tests
    as released and beside the given files, as the grader does. A zip application: no install."""
    target = folder / student_cli.TOOLS
    if not environments.ENVIRONMENT_YML.is_file():
        raise ReleaseError(f"{environments.ENVIRONMENT_YML} is missing: it is the students' environment, whose pins "
                           f"{student_cli.TOOLS} checks their machines against")
    members = {"__main__.py": b"import sys\n\nfrom penguin_course.student_cli import main\n\nsys.exit(main())\n",
               f"{PACKAGE.name}/__init__.py": (PACKAGE / "__init__.py").read_bytes(),
               student_cli.PINS: "".join(f"{line}\n" for line in environments.pip_section()).encode()}
    for module in sorted(imported_modules("student_cli")):
        members[f"{PACKAGE.name}/{module}.py"] = (PACKAGE / f"{module}.py").read_bytes()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != target.name:
            members[f"{student_cli.HANDED_OUT}/{path.name}"] = path.read_bytes()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return target

"""Generate the student version of the assignments: release/ from source/, with the students' tools."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from penguin_course.course.assignments import Assignment
from penguin_course.course.directory import Course
from penguin_course.course.nbgrader_cli import nbgrader
from penguin_course.setup import environments
from penguin_course.students import student_cli

PACKAGE = Path(__file__).parents[1]  # penguin_course/
STUDENT_CLI = "penguin_course.students.student_cli"


class ReleaseError(RuntimeError):
    """The release cannot be written as it should be."""
EPOCH = (1980, 1, 1, 0, 0, 0)  # every member's date in the bundle: the same inputs give the same bytes


def generate(assignment: Assignment) -> Path:
    """``nbgrader generate_assignment``: strip solutions and hidden tests, record the
    assignment in the gradebook, and write release/<assignment>/, with the students' tools."""
    nbgrader(assignment.course, "generate_assignment", assignment.name, "--force")
    write_student_tools(assignment.release)
    return assignment.release


def generate_all(course: Course, name: str | None = None) -> list[Path]:
    """Release every assignment of source/ (or the one called ``name``)."""
    return [generate(assignment) for assignment in course.select(name)]


def imported_modules(module: str) -> set[str]:
    """``module`` (dotted, of the course's package) and every module of the package that it imports,
    directly or not, with the packages that hold them."""
    found, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in found or not module_file(name).is_file():
            continue
        found.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:depth]) for depth in range(1, len(parts))]  # the packages above it
        for node in ast.walk(ast.parse(module_file(name).read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE.name):
                # ``from penguin_course.stage import module`` names modules; ``from ...module import x`` one
                todo += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def module_file(name: str) -> Path:
    """The file of module or package ``name`` (dotted, of the course's package)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def write_student_tools(folder: Path) -> Path:
    """``course_tools.pyz`` in a released assignment's ``folder``: the students' check and validate
    (``student_cli``) with what they import of the course's package, the students' pinned packages
    (environment.yml's), and the assignment's files as handed out, so that validate runs the tests
    as released and beside the given files, as the grader does. A zip application: no install."""
    target = folder / student_cli.TOOLS
    if not environments.ENVIRONMENT_YML.is_file():
        raise ReleaseError(f"{environments.ENVIRONMENT_YML} is missing: it is the students' environment, whose pins "
                           f"{student_cli.TOOLS} checks their machines against")
    members = {"__main__.py": f"import sys\n\nfrom {STUDENT_CLI} import main\n\nsys.exit(main())\n".encode(),
               student_cli.PINS: "".join(f"{line}\n" for line in environments.pip_section()).encode()}
    for module in sorted(imported_modules(STUDENT_CLI)):
        members[module_file(module).relative_to(PACKAGE.parent).as_posix()] = module_file(module).read_bytes()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != target.name:
            members[f"{student_cli.HANDED_OUT}/{path.name}"] = path.read_bytes()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return target

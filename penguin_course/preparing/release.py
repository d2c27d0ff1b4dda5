"""Generate the student version of the assignments: release/ from source/, with the students' tools."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade, is_locked, is_solution, is_task

from penguin_course.course import uptodate
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
    follow_test_cells(assignment)
    nbgrader(assignment.course, "generate_assignment", assignment.name, "--force")
    write_student_tools(assignment.release)
    return assignment.release


def is_test(cell) -> bool:
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_source_cell(cell) -> bool:
    """Whether nbgrader keeps the cell in the gradebook (``SaveCells``): to restore it, or to grade it."""
    return is_grade(cell) or is_solution(cell) or is_locked(cell) or is_task(cell)


def has_submissions_table(course: Course) -> bool:
    """Whether the gradebook has ever recorded a submission's notebook. Asked of the database itself:
    nbgrader's Gradebook would create an empty one, calling an ``alembic`` program that may not be on PATH."""
    if not course.gradebook_exists():
        return False
    import sqlalchemy

    engine = sqlalchemy.create_engine(course.db_url)
    try:
        return sqlalchemy.inspect(engine).has_table("submitted_notebook")
    finally:
        engine.dispose()


def follow_test_cells(assignment: Assignment) -> list[str]:
    """Test cells added to or removed from source/ since students were graded, applied to the gradebook
    before nbgrader releases; their grade ids.

    nbgrader refuses to add or remove any cell of a notebook that has submissions (jupyter/nbgrader#1646),
    so a test added after grading would stop the release. Tests are the course's, not the students':
    an added one gets its cell and an ungraded grade in each submission (grading scores it), a removed
    one goes with its grades, and the notebook's cells are listed again in source/'s order, where
    nbgrader's ``add_missing_cells`` puts a test back into a student's notebook. Any other cell added
    or removed is left to nbgrader, which refuses it as before."""
    from nbgrader.api import Grade, GradeCell, MissingEntry, SourceCell

    changed = []
    if not has_submissions_table(assignment.course):  # nothing graded yet
        return changed
    with assignment.course.gradebook() as gradebook:
        try:
            stored = gradebook.find_assignment(assignment.name)
        except MissingEntry:
            return changed
        for notebook in stored.notebooks:
            path = assignment.source / f"{notebook.name}.ipynb"
            if not notebook.submissions or not path.is_file():
                continue
            cells = [cell for cell in nbformat.read(path, as_version=4).cells if is_source_cell(cell)]
            tests = {cell.metadata.nbgrader.grade_id: cell for cell in cells if is_test(cell)}
            graded = {cell.name: cell for cell in notebook.grade_cells}
            answers = {cell.name for cell in notebook.solution_cells}
            stored_tests = {name for name, cell in graded.items() if name not in answers and cell.cell_type == "code"}
            added, removed = sorted(tests.keys() - graded.keys()), sorted(stored_tests - tests.keys())
            others = {cell.metadata.nbgrader.grade_id for cell in cells} - tests.keys()
            if not (added or removed) or others != {cell.name for cell in notebook.source_cells} - stored_tests:
                continue
            for name in removed:
                for row in [*graded[name].grades, *graded[name].comments, graded[name]]:
                    gradebook.db.delete(row)
            for name in added:
                cell = GradeCell(name=name, notebook=notebook, cell_type="code",
                                 max_score=float(tests[name].metadata.nbgrader.get("points", 0)))
                gradebook.db.add_all([cell, *(Grade(cell=cell, notebook=submitted) for submitted in notebook.submissions)])
            for source_cell in list(notebook.source_cells):
                gradebook.db.delete(source_cell)
            gradebook.db.flush()
            gradebook.db.add_all([SourceCell(name=cell.metadata.nbgrader.grade_id, notebook=notebook,
                                             cell_type=cell.cell_type, locked=is_locked(cell), source=cell.source)
                                  for cell in cells])
            gradebook.db.commit()
            changed += added + removed
    return changed


def generate_all(course: Course, name: str | None = None) -> list[Path]:
    """Release every assignment of source/ (or the one called ``name``), and note each current
    (``uptodate``): `make grade` then releases only what changed since."""
    return release(course, course.select(name))


def release(course: Course, chosen: list[Assignment]) -> list[Path]:
    """Release the ``chosen`` assignments, and note each current."""
    folders = [generate(assignment) for assignment in chosen]
    if chosen:
        uptodate.record_release(course, chosen)
    return folders


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

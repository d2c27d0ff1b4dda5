"""A student's laptop, as far as Linux can show it: a virtual environment made from the students'
pins alone (environment.yml's pip section, no instructor's tool, no course repository) runs the
students' tools handed out with the assignment: `python course_tools.pyz check` passes, and
`validate` passes a solved notebook and fails an untouched one, from a copy of the released folder.
(.github/workflows/student-setup.yml does the same with conda on Windows, macOS and Linux.)"""

import os
import shutil
import subprocess
import sys
import venv

import nbformat
import pytest

from penguin_course.preparing import demo
from penguin_course.setup import environments
from penguin_course.course import notebooks
from penguin_course.students import student_cli
from penguin_course.course.paths import NOTEBOOKS, RELEASE
from course_tests.conftest import DAY1

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def student_python(tmp_path_factory):
    """The Python of a fresh venv holding exactly the students' pins for Linux."""
    folder = tmp_path_factory.mktemp("student-venv")
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    pins = folder / "student-requirements.txt"
    pins.write_text("\n".join(environments.for_platform(environments.pip_section(), "linux")) + "\n")
    install = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", pins],
                             capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    return python


@pytest.fixture
def student_folder(tmp_path):
    """The assignment as a student has it: the released folder, somewhere of their own."""
    return shutil.copytree(RELEASE, tmp_path / "my-penguins")


def tools(python, folder, *args):
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run([python, student_cli.TOOLS, *args], cwd=folder, capture_output=True, text=True,
                          timeout=600, env=environment)


def test_the_students_environment_holds_no_instructors_tool(student_python):
    listed = subprocess.run([student_python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True)
    installed = {line.split("==")[0].lower().replace("_", "-") for line in listed.stdout.splitlines()}
    assert not installed & {"playwright", "pytest", "zizmor", "psycopg", "palmerpenguins"}
    assert {"tensorflow-cpu", "keras", "jupyterlab", "nbgrader", "pydot"} <= installed


def test_check_passes_on_the_students_environment_once_set_up(student_python, student_folder):
    before = tools(student_python, student_folder, "check")
    assert before.returncode == 1, before.stdout + before.stderr[-2000:]
    failed = [line for line in before.stdout.splitlines() if line.startswith("  FAIL")]
    assert len(failed) == 1 and "JupyterLab for students" in failed[0] and "course_tools.pyz setup" in failed[0]
    assert tools(student_python, student_folder, "setup").returncode == 0
    run = tools(student_python, student_folder, "check")
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    assert "All 7 checks passed" in run.stdout and "at the versions of the course" in run.stdout
    listed = subprocess.run([student_python, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True)
    assert "@jupyter/nbgrader:formgrader" in listed.stdout + listed.stderr  # listed as disabled


def test_validate_passes_a_solved_notebook_and_fails_an_untouched_one(student_python, student_folder):
    solved = NOTEBOOKS[1]
    nbformat.write(notebooks.fill(notebooks.read(RELEASE / solved), demo.answers_of(demo.COMPLETE, solved, DAY1)),
                   student_folder / solved)
    run = tools(student_python, student_folder, "validate", solved)
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    assert "visible checks pass" in run.stdout
    untouched = tools(student_python, student_folder, "validate", NOTEBOOKS[0])
    assert untouched.returncode == 1 and "not answered yet" in untouched.stdout


def test_validate_puts_back_a_test_the_student_weakened(student_python, student_folder):
    name = NOTEBOOKS[1]
    notebook = notebooks.fill(notebooks.read(RELEASE / name), demo.answers_of(demo.COMPLETE, name, DAY1))
    answer = next(cell for cell in notebook.cells if notebooks.grade_id(cell) == "n-params")
    answer.source = "n_params = 'eighty-three'"
    for cell in notebook.cells:
        if notebooks.is_autograded_test(cell):
            cell.source = "pass"
    nbformat.write(notebook, student_folder / name)
    run = tools(student_python, student_folder, "validate", name)
    assert run.returncode == 1 and "FAIL  test-n-params-type" in run.stdout, run.stdout

"""Two environments, one set of versions: requirements.txt is the instructors' and CI's (pip),
environment.yml the students' (conda), which pins what students use and what it needs, at the
versions of requirements.txt (see penguin_course.setup.environments)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from penguin_course.setup import environments
from penguin_course.setup.environments import STUDENT_PACKAGES, package, requirement_lines
from penguin_course.course.paths import ROOT

# The instructors' toolchain: releasing, grading, feedback, the course tests and CI's checks.
INSTRUCTOR_ONLY = {"playwright", "greenlet", "zizmor", "psycopg", "psycopg-binary", "pytest", "pytest-xdist",
                   "execnet", "iniconfig", "pluggy", "palmerpenguins", "latex2mathml", "tqdm"}


def conda_environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def pip_section() -> list[str]:
    return next(item["pip"] for item in conda_environment()["dependencies"] if isinstance(item, dict))


def requirements() -> list[Requirement]:
    return [Requirement(line) for line in requirement_lines((ROOT / "requirements.txt").read_text())]


def students() -> list[Requirement]:
    return [Requirement(line) for line in pip_section()]


def closure_problems(pins: list[Requirement], packages: tuple[str, ...]) -> list[str]:
    """What environment.yml's pins lack, or have too many, of the closure of ``packages``."""
    pinned = {package(pin.name) for pin in pins}
    needed = environments.closure(packages)
    return ([f"{name} is needed by the students' packages but not pinned in environment.yml"
             for name in sorted(needed - pinned)]
            + [f"{name} is pinned in environment.yml but none of the students' packages needs it"
               for name in sorted(pinned - needed)])


def test_every_student_pin_is_the_version_of_requirements_txt():
    pinned = {(canonicalize_name(r.name), str(r.marker)): r for r in requirements()}
    for pin in students():
        assert len(pin.specifier) == 1 and next(iter(pin.specifier)).operator == "==", f"{pin} is not pinned"
        instructors = pinned.get((canonicalize_name(pin.name), str(pin.marker)))
        assert instructors is not None, f"environment.yml pins {pin}, requirements.txt has no {pin.name} for these markers"
        assert pin.specifier == instructors.specifier, f"environment.yml pins {pin}, requirements.txt {instructors}"


def test_tensorflow_is_the_cpu_build_on_linux_and_the_standard_build_elsewhere():
    for platform in environments.PLATFORMS:
        builds = [line for line in environments.for_platform(pip_section(), platform)
                  if package(Requirement(line).name) == "tensorflow"]
        assert builds == [f"{'tensorflow-cpu' if platform == 'linux' else 'tensorflow'}==2.21.0"], (platform, builds)


def test_each_package_has_one_version_on_each_platform():
    for platform in environments.PLATFORMS:
        names = [canonicalize_name(Requirement(line).name) for line in environments.for_platform(pip_section(), platform)]
        assert len(names) == len(set(names)), (platform, sorted(name for name in names if names.count(name) > 1))


def test_the_students_get_exactly_their_packages_and_what_these_need():
    problems = closure_problems(students(), STUDENT_PACKAGES)
    assert not problems, "; ".join(problems) + ": write environment.yml again with " \
                                               "`.venv/bin/python -m penguin_course.setup.environments`"


def test_a_student_package_whose_dependencies_are_not_pinned_fails_naming_them():
    problems = closure_problems(students(), STUDENT_PACKAGES + ("pytest-xdist",))
    assert problems == [f"{name} is needed by the students' packages but not pinned in environment.yml"
                        for name in ("execnet", "iniconfig", "pluggy", "pytest", "pytest-xdist")]
    less = [pin for pin in students() if canonicalize_name(pin.name) != "pydot"]
    assert closure_problems(less, STUDENT_PACKAGES) == [
        "pydot is needed by the students' packages but not pinned in environment.yml"]


def test_the_students_have_none_of_the_instructors_tools():
    tools = sorted({canonicalize_name(pin.name) for pin in students()} & INSTRUCTOR_ONLY)
    assert not tools, f"environment.yml pins the instructors' {', '.join(tools)}"
    assert INSTRUCTOR_ONLY - {"tqdm"} <= {canonicalize_name(r.name) for r in requirements()}, \
        "the instructors' tools are in requirements.txt"


def test_the_student_commands_import_only_the_students_packages(tmp_path):
    """What `python -m penguin_course check` and `validate` import (before the notebook's kernel starts)
    is in the students' environment."""
    script = (f"from penguin_course.__main__ import main, parser\n"
              f"parser()\n"
              f"main(['validate', {str(tmp_path / 'missing.ipynb')!r}])\n"
              "import penguin_course.setup.setup_check, penguin_course.students.validate, penguin_course.isolation.crossing\n"
              "import sys, json\n"
              "from importlib import metadata\n"
              "found = metadata.packages_distributions()\n"
              # what setuptools vendors (jaraco, more_itertools) comes with the installers, not as packages
              "ours = [m for m, module in list(sys.modules.items())\n"
              "        if '_vendor' not in str(getattr(module, '__file__', None) or list(getattr(module, '__path__', [])))]\n"
              "print(json.dumps(sorted({d for m in ours for d in found.get(m.split('.')[0], [])})))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    imported = {package(name) for name in json.loads(run.stdout.splitlines()[-1])} - environments.INSTALLERS
    assert imported and imported <= {package(pin.name) for pin in students()}, \
        sorted(imported - {package(pin.name) for pin in students()})


def test_environment_yml_is_what_the_maintainers_command_writes():
    assert yaml.safe_load(environments.render(environments.student_pins())) == conda_environment(), \
        "write environment.yml again with `.venv/bin/python -m penguin_course.setup.environments`"
    assert environments.pip_section() == pip_section()
    header = (ROOT / "environment.yml").read_text().split("name:")[0]
    assert "conda env create -f environment.yml" in header and "requirements.txt" in header
    assert "course_tests/test_environment.py" in header and "python -m penguin_course.setup.environments" in header
    assert "python -m penguin_course.setup.environments" in (environments.__doc__ or "")


def test_a_package_requirements_txt_does_not_pin_stops_the_command(tmp_path):
    partial = tmp_path / "requirements.txt"
    partial.write_text("\n".join(line for line in requirement_lines((ROOT / "requirements.txt").read_text())
                                 if not line.startswith("pydot==")))
    with pytest.raises(environments.NotPinned, match="requirements.txt pins no version of pydot,"):
        environments.student_pins(partial)


def test_every_requirement_is_pinned_to_one_version():
    for line in requirement_lines((ROOT / "requirements.txt").read_text()):
        specifiers = list(Requirement(line).specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", line


def test_conda_brings_python_3_11_pip_and_graphviz_and_no_make():
    conda = [item for item in conda_environment()["dependencies"] if isinstance(item, str)]
    assert conda == ["python=3.11", "pip", "graphviz"], "students on Windows have no make"
    assert conda_environment()["channels"] == ["conda-forge"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert "make test" in ci
    assert Path(ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"

"""Two environments, one set of versions: requirements.txt and environment.yml.

requirements.txt is the instructors' and CI's environment: every package that releasing, grading
and the course tests use (Playwright, zizmor, psycopg, pytest, ...), each pinned, for pip. `make`
builds .venv from it.

environment.yml is the students' environment, for conda on their own Windows, macOS or Linux
laptops: Python 3.11, pip and Graphviz from conda-forge, and in its pip section only what students
use, STUDENT_PACKAGES, with every package these depend on (their closure, as installed in .venv),
each pinned at the version requirements.txt pins. course_tests/test_environment.py keeps the two in
step, and course_tests/test_student_platforms.py (slow, needs the package index) checks that the
students' pins have wheels for Windows, macOS and Linux.

After changing requirements.txt (and rebuilding .venv with it) or STUDENT_PACKAGES, a maintainer
writes environment.yml again with

    .venv/bin/python -m penguin_course.setup.environments
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements.txt"
ENVIRONMENT_YML = ROOT / "environment.yml"

# What students install, and why. The lesson's libraries:
LESSON = ("tensorflow", "keras", "pandas", "scikit-learn", "seaborn", "matplotlib")
# JupyterLab, and nbgrader, whose lab extension gives Validate and the Assignment List; pydot draws
# keras.utils.plot_model (with conda's Graphviz):
JUPYTER = ("jupyterlab", "nbgrader", "pydot")
# What the students' commands import, `python -m penguin_course check` and `validate` (setup_check,
# validate, crossing, notebooks, submissions), and the kernel validate runs a notebook in:
COMMANDS = ("nbformat", "nbclient", "jupyter-client", "ipykernel", "packaging", "numpy")
STUDENT_PACKAGES = LESSON + JUPYTER + COMMANDS

# TensorFlow's builds are one package: requirements.txt pins the CPU-only build on Linux (no CUDA
# download) and the standard build elsewhere; the closure follows whichever is installed here.
BUILDS = {"tensorflow-cpu": "tensorflow"}
# Installers' own packages: conda brings pip, and pip brings setuptools and wheel where a package
# asks for them (TensorFlow, nbgrader); requirements.txt pins none of them either.
INSTALLERS = {"pip", "setuptools", "wheel"}

# Environment markers of the students' platforms, for `marker_environment`: Python 3.11 as conda
# installs it (its latest patch release, so 3.11.5 or later, which soupsieve 4 needs), on 64-bit
# Windows, Apple silicon macOS and x86-64 Linux.
PYTHON = {"python_version": "3.11", "python_full_version": "3.11.9", "implementation_version": "3.11.9",
          "implementation_name": "cpython", "platform_python_implementation": "CPython"}
PLATFORMS = {
    "windows": {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
    "macos": {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    "linux": {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
}


class NotPinned(Exception):
    """A package the students need that requirements.txt does not pin."""


def package(name: str) -> str:
    """The canonical name of a distribution, a TensorFlow build counting as tensorflow."""
    name = canonicalize_name(name)
    return BUILDS.get(name, name)


def requirement_lines(text: str) -> list[str]:
    """The requirements of a requirements file, without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def installed(name: str) -> metadata.Distribution:
    """The installed distribution of a package, or of the TensorFlow build installed here."""
    for candidate in [name] + [build for build, same in BUILDS.items() if same == package(name)]:
        try:
            return metadata.distribution(candidate)
        except metadata.PackageNotFoundError:
            continue
    raise metadata.PackageNotFoundError(name)


def applies(requirement: Requirement, extras: frozenset[str], environment: dict[str, str] | None = None) -> bool:
    """Whether a package's requirement holds here (or in ``environment``), for the extras asked of it."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**(environment or {}), "extra": extra}) for extra in {""} | extras)


def asked(packages: tuple[str, ...] = STUDENT_PACKAGES) -> dict[str, set[str]]:
    """The packages ``packages`` need as installed in this environment: they and every package they
    depend on, with the markers evaluated for a student's Linux machine with the students' Python
    (3.11, whatever Python runs this: overrides is for Pythons before 3.12), each with the extras
    asked of it, by canonical name (TensorFlow's build as tensorflow), without the installers' own."""
    students_linux = marker_environment("linux")
    found: dict[str, set[str]] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(name, frozenset()) for name in packages]
    while todo:
        name, extras = todo.pop()
        if package(name) in INSTALLERS or (package(name), extras) in seen:
            continue
        seen.add((package(name), extras))
        found.setdefault(package(name), set()).update(extras)
        for line in installed(name).requires or []:
            requirement = Requirement(line)
            if applies(requirement, extras, students_linux):
                todo.append((requirement.name, frozenset(canonicalize_name(extra) for extra in requirement.extras)))
    return found


def closure(packages: tuple[str, ...] = STUDENT_PACKAGES) -> set[str]:
    """The students' closure: the packages ``packages`` need as installed here (see `asked`)."""
    return set(asked(packages))


def platform_requirements(platform: str, packages: tuple[str, ...] = STUDENT_PACKAGES) -> list[str]:
    """What the closure's packages require on a platform besides the closure (colorama on Windows,
    appnope on macOS...), as their metadata installed here says: pip chooses these versions there,
    as requirements.txt, made on Linux, pins none."""
    here, environment = asked(packages), marker_environment(platform)
    needed: dict[str, SpecifierSet] = {}
    for name, extras in here.items():
        for requirement in map(Requirement, installed(name).requires or []):
            other = canonicalize_name(requirement.name)
            if package(other) not in here.keys() | INSTALLERS and applies(requirement, frozenset(extras), environment):
                needed[other] = needed.get(other, SpecifierSet()) & requirement.specifier
    return [f"{name}{specifier}" for name, specifier in sorted(needed.items())]


def student_pins(requirements: Path = REQUIREMENTS, packages: tuple[str, ...] = STUDENT_PACKAGES) -> list[str]:
    """requirements.txt's lines for the students' closure, in its order, markers included (both
    TensorFlow builds, each for its platforms)."""
    lines = requirement_lines(requirements.read_text())
    pinned = {package(Requirement(line).name) for line in lines}
    needed = closure(packages)
    if needed - pinned:
        raise NotPinned(f"requirements.txt pins no version of {', '.join(sorted(needed - pinned))}, which the "
                        f"students' packages need: add the installed version to requirements.txt")
    return [line for line in lines if package(Requirement(line).name) in needed]


def marker_environment(platform: str) -> dict[str, str]:
    """The values of environment markers on a student's platform ('windows', 'macos' or 'linux')."""
    return {**default_environment(), **PYTHON, **PLATFORMS[platform]}


def for_platform(lines: list[str], platform: str) -> list[str]:
    """The requirements that apply on a platform, without their markers: what pip installs there.
    (pip evaluates markers for the machine it runs on, even when told to install for another.)"""
    environment = marker_environment(platform)
    kept = [r for r in map(Requirement, lines) if applies(r, frozenset(), environment)]
    for requirement in kept:
        requirement.marker = None
    return [str(requirement) for requirement in kept]


HEADER = """\
# The students' conda environment for the workshop, on their own Windows, macOS or Linux laptop:
#   conda env create -f environment.yml && conda activate intro-deep-learning
# then check the setup with `python -m penguin_course check`.
# It holds what students use (the lesson's libraries, JupyterLab with nbgrader's Validate and
# Assignment List, pydot, the course's check and validate commands) and every package these need,
# pinned at the versions of requirements.txt, which is the instructors' and CI's full set
# (instructors who use conda add the rest in this environment: `pip install -r requirements.txt`).
# A course test keeps the two in step (course_tests/test_environment.py): do not edit the pip
# section by hand, write it again with `.venv/bin/python -m penguin_course.setup.environments`.
name: intro-deep-learning
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  # Graphviz's dot: keras.utils.plot_model draws with it (through pydot), as the lesson does
  - graphviz
  - pip:
"""


def pip_section(path: Path = ENVIRONMENT_YML) -> list[str]:
    """The requirements of environment.yml's pip section, as `render` writes them (for Pythons without
    a YAML parser: a course test checks that PyYAML reads the same)."""
    lines = path.read_text().splitlines()
    start = lines.index("  - pip:") + 1
    return [line.strip().removeprefix("- '").removesuffix("'") for line in lines[start:]
            if line.strip() and not line.strip().startswith("#")]


def render(pins: list[str]) -> str:
    """environment.yml with these pins in its pip section."""
    return HEADER + "".join(f"      - '{line}'\n" for line in pins)


def main() -> int:
    try:
        pins = student_pins()
    except NotPinned as error:
        print(error, file=sys.stderr)
        return 1
    except metadata.PackageNotFoundError as error:
        print(f"{error}: build .venv from requirements.txt first", file=sys.stderr)
        return 1
    ENVIRONMENT_YML.write_text(render(pins))
    print(f"wrote {ENVIRONMENT_YML}: {len(pins)} pins for the students' {len(STUDENT_PACKAGES)} packages "
          f"and what they need")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One environment: requirements.txt (pip) and environment.yml (conda) pin the same versions."""

from pathlib import Path

import yaml
from packaging.requirements import Requirement

from penguin_course.paths import ROOT


def requirement_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def conda_environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_pins_exactly_the_requirements():
    pip_section = next(item["pip"] for item in conda_environment()["dependencies"] if isinstance(item, dict))
    pinned = {str(Requirement(line)) for line in requirement_lines((ROOT / "requirements.txt").read_text())}
    assert {str(Requirement(line)) for line in pip_section} == pinned


def test_every_requirement_is_pinned_to_one_version():
    for line in requirement_lines((ROOT / "requirements.txt").read_text()):
        specifiers = list(Requirement(line).specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", line


def test_conda_uses_python_3_11():
    assert "python=3.11" in conda_environment()["dependencies"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert "make test" in ci
    assert Path(ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"

"""The GitHub Actions workflow that grades on push: it cannot run here, so check what can be."""

import re

import yaml

from penguin_course.paths import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "grade.yml"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_it_runs_on_pushes_to_submitted():
    triggers = workflow()[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["paths"] == ["submitted/**"]


def test_its_make_commands_name_targets_that_exist():
    makefile_targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.M))
    commands = [step["run"] for step in workflow()["jobs"]["grade"]["steps"] if "run" in step]
    made = [word for command in commands for word in re.findall(r"\bmake ([a-z-]+)", command)]
    assert made == ["sandbox", "grade"]
    assert set(made) <= makefile_targets


def test_it_caches_the_environment_by_the_requirements():
    steps = workflow()["jobs"]["grade"]["steps"]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".venv" and "hashFiles('requirements.txt')" in cache["with"]["key"]
    assert any("touch .venv/.installed-requirements" in step.get("run", "") for step in steps)


def test_it_uploads_the_grades_feedback_and_report():
    steps = workflow()["jobs"]["grade"]["steps"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert set(upload["with"]["path"].split()) == {"grades.csv", "grades-by-test.csv", "report.html", "feedback/"}

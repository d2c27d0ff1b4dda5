"""The GitHub Actions workflows: they cannot run here, so check what can be, and keep them
hardened (they run students' code on a runner that holds a token)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from penguin_course.course.paths import ROOT

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


WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def test_zizmor_finds_nothing_in_any_workflow():
    """zizmor, the static analyser for GitHub Actions, offline; exceptions belong in its own config."""
    zizmor = Path(sys.executable).parent / "zizmor"
    run = subprocess.run([str(zizmor), "--offline", "--format", "json", str(ROOT / ".github" / "workflows")],
                         capture_output=True, text=True)
    findings = json.loads(run.stdout or "null")
    assert findings == [], "\n".join(f"{f['ident']}: {f['desc']}" for f in findings or []) or run.stderr
    assert run.returncode == 0


def test_every_workflow_has_a_read_only_token_and_leaves_no_credentials():
    for path in WORKFLOWS:
        flow = yaml.safe_load(path.read_text())
        assert flow["permissions"] == {"contents": "read"}, path.name
        steps = [step for job in flow["jobs"].values() for step in job["steps"]]
        for step in steps:
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False, path.name
            if uses:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), f"{path.name}: {uses} is not pinned"
        for line in path.read_text().splitlines():
            if re.search(r"\buses:", line):
                assert re.search(r"@[0-9a-f]{40}\s+# v\d", line), f"{path.name}: say the version: {line.strip()}"


SHARDED = ROOT / ".github" / "workflows" / "grade-sharded.yml"


def test_the_sharded_workflow_grades_each_share_then_merges_them_all():
    flow = yaml.safe_load(SHARDED.read_text())
    makefile_targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.M))
    shard, merge = flow["jobs"]["shard"], flow["jobs"]["merge"]
    shares = shard["strategy"]["matrix"]["share"]
    assert shares == list(range(1, len(shares) + 1)) and shard["strategy"]["fail-fast"] is False
    grading = next(step for step in shard["steps"] if "make grade" in step.get("run", ""))
    assert grading["run"] == f'make grade SHARD="$SHARE/{len(shares)}"'
    assert grading["env"]["SHARE"] == "${{ matrix.share }}"
    upload = next(step for step in shard["steps"] if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "shards/" and upload["with"]["name"] == "bundle-${{ matrix.share }}"
    assert merge["needs"] == "shard" and merge["if"] == "always()"
    download = next(step for step in merge["steps"] if step.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "bundle-*", "path": "shards/", "merge-multiple": True}
    made = [word for job in (shard, merge) for step in job["steps"]
            for word in re.findall(r"\bmake ([a-z-]+)", step.get("run", ""))]
    assert made == ["sandbox", "grade", "merge"] and set(made) <= makefile_targets


STUDENT_SETUP = ROOT / ".github" / "workflows" / "student-setup.yml"


def test_the_student_setup_workflow_tries_a_students_laptop_on_each_system():
    flow = yaml.safe_load(STUDENT_SETUP.read_text())
    job = flow["jobs"]["laptop"]
    assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    conda = next(step for step in job["steps"] if step.get("uses", "").startswith("conda-incubator/setup-miniconda"))
    assert conda["with"]["environment-file"] == "environment.yml"
    assert conda["with"]["activate-environment"] == yaml.safe_load((ROOT / "environment.yml").read_text())["name"]
    commands = [step["run"] for step in job["steps"] if "run" in step]
    tools = [re.search(r"python course_tools\.pyz (\w+)", command).group(1) for command in commands[1:]]
    assert tools == ["setup", "check", "validate", "validate"]
    assert commands[-1].lstrip().startswith("if python course_tools.pyz validate") and "exit 1" in commands[-1]
    copied = re.findall(r"cp (?:-R )?(\S+)", commands[0])
    assert copied and all((ROOT / path).exists() for path in copied), copied
    assert (ROOT / "release" / "penguin-classification" / "course_tools.pyz").is_file()

"""A student's commands (`python -m penguin_course check`, `validate`) run on any OS: importing them
pulls in nothing of grading's Linux-only machinery (bubblewrap, forked kernels and judges)."""

import json
import subprocess
import sys

from penguin_course.course.paths import ROOT

# Grading's modules: the sandbox (bubblewrap, namespaces), warm kernels and the judge (fork, Unix
# sockets, prctl), and what drives them.
LINUX_ONLY = {"isolation.sandbox", "isolation.warm_kernel", "isolation.judge", "isolation.judge_process",
              "isolation.nbgrader_guard", "grading.autograde", "grading.grade", "grading.execute", "grading.shards",
              "exchanging.exchange", "exchanging.collect", "outputs.refresh", "outputs.report", "outputs.feedback"}

LIST_MODULES = """
import json, sys
print(json.dumps(sorted(name.split(".", 1)[1] for name in sys.modules if name.startswith("penguin_course."))))
"""


def modules_after(code: str) -> set[str]:
    """The course's modules a fresh Python has imported after running ``code``."""
    run = subprocess.run([sys.executable, "-c", code + LIST_MODULES], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout.splitlines()[-1]))


def test_validate_imports_nothing_linux_only(tmp_path):
    # the command line as a student runs it, up to the notebook it cannot find
    modules = modules_after(f"from penguin_course.__main__ import main\nmain(['validate', {str(tmp_path / 'x.ipynb')!r}])")
    assert "students.validate" in modules and not modules & LINUX_ONLY, sorted(modules & LINUX_ONLY)


def test_check_imports_nothing_linux_only():
    modules = modules_after("from penguin_course.__main__ import parser\nparser()\nimport penguin_course.setup.setup_check")
    assert "setup.setup_check" in modules and not modules & LINUX_ONLY, sorted(modules & LINUX_ONLY)


def test_a_grading_import_would_be_found():
    assert {"isolation.sandbox", "isolation.judge"} <= modules_after("import penguin_course.grading.grade")

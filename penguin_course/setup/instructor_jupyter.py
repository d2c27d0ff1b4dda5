"""The instructors' JupyterLab (the one in .venv) serves the course's formgrader.

Run when make builds .venv (``python -m penguin_course.setup.instructor_jupyter``), it writes two
files into the environment:

- ``penguin_course.pth`` in site-packages, naming this course folder, so that a Jupyter server
  started from .venv anywhere can import the course's tooling (nbgrader_config.py does the same
  for nbgrader's commands, but a server loads its extensions before it reads that file);
- ``etc/jupyter/jupyter_server_config.d/penguin_course.json``, which turns nbgrader's formgrader
  off and the course's (``penguin_course.outputs.formgrader``: totals after the late penalty) on.
  Jupyter reads that folder's files in name order, so this one overrides nbgrader's own
  ``nbgrader.json``, which pip writes again whenever it installs nbgrader.
"""

from __future__ import annotations

import json
import sys
import sysconfig
from pathlib import Path

COURSE_FORMGRADER = "penguin_course.outputs.formgrader"
NBGRADER_FORMGRADER = "nbgrader.server_extensions.formgrader"
CONFIG_NAME = "penguin_course.json"
PTH_NAME = "penguin_course.pth"


def server_config(prefix: Path) -> Path:
    return prefix / "etc" / "jupyter" / "jupyter_server_config.d" / CONFIG_NAME


def install(prefix: Path = Path(sys.prefix), course: Path = Path(__file__).resolve().parents[2]) -> list[Path]:
    """Make the environment at ``prefix`` (this Python's) serve ``course``'s formgrader; the files written."""
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    pth = site_packages / PTH_NAME
    pth.parent.mkdir(parents=True, exist_ok=True)
    pth.write_text(f"{course}\n", encoding="utf-8")
    config = server_config(prefix)
    config.parent.mkdir(parents=True, exist_ok=True)
    settings = {"ServerApp": {"jpserver_extensions": {NBGRADER_FORMGRADER: False, COURSE_FORMGRADER: True}}}
    config.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return [pth, config]


if __name__ == "__main__":
    if sys.prefix == sys.base_prefix:
        sys.exit("run this with the course's environment's Python (.venv/bin/python): it configures that environment")
    for written in install():
        print(f"wrote {written}")

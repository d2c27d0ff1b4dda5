"""The students' commands, which they get with each assignment as the file ``course_tools.pyz``.

Students have their notebooks (fetched from the exchange, downloaded or unzipped) and the
course's environment, never the course repository: it holds the solutions and hidden tests.
`make release` bundles this module, what it imports of the course's package, the students'
pinned packages and the assignment as handed out into one file beside the notebooks
(``release.write_student_tools``). It runs with the environment's Python on any OS, from the
folder of the notebooks:

    python course_tools.pyz setup                              # once: JupyterLab for students
    python course_tools.pyz check                              # is this machine ready?
    python course_tools.pyz validate 3-test-performance.ipynb  # run it as the grader will

It imports nothing of grading's (no sandbox, fork or bubblewrap): a course test checks this.
In the course repository the same commands are `python -m penguin_course check` and `validate`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

TOOLS = "course_tools.pyz"
HANDED_OUT = "handed_out"  # in the bundle: the assignment's files as released
PINS = "student-requirements.txt"  # in the bundle: the students' pinned packages
TIME_LIMIT = 180.0  # seconds for a whole notebook, as when it is graded


def bundle() -> Path | None:
    """The ``course_tools.pyz`` this runs from, or None when it runs from the course's package."""
    archive = Path(__file__).resolve().parents[2]
    return archive if archive.is_file() and zipfile.is_zipfile(archive) else None


def add_commands(commands) -> None:
    """The students' commands, on an argparse subparsers object (shared with the course's command line)."""
    checking = commands.add_parser("check", help="check that this machine is set up for the workshop")
    checking.add_argument("--assignment", type=Path, default=None,
                          help="the assignment folder holding penguins.csv (default: the one handed out with this)")
    commands.add_parser("setup", help="once, in the students' environment: switch off nbgrader's instructor tools "
                                      "in JupyterLab (formgrader, course list, Create Assignment)")
    validating = commands.add_parser("validate", help="run a notebook as the grader will and list the checks that fail")
    validating.add_argument("notebook", type=Path)
    validating.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                            help="seconds for the whole notebook, as when graded (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    """Run the student's command in ``args`` (``check`` or ``validate``); its exit code."""
    archive = bundle()
    if args.command == "setup":
        if archive is None:  # an instructor's environment keeps formgrader
            print(f"setup is for a students' environment: run it there as python {TOOLS} setup", file=sys.stderr)
            return 2
        from penguin_course.setup import setup_check

        for command in setup_check.hide_instructor_tools():
            print(f"ran: {command}")
        print("JupyterLab in this environment now shows nbgrader's Assignment List and Validate only. "
              "A JupyterLab that is already running keeps the instructors' tools until it is restarted: "
              "stop it (File → Shut Down) and start `jupyter lab` again.")
        return 0
    if args.command == "check":
        from penguin_course.setup import setup_check

        if archive is None:
            return setup_check.run(args.assignment or setup_check.RELEASE)
        with zipfile.ZipFile(archive) as contents:
            pins = contents.read(PINS).decode()
            dataset = f"{HANDED_OUT}/penguins.csv" in contents.namelist()  # the lesson's dataset, if handed out
        return setup_check.run(args.assignment or archive.parent, pins, dataset)
    from penguin_course.students import validate

    if archive is None:
        return validate.main(args.notebook, args.time_limit)
    with tempfile.TemporaryDirectory(prefix="handed-out-") as folder, zipfile.ZipFile(archive) as contents:
        for member in contents.namelist():
            if member.startswith(f"{HANDED_OUT}/") and not member.endswith("/"):
                (Path(folder) / Path(member).name).write_bytes(contents.read(member))
        return validate.main(args.notebook, args.time_limit, Path(folder))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python {TOOLS}", description=__doc__.splitlines()[0])
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""Command line: python -m penguin_course COMMAND (the Makefile's targets call these)."""

from __future__ import annotations

import argparse
import sys

from penguin_course import dataset, demo, grade, release, sandbox, setup_check
from penguin_course.nbgrader_cli import NbgraderError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m penguin_course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="generate release/ from source/ (nbgrader generate_assignment)")
    grading = commands.add_parser("grade", help="grade every student in submitted/")
    demo_grading = commands.add_parser("demo", help="grade the demo submissions in demo/submitted/")
    for command in (grading, demo_grading):
        command.add_argument("--workers", type=int, default=None, help="parallel graders (default: one per core)")
        command.add_argument("--force", action="store_true", help="grade again students whose work has not changed")
        command.add_argument("--time-limit", type=float, default=grade.TIME_LIMIT,
                             help="seconds a notebook may run (default: %(default)s)")
        command.add_argument("--no-sandbox", dest="sandboxed", action="store_false",
                             help="run student code without isolation, with your rights (not for untrusted work)")
    commands.add_parser("sandbox", help="check that student code can run sandboxed here (bubblewrap)")
    commands.add_parser("demo-submissions", help="rebuild the demo submissions from release/ and source/")
    commands.add_parser("dataset", help="rebuild the shipped penguins.csv from the palmerpenguins package")
    setup_check.add_arguments(commands.add_parser("check", help="check that this machine is set up for the workshop"))
    args = parser.parse_args(argv)

    try:
        if args.command == "release":
            print(f"released to {release.generate()}")
        elif args.command in ("grade", "demo"):
            run = grade.grade_class if args.command == "grade" else grade.demo
            table = run(workers=args.workers, force=args.force, time_limit=args.time_limit, sandboxed=args.sandboxed)
            print(grade.summary(table).to_string() if len(table) else "no submissions to grade")
        elif args.command == "sandbox":
            sandbox.check()
            print(f"the grading sandbox works here ({sandbox.bwrap_path()})")
        elif args.command == "demo-submissions":
            print(f"wrote {demo.build()}")
        elif args.command == "dataset":
            print(f"wrote {dataset.write()}")
        elif args.command == "check":
            return setup_check.run(args.assignment)
    except (NbgraderError, grade.GraderError, sandbox.SandboxUnavailable) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

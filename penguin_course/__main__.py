"""Command line: python -m penguin_course COMMAND (the Makefile's targets call these)."""

from __future__ import annotations

import argparse
import sys

from penguin_course import dataset, demo, grade, release, setup_check
from penguin_course.nbgrader_cli import NbgraderError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m penguin_course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="generate release/ from source/ (nbgrader generate_assignment)")
    commands.add_parser("demo", help="generate the release, grade the demo submissions, print the scores")
    commands.add_parser("demo-submissions", help="rebuild the demo submissions from release/ and source/")
    commands.add_parser("dataset", help="rebuild the shipped penguins.csv from the palmerpenguins package")
    setup_check.add_arguments(commands.add_parser("check", help="check that this machine is set up for the workshop"))
    args = parser.parse_args(argv)

    try:
        if args.command == "release":
            print(f"released to {release.generate()}")
        elif args.command == "demo":
            print(grade.summary(grade.demo()).to_string())
        elif args.command == "demo-submissions":
            print(f"wrote {demo.build()}")
        elif args.command == "dataset":
            print(f"wrote {dataset.write()}")
        elif args.command == "check":
            return setup_check.run(args.assignment)
    except NbgraderError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

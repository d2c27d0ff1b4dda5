"""Command line: python -m penguin_course COMMAND (the Makefile's targets call these)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from penguin_course.course import uptodate
from penguin_course.course.directory import Course
from penguin_course.course.paths import ROOT
from penguin_course.course.student_ids import is_student_id, refused_folders
from penguin_course.students import student_cli

# The other modules are imported once the command is known: `make grade` with nothing to do
# answers before importing nbgrader, Jupyter and pandas (see uptodate).


def refuse_folders(course: Course) -> int:
    """Name the folders of submitted/ that are not student ids (grading leaves them out); 1 if any."""
    refused = refused_folders(course.submitted)
    for reason in refused:
        print(f"left out: {reason}", file=sys.stderr)
    return int(bool(refused))


def add_assignment_option(command: argparse.ArgumentParser, what: str = "every assignment of source/") -> None:
    command.add_argument("--assignment", metavar="NAME", default=None,
                         help=f"the assignment source/NAME/ only (default: {what})")


def add_grading_options(command: argparse.ArgumentParser) -> None:
    add_assignment_option(command)
    command.add_argument("--workers", type=int, default=None, help="parallel graders (default: one per core)")
    command.add_argument("--force", action="store_true", help="grade again students whose work has not changed")
    command.add_argument("--time-limit", type=float, default=uptodate.TIME_LIMIT,
                         help="seconds a notebook may run (default: %(default)s)")
    command.add_argument("--no-sandbox", dest="sandboxed", action="store_false",
                         help="run student code without isolation, with your rights (not for untrusted work)")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m penguin_course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    add_assignment_option(commands.add_parser("release", help="generate release/ from source/ "
                                                              "(nbgrader generate_assignment)"))
    grading = commands.add_parser("grade", help="grade every student in submitted/, then write every output")
    grading.add_argument("--submitted", type=Path, default=ROOT / "submitted",
                         help="the folder of submissions, <student>/<assignment>/*.ipynb (default: submitted/)")
    grading.add_argument("--shard", metavar="I/N", help="grade only share I of N and write its bundle to shards/I-of-N/")
    merging = commands.add_parser("merge", help="bring the shards' bundles into the gradebook, write every output")
    merging.add_argument("--bundles", type=Path, default=ROOT / "shards", help="where the bundles are (default: shards/)")
    add_grading_options(grading)
    add_grading_options(commands.add_parser("demo", help="grade the demo class of demo/submitted/"))
    commands.add_parser("feedback", help="write the feedback pages, CSVs and report from the gradebook "
                                         "(after grading by hand; runs no student code)")
    commands.add_parser("export", help="write exports/<platform>.csv from the gradebook for Canvas, Moodle, "
                                       "Brightspace and Blackboard")
    roster = commands.add_parser("roster", help="add the students' names, emails and LMS ids to the gradebook")
    roster.add_argument("roster", type=Path, help="a CSV file: id, first_name, last_name, email, lms_user_id")
    commands.add_parser("exchange", help="create nbgrader's exchange and the students' setting for it")
    due = commands.add_parser("due", help="set an assignment's due date in due-dates.csv and the gradebook")
    due.add_argument("--assignment", required=True, help="the assignment (a folder of source/)")
    due.add_argument("--due", required=True, help="a date and time, e.g. '2026-12-18 17:00' (in the course's time "
                                                  "zone, NbGraderAPI.timezone) or with an offset (+01:00)")
    releasing = commands.add_parser("release-assignment", help="put release/ in the exchange for students to fetch")
    releasing.add_argument("--force", action="store_true", help="release again (students who fetched keep their copy)")
    add_assignment_option(releasing)
    add_assignment_option(commands.add_parser("collect", help="collect the students' latest submissions from the "
                                                              "exchange into submitted/"))
    zipped = commands.add_parser("zip-collect", help="collect notebooks downloaded from a learning platform")
    zipped.add_argument("archive", type=Path, help="a zip file, or a folder of notebooks and zips")
    add_assignment_option(zipped, "the course's only assignment")
    returning = commands.add_parser("release-feedback", help="put the feedback pages in the exchange for students "
                                                             "to fetch")
    returning.add_argument("--force", action="store_true", help="release while answers wait to be graded by hand")
    add_assignment_option(returning)
    commands.add_parser("sandbox", help="install bubblewrap and Graphviz if missing and check that student "
                                         "code runs sandboxed")
    commands.add_parser("browser", help="install Chromium if missing (for the browser tests)")
    commands.add_parser("postgres", help="install PostgreSQL's server if missing (a shared gradebook; its tests)")
    cleaning = commands.add_parser("clean", help="remove what grading generates (not while it holds hand grades)")
    cleaning.add_argument("--force", action="store_true", help="remove the gradebook even if it holds hand grades")
    commands.add_parser("demo-submissions", help="rebuild the demo submissions from release/ and source/")
    scaffolding = commands.add_parser("new-assignment", help="write source/NAME/: a notebook skeleton, the course's "
                                                             "shared files, its wrong and sound answers; release it")
    scaffolding.add_argument("--name", required=True, help="the assignment's name, e.g. day3-cnn")
    commands.add_parser("dataset", help="rebuild the shipped penguins.csv from the palmerpenguins package")
    benchmark = commands.add_parser("bench", help="measure grading speed: overhead, parallel speed-up, where the "
                                                  "time and CPU go (on an otherwise idle machine)")
    benchmark.add_argument("--copies", type=int, default=4, help="students to grade (default: %(default)s)")
    benchmark.add_argument("--workers", type=int, help="parallel workers (default: one per core)")
    student_cli.add_commands(commands)  # check and validate: what students run, with course_tools.pyz
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    course = Course(ROOT)  # the course these commands work on: the folder this tooling lives in
    if args.command == "grade" and not args.force and not args.shard:
        graded = uptodate.nothing_to_do(course, args.submitted.resolve(), args.time_limit, args.sandboxed,
                                        args.assignment)
        if graded:
            print(f"nothing changed since the last run: {graded} students graded, their grades in grades.csv, "
                  "grades-by-test.csv and report.html (FORCE=1 grades them again)")
            return 0
    if args.command in ("check", "validate"):  # on any OS: nothing of grading's is imported
        return student_cli.run(args)
    if args.command == "bench":  # run from here, not as a module of its own, which every worker would import
        from penguin_course import bench

        bench.run(args.copies, args.workers or os.cpu_count() or 1)
        return 0
    from penguin_course.course.assignments import UnknownAssignment
    from penguin_course.course.nbgrader_cli import NbgraderError
    from penguin_course.exchanging import collect, exchange
    from penguin_course.grading import grade
    from penguin_course.outputs import deadlines
    from penguin_course.isolation import sandbox
    from penguin_course.outputs import exports, refresh
    from penguin_course.preparing import demo, release
    from penguin_course.preparing.scaffold import ScaffoldError
    from penguin_course.setup import dataset, system

    options = lambda: dict(workers=args.workers, force=args.force, time_limit=args.time_limit,  # noqa: E731
                           sandboxed=args.sandboxed, assignment=args.assignment)
    try:
        if args.command == "release":
            print(f"released to {', '.join(str(folder) for folder in release.generate_all(course, name=args.assignment))}")
            for note in deadlines.settle(course):  # due-dates.csv's dates into the gradebook in use
                print(f"note: {note}", file=sys.stderr)
        elif args.command == "due":
            date = deadlines.set_due_date(course, args.assignment, args.due)
            for note in deadlines.settle(course):
                print(f"note: {note}", file=sys.stderr)
            print(f"{deadlines.DUE_DATES}, line {date.line}: {args.assignment} is due "
                  f"{deadlines.shown(date.due, deadlines.course_timezone(course.config))}; commit the file, and "
                  "make feedback (or the next make grade) takes it into every output")
        elif args.command == "grade" and args.shard:
            from penguin_course.grading import shards

            bundle = shards.grade_shard(course, spec=args.shard, submitted_dir=args.submitted.resolve(), **options())
            print(f"wrote {bundle}: bring it together with the others with make merge")
        elif args.command == "grade":
            table = grade.grade_class(course, submitted_dir=args.submitted.resolve(), **options())
            print(grade.summary(table, course).to_string())
        elif args.command == "merge":
            from penguin_course.grading import shards

            print(grade.summary(shards.merge(course, bundles=args.bundles.resolve()), course).to_string())
        elif args.command == "demo":
            print(grade.summary(grade.demo(course, **options()), course).to_string())
        elif args.command == "feedback":
            table = refresh.refresh(course)
            waiting = (table["status"] == grade.MANUAL).sum()
            print(f"wrote feedback/, grades.csv, grades-by-test.csv and report.html for "
                  f"{table['student_id'].nunique()} students; {waiting} answers wait to be graded by hand")
        elif args.command == "export":
            for note in deadlines.settle(course):  # a due date or extension changed since grading counts
                print(f"note: {note}", file=sys.stderr)
            written, unidentified = exports.export(course)
            written.append(deadlines.write_lateness(deadlines.lateness_shown(course),
                                                    course.root / exports.EXPORTS / "lateness.csv"))
            print(f"wrote {', '.join(str(path.relative_to(course.root)) for path in written)}")
            if unidentified:
                print("left out, as the platform could not tell who they are (make roster ROSTER=file adds what is "
                      f"missing): {'; '.join(unidentified)}", file=sys.stderr)
                return 1
        elif args.command == "roster":
            print(f"the gradebook has the {exports.import_roster(course, args.roster.resolve())} students of "
                  f"{args.roster}; make export writes their grades for the learning platforms")
        elif args.command == "exchange":
            folder, config = exchange.create(course)
            print(f"the exchange is {folder}; students' Jupyter finds the course through {config}")
        elif args.command == "release-assignment":
            names = exchange.release_assignment(course, force=args.force, name=args.assignment)
            print(f"released {', '.join(names)}: students can fetch it in the Assignment List (Nbgrader menu)")
        elif args.command == "collect":
            collect.collect(course, name=args.assignment)
            taken = [student for student in grade.students(course.submitted) if is_student_id(student)]
            print(f"collected into {course.submitted}: {', '.join(taken) or 'nobody'}")
            return refuse_folders(course)
        elif args.command == "zip-collect":
            found, skipped = collect.zip_collect(course, args.archive.resolve(), name=args.assignment)
            print(f"submitted/ now holds: {', '.join(student for student in found if is_student_id(student)) or 'nobody'}")
            if skipped:
                print(f"not collected, as not named <student id>_<notebook>.ipynb: {', '.join(skipped)}", file=sys.stderr)
            return max(int(bool(skipped)), refuse_folders(course))
        elif args.command == "release-feedback":
            released = exchange.release_feedback(course, name=args.assignment, force=args.force)
            print(f"released the feedback of {', '.join(released)}: students fetch it in the Assignment List "
                  "(Nbgrader menu), Fetch Feedback")
        elif args.command == "sandbox":
            system.ensure(system.BUBBLEWRAP)
            dot = system.ensure(system.GRAPHVIZ)  # grading needs it as much: notebooks may call plot_model
            sandbox.check()
            print(f"the grading sandbox works here ({sandbox.bwrap_path()}), with Graphviz ({dot})")
        elif args.command == "browser":
            print(f"Chromium for the browser tests: {system.ensure(system.CHROMIUM)}")
        elif args.command == "postgres":
            print(f"PostgreSQL's server: {system.ensure(system.POSTGRES)}")
        elif args.command == "clean":
            print(f"removed {', '.join(grade.clean(course, force=args.force)) or 'nothing'}")
        elif args.command == "demo-submissions":
            print(f"wrote {demo.build(course, course.demo_submitted)}")
        elif args.command == "new-assignment":
            from penguin_course.preparing import scaffold

            made = scaffold.new_assignment(course, args.name)
            release.generate_all(course, made.name)
            demo.build(course, course.demo_submitted)
            print(f"wrote {made.source.relative_to(course.root)}/ (released, with its demo students). Next: write the "
                  f"exercise in {made.notebooks[0]} (JupyterLab, nbgrader's Create Assignment toolbar), a wrong answer "
                  f"for each test in its wrong_answers.py, sound answers in its sound_answers.py, then "
                  f"make release demo-submissions test")
        elif args.command == "dataset":
            print(f"wrote {dataset.write()}")
    except (NbgraderError, grade.GraderError, UnknownAssignment, sandbox.SandboxUnavailable, system.InstallFailed,
            refresh.NothingToRefresh, exports.ExportError, deadlines.DeadlinesFileError, exchange.ExchangeError, collect.CollectError, release.ReleaseError,
            ScaffoldError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: how fast `make grade` is, and where the time goes.

In one run, on a scratch copy of the course with N copies of the reference solution:

(a) grading time per student, serially, against running the same notebooks' code as
    plain Python scripts (the overhead ratio);
(b) parallel against serial throughput;
(c) where a serial student's time goes: starting the sandbox and importing the libraries
    (once per student, in the zygote the kernels fork from), kernel starts and nbgrader's
    steps, the given code (setup cells, data, plots), the student's code, the tests (run in
    the judge), the kernel answering the judge's questions, and saving to the gradebook;
(d) writing the class's feedback pages, CSVs and report from the gradebook (make feedback);
(e) starting the judge, once per worker process;
(f) a `make grade` that finds nothing changed, as on a push that touched no submission;
(g) the same class as 2 shards plus a merge, and from it the wall time of 300 students on
    1, 5 and 20 runners;
(h) one hidden threshold changed after grading: the class judged again from the answers the
    judge kept (no student code runs), against grading it again in full;
(i) a gradebook of 300 synthetic students: their late penalties (a due date, extensions), the
    exports for learning platforms, the item analysis and the similarity of every pair of answers.

It is a benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import PythonExporter

from penguin_course.course.directory import Course
from penguin_course.course.notebooks import GRADING_ENV, is_autograded_test, is_solution
from penguin_course.course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT, SOURCE
from penguin_course.course.records import StudentResult
from penguin_course.grading import grade, shards
from penguin_course.grading.autograde import grade_submission, record
from penguin_course.grading.replay import REPLAYED
from penguin_course.isolation import judge as judging
from penguin_course.outputs.feedback import PAGE_DIGESTS
from penguin_course.outputs import deadlines, exports, report, similarity
from penguin_course.outputs.refresh import BY_TEST_COLUMNS, by_test, course_cells, refresh
from penguin_course.preparing import release


def scratch_course(copies: int) -> Course:
    root = Path(tempfile.mkdtemp(prefix="penguin-bench-"))
    shutil.copytree(ROOT / "source", root / "source")
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    # the tooling too, so that `python -m penguin_course grade` run there grades that course
    shutil.copytree(ROOT / "penguin_course", root / "penguin_course", ignore=shutil.ignore_patterns("__pycache__"))
    for index in range(copies):
        shutil.copytree(DEMO_SUBMISSIONS / "demo-complete", root / "submitted" / f"student-{index:02d}")
    return Course(root)


def plain_scripts_seconds() -> float:
    """The source notebooks' code (solutions and tests) run as plain Python scripts, one after another."""
    exporter = PythonExporter()
    with tempfile.TemporaryDirectory() as folder:
        for path in SOURCE.iterdir():
            if path.suffix != ".ipynb":
                shutil.copy2(path, folder)
        started = time.perf_counter()
        for name in NOTEBOOKS:
            script, _ = exporter.from_filename(str(SOURCE / name))
            (Path(folder) / "script.py").write_text(script)
            subprocess.run([sys.executable, "script.py"], cwd=folder, check=True, capture_output=True,
                           env={**os.environ, **GRADING_ENV, "MPLBACKEND": "Agg"})
        return time.perf_counter() - started


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) -
            datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def cell_kind(cell) -> str:
    if is_autograded_test(cell):
        return "tests"
    if is_solution(cell):
        return "student code"
    return "given code (setup, data, plots)"


JUDGE = "tests, run in the judge"
ASKING = "the kernel answering the judge (values, calls)"


def breakdown(course: Course, result: StudentResult) -> dict[str, float]:
    """Seconds per kind of cell, from the execution times nbclient records in each cell."""
    student, total = result.student, result.seconds
    spent: dict[str, float] = {"waiting for the sandbox and its imports (started ahead)": result.start_seconds}
    for name in NOTEBOOKS:
        notebook = nbformat.read(course.autograded / student / ASSIGNMENT / name, as_version=4)
        for cell in notebook.cells:
            timing = cell.metadata.get("execution", {})
            if "judge.started" in timing:  # a test cell, run in the judge
                asking = float(timing.get("judge.kernel_seconds", 0.0))
                judged = seconds_between(timing["judge.started"], timing["judge.finished"]) - asking
                spent[JUDGE] = spent.get(JUDGE, 0.0) + judged
                spent[ASKING] = spent.get(ASKING, 0.0) + asking
            elif cell.cell_type == "code" and "iopub.execute_input" in timing and "shell.execute_reply" in timing:
                kind = cell_kind(cell)
                spent[kind] = spent.get(kind, 0.0) + seconds_between(timing["iopub.execute_input"],
                                                                     timing["shell.execute_reply"])
    spent["kernel starts and nbgrader's steps"] = total - sum(spent.values())
    return spent


CLASS_SIZE = 300  # a large course, for the projection


def sharded(copies: int, workers: int) -> tuple[list[float], float, list[int]]:
    """Grade the class as 2 shares, each on a fresh copy of the course (as on a runner of its own,
    here one after the other), then merge the bundles into another; (seconds per shard, seconds
    to merge, students per shard)."""
    bundles = Path(tempfile.mkdtemp(prefix="penguin-bench-bundles-"))
    seconds, sizes = [], []
    try:
        for index in (1, 2):
            machine = scratch_course(copies)
            started = time.perf_counter()
            bundle = shards.grade_shard(machine, f"{index}/2", workers=workers)
            seconds.append(time.perf_counter() - started)
            sizes.append(len(json.loads((bundle / shards.MANIFEST).read_text())["students"]))
            shutil.copytree(bundle, bundles / bundle.name)
            shutil.rmtree(machine.root, ignore_errors=True)
        merged = scratch_course(copies)
        started = time.perf_counter()
        shards.merge(merged, bundles)
        merging = time.perf_counter() - started
        shutil.rmtree(merged.root, ignore_errors=True)
    finally:
        shutil.rmtree(bundles, ignore_errors=True)
    return seconds, merging, sizes


def analysed_class(size: int) -> dict[str, float]:
    """A gradebook of ``size`` synthetic students (random scores; the demo students' notebooks as
    their graded work, in turn; a due date that one in five missed, and an extension for one in ten),
    and how long the instructors' outputs of it take: the late penalties, the exports for the learning
    platforms, the item analysis, and the similarity of every pair of answers."""
    import random

    root = Path(tempfile.mkdtemp(prefix="penguin-bench-class-"))
    try:
        shutil.copytree(ROOT / "source", root / "source")
        shutil.copy2(ROOT / "nbgrader_config.py", root)
        course = Course(root)
        release.generate_all(course)
        assignment = course.assignment(ASSIGNMENT)
        shipped = sorted(DEMO_SUBMISSIONS.iterdir())
        students = [f"student-{index:03d}" for index in range(size)]
        chance = random.Random(0)
        due = datetime(2026, 12, 14, 17, 0)
        (root / deadlines.EXTENSIONS).write_text("student_id,assignment,due\n" + "".join(
            f"{student},{ASSIGNMENT},+48\n" for student in students[::10]))
        with course.gradebook() as gradebook, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbgrader's session handling warns on each new submission
            gradebook.update_or_create_assignment(ASSIGNMENT, duedate=due)
            for index, student in enumerate(students):
                gradebook.add_student(student, email=f"{student}@uni.example")
                submitted = due + timedelta(hours=chance.uniform(-60, 12))
                for notebook in gradebook.add_submission(ASSIGNMENT, student, timestamp=submitted).notebooks:
                    for grade in notebook.grades:
                        grade.auto_score = grade.max_score if chance.random() < 0.8 else 0.0
                shutil.copytree(shipped[index % len(shipped)] / ASSIGNMENT, assignment.autograded(student))
            gradebook.db.commit()
        timings = {}
        started = time.perf_counter()
        deadlines.settle(course)
        report.deadline_section(deadlines.lateness_shown(course))
        timings["late penalties"] = time.perf_counter() - started
        started = time.perf_counter()
        exports.export(course)
        timings["exports for 4 platforms"] = time.perf_counter() - started
        started = time.perf_counter()
        table = pd.DataFrame(by_test(assignment, {}), columns=BY_TEST_COLUMNS)
        tests = {(name, cell) for name, cell, _, is_test in course_cells(assignment) if is_test}
        report.item_section(table[[key in tests for key in zip(table["notebook"], table["grade_id"])]])
        timings["item analysis"] = time.perf_counter() - started
        started = time.perf_counter()
        pairs, matches = similarity.compare(assignment, students)
        similarity.section(pairs, matches)
        timings[f"similarity ({len(pairs)} pairs)"] = time.perf_counter() - started
        return timings
    finally:
        shutil.rmtree(root, ignore_errors=True)


def changed_threshold(course: Course) -> None:
    """Lower notebook 4's hidden accuracy threshold, as an instructor would after grading."""
    path = course.source / ASSIGNMENT / "4-improve-results.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test-accuracy-threshold":
            cell.source = cell.source.replace("_accuracy >= 0.9,", "_accuracy >= 0.85,").replace("below 90%", "below 85%")
    nbformat.write(notebook, path)


def run(copies: int, workers: int) -> None:
    course = scratch_course(copies)
    try:
        grade.grade_class(course, workers=1, force=True, console=None)  # warm up: gradebook, caches
        print(f"Benchmark: {copies} copies of the reference solution, {os.cpu_count()} cores\n")

        scripts = plain_scripts_seconds()

        assignment = course.assignment(ASSIGNMENT)  # the workshop's lesson, whose demo student is copied
        serial_started = time.perf_counter()
        parts = []
        everyone = grade.students(course.submitted)
        for index, student in enumerate(everyone):
            started = time.perf_counter()
            result = grade_submission(assignment, course.submitted, student, grade.TIME_LIMIT,
                                      more_to_come=index < len(everyone) - 1)
            executed = time.perf_counter()
            record(assignment, result)
            parts.append((result, executed - started, time.perf_counter() - executed))
        (course.root / PAGE_DIGESTS).unlink(missing_ok=True)  # every page written, as after a first grading
        outputs_started = time.perf_counter()
        refresh(course)  # once for the class: CSVs, feedback pages, report
        outputs = time.perf_counter() - outputs_started
        serial = time.perf_counter() - serial_started
        per_student = serial / copies

        result, executing, saving = parts[-1]
        spent = breakdown(course, result)  # now: the parallel run below writes autograded/ again

        parallel_started = time.perf_counter()
        grade.grade_class(course, workers=workers, force=True)
        parallel = time.perf_counter() - parallel_started

        shard_seconds, merge_seconds, shard_sizes = sharded(copies, workers)

        unchanged_started = time.perf_counter()  # as `make grade` runs it on a push that changed nothing
        subprocess.run([sys.executable, "-m", "penguin_course", "grade"], cwd=course.root, check=True, capture_output=True)
        unchanged = time.perf_counter() - unchanged_started

        changed_threshold(course)
        replay_started = time.perf_counter()  # make grade: the release again, the tests judged, the outputs
        table = grade.grade_class(course, workers=workers)
        replayed = time.perf_counter() - replay_started
        replay_runs = [course.read_run(assignment, student)[1] for student in everyone]
        replays = sum(run.replay == REPLAYED for run in replay_runs)
        judging_one = sum(run.seconds for run in replay_runs) / copies  # in a worker, once its judge has started
        full_started = time.perf_counter()
        full_table = grade.grade_class(course, workers=workers, force=True)
        full = time.perf_counter() - full_started
        same = table[grade.BY_TEST_COLUMNS].equals(full_table[grade.BY_TEST_COLUMNS])

        print(f"(a) grading one student, serially:      {per_student:6.1f} s")
        print(f"    the same notebooks as plain scripts: {scripts:6.1f} s")
        print(f"    overhead ratio:                      {per_student / scripts:6.2f}")
        print(f"(b) {copies} students, serially:            {serial:6.1f} s ({copies / serial * 60:.1f} students/min)")
        print(f"    {copies} students, {workers} workers:          {parallel:6.1f} s ({copies / parallel * 60:.1f} students/min)")
        print(f"    parallel speed-up:                   {serial / parallel:6.2f}")
        print(f"(c) where one student's {executing + saving:.1f} s go ({result.student}):")
        for kind, seconds in sorted(spent.items(), key=lambda item: -item[1]):
            print(f"    {kind:48s} {seconds:6.1f} s")
        print(f"    {'saving to the gradebook':48s} {saving:6.1f} s")
        print(f"(d) the class's feedback pages (all written), CSVs and report (make feedback): {outputs:.1f} s")
        judges = [judge for judge in judging._shared.values() if judge.start_seconds]
        if judges:
            print(f"(e) starting the judge (once per worker process, not per student): {judges[0].start_seconds:.1f} s")
        print(f"(f) make grade when nothing changed (a push that touched no submission): {unchanged:.1f} s")
        print(f"(g) the same {copies} students as 2 shards, each on a fresh copy of the course, one after the other:")
        for index, (seconds, size) in enumerate(zip(shard_seconds, shard_sizes), start=1):
            print(f"    make grade SHARD={index}/2 ({size} students):     {seconds:6.1f} s")
        print(f"    make merge:                          {merge_seconds:6.1f} s")
        per_student = parallel / copies
        fixed = sum(seconds - size * per_student for seconds, size in zip(shard_seconds, shard_sizes)) / 2
        merging = merge_seconds / copies
        print(f"    projected for {CLASS_SIZE} students ({per_student:.1f} s a student on one {workers}-core runner, "
              f"{fixed:.0f} s to start a shard, {merging:.2f} s a student to merge):")
        for runners in (1, 5, 20):
            wall = per_student * CLASS_SIZE if runners == 1 else \
                fixed + math.ceil(CLASS_SIZE / runners) * per_student + merging * CLASS_SIZE
            print(f"    {runners:2d} runner{'s' if runners > 1 else ' '}: {wall / 60:6.1f} min")
        print(f"(h) a hidden threshold changed after grading, {copies} students, {workers} workers:")
        print(f"    judged again from kept answers ({replays} of {copies}): {replayed:6.1f} s "
              f"({replayed / copies:.2f} s a student, of which {judging_one:.2f} s judging it in a worker; "
              f"the rest is the class's: the release, starting the judges, the outputs)")
        print(f"    graded again in full (FORCE=1):      {full:6.1f} s")
        print(f"    ratio:                               {replayed / full:6.2f} "
              f"({'the same' if same else 'NOT the same'} grades)")
        analyses = analysed_class(CLASS_SIZE)
        print(f"(i) the instructors' outputs of {CLASS_SIZE} synthetic students: {sum(analyses.values()):.1f} s")
        for what, seconds in analyses.items():
            print(f"    {what:48s} {seconds:6.1f} s")
    finally:
        shutil.rmtree(course.root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="students to grade (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="parallel workers (default: %(default)s)")
    args = parser.parse_args(argv)
    run(args.copies, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: how fast `make grade` is, and where the time goes.

In one run, on a scratch copy of the course with N copies of the reference solution, in wall
time and in core-seconds (the CPU of every process on the machine, sandboxes included, from
/proc/stat: run it on an otherwise idle machine):

(a) grading time per student, serially, against running the same notebooks' code as
    plain Python scripts (the overhead ratio);
(b) parallel against serial throughput, and against plain `nbgrader autograde` grading the
    same class with nbgrader's own settings, in a course of its own, in the same run;
    the plain scripts and the parallel run are each measured before and after what they are
    compared with, and their mean is compared: a steady drift of the machine's speed cancels out;
(c) where a serial student's time and CPU go: starting the sandbox (once per student: as root,
    a fork of the worker's template, which imported the libraries once), kernel starts and
    nbgrader's steps, the given code (setup cells, data, plots), the student's code, the tests
    (run in the judge), the kernel answering the judge's questions, and saving to the
    gradebook; the CPU of each cell is the kernel's and the judge's own (/proc/<pid>/stat);
(d) writing the class's feedback pages, CSVs and report from the gradebook (make feedback);
(e) starting the judge and, as root, the template (once per grading run, shared by its workers);
(f) a `make grade` that finds nothing changed, as on a push that touched no submission;
(g) the same class as 2 shards plus a merge, a merge of 300 students (copies of the shards'
    results), and from them the wall time of 300 students on 1, 5 and 20 runners;
(h) one hidden threshold changed after grading: the class judged again from the answers the
    judge kept (no student code runs), against grading it again in full; and the merged class
    of 300 students of (g) judged again;
(i) a gradebook of 300 synthetic students: their late penalties (a due date, extensions), the
    exports for learning platforms, the item analysis and the similarity of every pair of answers.

It is a benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import PythonExporter
from rich.console import Console

from penguin_course.course.directory import Course
from penguin_course.course.notebooks import GRADING_ENV, is_autograded_test, is_solution
from penguin_course.course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, NOTEBOOKS, ROOT, SOURCE
from penguin_course.course.records import RUN_RECORD, StudentResult
from penguin_course.grading import grade, shards
from penguin_course.grading.autograde import grade_submission, imported_modules, record, warm_up
from penguin_course.grading.replay import REPLAYED
from penguin_course.isolation import judge as judging
from penguin_course.isolation.sandbox import Spares, TemplateSandbox
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


def busy_core_seconds() -> float:
    """The machine's CPU time so far, all cores and every process (user, nice, system, irq,
    softirq; /proc/stat): measured around a step on an otherwise idle machine, what the step cost."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def timed(module, name: str):
    """While in the block, the seconds spent in ``module.name`` (``.seconds`` of what it yields)."""
    original, spent = getattr(module, name), types.SimpleNamespace(seconds=0.0)

    def counted(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.seconds += time.perf_counter() - started

    setattr(module, name, counted)
    try:
        yield spent
    finally:
        setattr(module, name, original)


class Measured:
    """Wall time and core-seconds of a step (``with Measured() as step: ...``, then ``step.seconds``, ``step.cpu``)."""

    def __enter__(self) -> Measured:
        self.started, self.cpu_started = time.perf_counter(), busy_core_seconds()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started
        self.cpu = busy_core_seconds() - self.cpu_started

    @classmethod
    def bracketing(cls, before: Measured, after: Measured) -> Measured:
        """The mean of a step measured before and after the one it is compared with: this machine's
        speed drifts within a run, and a steady drift cancels out of the mean."""
        mean = cls()
        mean.seconds, mean.cpu = (before.seconds + after.seconds) / 2, (before.cpu + after.cpu) / 2
        return mean


def plain_scripts() -> Measured:
    """The source notebooks' code (solutions and tests) run as plain Python scripts, one after another."""
    exporter = PythonExporter()
    with tempfile.TemporaryDirectory() as folder:
        for path in SOURCE.iterdir():
            if path.suffix != ".ipynb":
                shutil.copy2(path, folder)
        scripts = []
        for name in NOTEBOOKS:
            script, _ = exporter.from_filename(str(SOURCE / name))
            scripts.append(script)
        with Measured() as step:
            for script in scripts:
                (Path(folder) / "script.py").write_text(script)
                subprocess.run([sys.executable, "script.py"], cwd=folder, check=True, capture_output=True,
                               env={**os.environ, **GRADING_ENV, "MPLBACKEND": "Agg"})
        return step


PLAIN_CONFIG = 'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "plain"\n'


def plain_nbgrader(copies: int) -> Measured:
    """The same class graded by plain `nbgrader autograde` with nbgrader's own settings (a config
    that names the course and nothing else), in a course of its own beside the bench's."""
    root = Path(tempfile.mkdtemp(prefix="penguin-bench-plain-"))
    try:
        shutil.copytree(ROOT / "source", root / "source")
        (root / "nbgrader_config.py").write_text(PLAIN_CONFIG)
        for index in range(copies):
            shutil.copytree(DEMO_SUBMISSIONS / "demo-complete", root / "submitted" / f"student-{index:02d}")
        # nbgrader calls the `alembic` of its environment to create the gradebook
        env = {**os.environ, **GRADING_ENV, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                                     os.environ.get("PATH", "")])}
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT], cwd=root, env=env,
                       check=True, capture_output=True)
        with Measured() as step:
            subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], cwd=root, env=env,
                           check=True, capture_output=True)
        return step
    finally:
        shutil.rmtree(root, ignore_errors=True)


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


REST = "kernel starts, nbgrader's steps"
SANDBOX = "the sandbox's start (once per student; wall: waited for)"


def sandbox_start(assignment) -> tuple[Measured, Measured | None]:
    """A student's sandbox started alone. As root it is forked from the grading process's template,
    which has imported the libraries the notebooks import (its start, once per grading process, is
    the second figure); otherwise its own zygote imports them. Grading starts a student's sandbox
    while the student before is graded, so its wall time is hidden, its CPU not."""
    spares = Spares()
    try:
        with Measured() as template_started:
            box = spares.take(GRADING_ENV, assignment.given_files, imported_modules(assignment))
            if isinstance(box, TemplateSandbox):
                box.template.ready()
        try:
            with Measured() as started:
                box.ready()
        finally:
            box.close()
    finally:
        spares.close()
    return started, template_started if isinstance(box, TemplateSandbox) else None


def breakdown(course: Course, result: StudentResult, cpu: float,
              sandbox: Measured) -> dict[str, tuple[float, float | None]]:
    """Seconds and core-seconds per kind of cell, from the times nbclient records in each cell and
    the CPU the kernel and the judge spent on it (recorded with ``JudgeTests.measure_cpu``); the
    ``sandbox``'s start (measured alone: the student's was started ahead); the rest of the student's
    ``cpu`` (core-seconds) is the kernel starts' and nbgrader's."""
    student, total = result.student, result.seconds
    wall: dict[str, float] = {SANDBOX: result.start_seconds}  # waited for: it was started ahead
    used: dict[str, float] = {}
    for name in NOTEBOOKS:
        notebook = nbformat.read(course.autograded / student / ASSIGNMENT / name, as_version=4)
        for cell in notebook.cells:
            timing = cell.metadata.get("execution", {})
            if "judge.started" in timing:  # a test cell, run in the judge
                asking = float(timing.get("judge.kernel_seconds", 0.0))
                judged = seconds_between(timing["judge.started"], timing["judge.finished"]) - asking
                wall[JUDGE] = wall.get(JUDGE, 0.0) + judged
                wall[ASKING] = wall.get(ASKING, 0.0) + asking
                used[JUDGE] = used.get(JUDGE, 0.0) + float(timing.get("cpu.judge", 0.0))
                used[ASKING] = used.get(ASKING, 0.0) + float(timing.get("cpu.kernel", 0.0))
            elif cell.cell_type == "code" and "iopub.execute_input" in timing and "shell.execute_reply" in timing:
                kind = cell_kind(cell)
                wall[kind] = wall.get(kind, 0.0) + seconds_between(timing["iopub.execute_input"],
                                                                   timing["shell.execute_reply"])
                used[kind] = used.get(kind, 0.0) + float(timing.get("cpu.kernel", 0.0))
    wall[REST] = total - sum(wall.values())
    used[SANDBOX] = sandbox.cpu
    used[REST] = cpu - sum(used.values())
    return {kind: (seconds, used.get(kind)) for kind, seconds in wall.items()}


CLASS_SIZE = 300  # a large course, for the projection


def class_of_bundles(bundles: Path, size: int, destination: Path) -> list[str]:
    """One bundle of ``size`` students under ``destination``, made of copies of the students in
    ``bundles`` under new ids (student-000...): as many results as a class of that size sends to
    a merge, without grading it. The students' ids."""
    originals = {student: folder / student for folder in sorted(bundles.iterdir()) if (folder / shards.MANIFEST).exists()
                 for student in json.loads((folder / shards.MANIFEST).read_text())["students"]}
    names, manifest = sorted(originals), json.loads((next(iter(originals.values())).parent / shards.MANIFEST).read_text())
    bundle, students = destination / "1-of-1", []
    for index in range(size):
        original, student = names[index % len(names)], f"student-{index:03d}"
        shutil.copytree(originals[original], bundle / student)
        for work in (bundle / student).iterdir():
            record = work / RUN_RECORD
            saved = json.loads(record.read_text())
            saved["result"]["student"] = student
            record.write_text(json.dumps(saved))
            pages = work / shards.PAGE_DIGESTS
            if pages.exists():
                pages.write_text(json.dumps({path.replace(f"/{original}/", f"/{student}/"): digest
                                             for path, digest in json.loads(pages.read_text()).items()}))
        students.append(student)
    (bundle / shards.MANIFEST).write_text(json.dumps({**manifest, "shard": 1, "of": 1, "students": students}))
    return students


def sharded(copies: int, workers: int) -> tuple[list[float], float, list[int], float, Course]:
    """Grade the class as 2 shares, each on a fresh copy of the course (as on a runner of its own,
    here one after the other), then merge the bundles into another; (seconds per shard, seconds
    to merge, students per shard, seconds to merge a class of CLASS_SIZE made of copies of the
    bundles' students into a fresh course, that course: the caller removes it)."""
    bundles = Path(tempfile.mkdtemp(prefix="penguin-bench-bundles-"))
    large = Path(tempfile.mkdtemp(prefix="penguin-bench-large-"))
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
        students = class_of_bundles(bundles, CLASS_SIZE, large)
        merged = scratch_course(0)
        for student in students:  # the class's submissions, which the merge expects in submitted/
            shutil.copytree(DEMO_SUBMISSIONS / "demo-complete", merged.submitted / student)
        started = time.perf_counter()
        shards.merge(merged, large)
        merging_class = time.perf_counter() - started
    finally:
        shutil.rmtree(bundles, ignore_errors=True)
        shutil.rmtree(large, ignore_errors=True)
    return seconds, merging, sizes, merging_class, merged


def replayed_class(course: Course, workers: int) -> tuple[float, int]:
    """``course``'s class judged again from kept answers after changed_threshold: (seconds, students judged
    again from their kept answers)."""
    changed_threshold(course)
    started = time.perf_counter()
    grade.grade_class(course, workers=workers, console=Console(stderr=True, quiet=True))
    seconds = time.perf_counter() - started
    assignment = course.assignment(ASSIGNMENT)
    runs = [course.read_run(assignment, student)[1] for student in grade.students(course.submitted)]
    return seconds, sum(run.replay == REPLAYED for run in runs)


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

        scripts_before = plain_scripts()

        assignment = course.assignment(ASSIGNMENT)  # the workshop's lesson, whose demo student is copied
        judging.JudgeTests.measure_cpu = True  # the CPU of each cell, for the breakdown (this process only)
        serial_started, serial_cpu_started = time.perf_counter(), busy_core_seconds()
        warm_up([assignment], sandboxed=True)  # as `make grade` starts a worker: the judge, the first sandbox
        parts = []
        everyone = grade.students(course.submitted)
        for index, student in enumerate(everyone):
            with Measured() as executing:
                result = grade_submission(assignment, course.submitted, student, grade.TIME_LIMIT,
                                          more_to_come=index < len(everyone) - 1)
            with Measured() as saving:
                record(assignment, result)
            parts.append((result, executing, saving))
        judging.JudgeTests.measure_cpu = False
        (course.root / PAGE_DIGESTS).unlink(missing_ok=True)  # every page written, as after a first grading
        with Measured() as outputs:
            refresh(course)  # once for the class: CSVs, feedback pages, report
        serial = time.perf_counter() - serial_started
        serial_cpu = busy_core_seconds() - serial_cpu_started
        per_student = serial / copies
        scripts_after = plain_scripts()
        scripts = Measured.bracketing(scripts_before, scripts_after)

        # a student in the middle of the class: its sandbox was started ahead, and it starts the next one's
        result, executing, saving = parts[len(parts) // 2]
        student_sandbox, template = sandbox_start(assignment)
        spent = breakdown(course, result, executing.cpu, student_sandbox)  # now: the parallel run below writes autograded/ again

        with Measured() as parallel_before, timed(grade, "grade_in_pool") as grading_part:
            grade.grade_class(course, workers=workers, force=True)
        nbgrader_run = plain_nbgrader(copies)
        with Measured() as parallel_after:
            grade.grade_class(course, workers=workers, force=True)
        parallel_run = Measured.bracketing(parallel_before, parallel_after)
        parallel = parallel_run.seconds

        shard_seconds, merge_seconds, shard_sizes, merge_class_seconds, large = sharded(copies, workers)
        try:
            large_replay_seconds, large_replays = replayed_class(large, workers)
        finally:
            shutil.rmtree(large.root, ignore_errors=True)

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

        print(f"(a) grading one student, serially:      {per_student:6.1f} s, {serial_cpu / copies:6.1f} core-s")
        print(f"    the same notebooks as plain scripts: {scripts.seconds:6.1f} s, {scripts.cpu:6.1f} core-s "
              f"(the mean of {scripts_before.seconds:.1f} s before and {scripts_after.seconds:.1f} s after the serial run)")
        print(f"    overhead ratio:                      {per_student / scripts.seconds:6.2f} (wall), "
              f"{serial_cpu / copies / scripts.cpu:.2f} (CPU)")
        print(f"(b) {copies} students, serially:            {serial:6.1f} s ({copies / serial * 60:.1f} students/min)")
        print(f"    {copies} students, {workers} workers:          {parallel:6.1f} s ({copies / parallel * 60:.1f} "
              f"students/min), {parallel_run.cpu / copies:.1f} core-s a student (the mean of "
              f"{parallel_before.seconds:.1f} s before and {parallel_after.seconds:.1f} s after plain nbgrader's run)")
        print(f"    parallel speed-up:                   {serial / parallel:6.2f}")
        print(f"    plain nbgrader autograde, same class: {nbgrader_run.seconds:6.1f} s "
              f"({nbgrader_run.seconds / copies:.1f} s a student), {nbgrader_run.cpu / copies:.1f} core-s a student")
        print(f"    {workers} workers against plain nbgrader:     {parallel / nbgrader_run.seconds:6.2f} (wall), "
              f"{parallel_run.cpu / nbgrader_run.cpu:.2f} (CPU)")
        print(f"(c) where one student's {executing.seconds + saving.seconds:.1f} s and "
              f"{executing.cpu + saving.cpu:.1f} core-s go ({result.student}):")
        print(f"    {'':52s} {'wall':>7s} {'CPU':>9s}")
        for kind, (seconds, cpu) in sorted(spent.items(), key=lambda item: -item[1][0]):
            print(f"    {kind:52s} {seconds:6.1f} s {'' if cpu is None else f'{cpu:6.1f} core-s'}")
        print(f"    {'saving to the gradebook':52s} {saving.seconds:6.1f} s {saving.cpu:6.1f} core-s")
        own = sum(cpu or 0.0 for kind, (_, cpu) in spent.items() if kind in ("student code", "given code (setup, data, plots)"))
        overhead = executing.cpu + saving.cpu - own
        student_cpu = spent.get("student code", (0.0, 0.0))[1] or 0.0
        print(f"    overhead (all but the student's and the given code): {overhead:.1f} core-s, "
              f"{overhead / student_cpu if student_cpu else float('nan'):.2f} of the student's code's {student_cpu:.1f}")
        print(f"(d) the class's feedback pages (all written), CSVs and report (make feedback): {outputs.seconds:.1f} s")
        judges = [judge for judge in judging._shared.values() if judge.start_seconds]
        if judges:
            print(f"(e) starting the judge (once per grading run, not per student): {judges[0].start_seconds:.1f} s")
        if template is not None:
            print(f"    starting the template students' sandboxes are forked from (once per grading run): "
                  f"{template.seconds:.1f} s, {template.cpu:.1f} core-s")
        print(f"(f) make grade when nothing changed (a push that touched no submission): {unchanged:.1f} s")
        print(f"(g) the same {copies} students as 2 shards, each on a fresh copy of the course, one after the other:")
        for index, (seconds, size) in enumerate(zip(shard_seconds, shard_sizes), start=1):
            print(f"    make grade SHARD={index}/2 ({size} students):     {seconds:6.1f} s")
        print(f"    make merge:                          {merge_seconds:6.1f} s")
        merging = merge_class_seconds / CLASS_SIZE
        print(f"    make merge of {CLASS_SIZE} students (copies of these): {merge_class_seconds:6.1f} s "
              f"({merging:.2f} s a student, the class's fixed costs included)")
        # a student more on a runner costs the grading part of (b) per student; the rest of a run (the
        # release, the judges' start, the outputs) is paid once, whatever its size: what the shards took
        # beyond their students' grading
        per_student = grading_part.seconds / copies
        fixed = sum(seconds - size * per_student for seconds, size in zip(shard_seconds, shard_sizes)) / 2
        print(f"    projected for {CLASS_SIZE} students ({per_student:.1f} s a student on one {workers}-core runner, "
              f"from (b)'s {grading_part.seconds:.1f} s of grading; {fixed:.0f} s to start and end a shard; "
              f"{merge_class_seconds:.0f} s to merge, or on one runner to save and write the outputs):")
        for runners in (1, 5, 20):
            wall = fixed + math.ceil(CLASS_SIZE / runners) * per_student + merge_class_seconds
            print(f"    {runners:2d} runner{'s' if runners > 1 else ' '}: {wall / 60:6.1f} min")
        print(f"(h) a hidden threshold changed after grading, {copies} students, {workers} workers:")
        print(f"    judged again from kept answers ({replays} of {copies}): {replayed:6.1f} s "
              f"({replayed / copies:.2f} s a student, of which {judging_one:.2f} s judging it in a worker; "
              f"the rest is the class's: the release, starting the judges, the outputs)")
        print(f"    graded again in full (FORCE=1):      {full:6.1f} s")
        print(f"    ratio:                               {replayed / full:6.2f} "
              f"({'the same' if same else 'NOT the same'} grades)")
        print(f"    the merged class of {CLASS_SIZE} in (g), judged again ({large_replays} from kept answers): "
              f"{large_replay_seconds:.1f} s ({large_replay_seconds / CLASS_SIZE:.2f} s a student, outputs included)")
        analyses = analysed_class(CLASS_SIZE)
        print(f"(i) the instructors' outputs of {CLASS_SIZE} synthetic students: {sum(analyses.values()):.1f} s")
        for what, seconds in analyses.items():
            print(f"    {what:48s} {seconds:6.1f} s")
    finally:
        shutil.rmtree(course.root, ignore_errors=True)


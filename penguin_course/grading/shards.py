"""Grade a class on several machines: `make grade SHARD=i/N` on each, then `make merge`.

A shard grades the students whose share is ``i`` of ``N`` (a digest of their id decides: a
student who joins late does not move anyone else) and writes a bundle to shards/<i>-of-<N>/:
each student's graded notebooks, run record and feedback pages, with the digest of what each
page was made from, and a manifest naming the exercises they were graded against. Bundles are
data (JSON notebooks and records, HTML pages), never code that runs.

The merge brings every bundle found into the course's gradebook through the one writer, as
`make grade` saves a student it graded itself, then writes the CSVs, feedback and report:
the same as grading the class on one machine. A shard's page is kept where its inputs here
have the digest the shard made it from (the same notebook, grades and settings); any other
(a due date or a hand grade this gradebook has, say) is made again. Making the pages is most of
what a merge would cost per student: the shards make them side by side. It names the students it has no result for
(a shard that failed or never came), writes what it has, and exits non-zero. Merging again
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from penguin_course.course import assignments, uptodate
from penguin_course.course.directory import Course
from penguin_course.course.records import RUN_RECORD
from penguin_course.grading.autograde import prepare_folder, record
from penguin_course.grading.grade import GraderError, check_submissions, chosen_assignments, grade_class
from penguin_course.isolation.kept_answers import KEPT_ANSWERS
from penguin_course.outputs import deadlines
from penguin_course.outputs.similarity import FINGERPRINTS, keep_fingerprints
from penguin_course.outputs.feedback import adopt_pages, made_pages
from penguin_course.outputs.refresh import refresh, write_feedback
from penguin_course.preparing import release

MANIFEST = "manifest.json"
# Of a student's graded folder, what a bundle carries: the rest (dataset, helpers, the student's
# other files) the merging machine has in source/ and submitted/ itself.
CARRIED = ("*.ipynb", RUN_RECORD, KEPT_ANSWERS, FINGERPRINTS, "timestamp.txt")
COMMIT_EVERY = 50  # students saved to the gradebook between two commits of a merge
PAGES, PAGE_DIGESTS = "feedback", "pages.json"  # in a student's folder of a bundle


def parse(spec: str) -> tuple[int, int]:
    """"i/N" as (i, N), 1 <= i <= N; GraderError (before anything is written) saying what is expected."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise GraderError(f"SHARD={spec!r}: expected i/N, e.g. 2/5 for the second of five shares") from None
    if not 1 <= index <= count:
        raise GraderError(f"SHARD={spec!r}: i must be between 1 and N")
    return index, count


def share(student: str, count: int) -> int:
    """The share (1..count) that grades ``student``: stable whoever else is in the class."""
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count + 1


def bundle_folder(course: Course, index: int, count: int) -> Path:
    return course.root / "shards" / f"{index}-of-{count}"


def grade_shard(course: Course, spec: str = "1/1", submitted_dir: Path | None = None, **options) -> Path:
    """Grade share ``spec`` of the class and write its bundle; the bundle's folder. A student the
    grader failed for is left out of the bundle (the merge names them) and GraderError follows."""
    index, count = parse(spec)
    submitted_dir = submitted_dir or course.submitted
    chosen = chosen_assignments(course, options.get("assignment"))
    mine = [student for student in check_submissions(submitted_dir) if share(student, count) == index]
    bundle = bundle_folder(course, index, count)
    if bundle.exists():
        shutil.rmtree(bundle)
    bundle.mkdir(parents=True)
    failure = None
    if mine:
        try:
            grade_class(course, submitted_dir, only=mine, write_outputs=False, **options)
        except GraderError as error:
            failure = error
    graded = []
    for student in mine:
        work = [a for a, s in assignments.units(course, submitted_dir, chosen) if s == student]
        if any(course.read_run(a, student) is None for a in work) or (failure is not None and student in failure.students):
            continue
        graded.append(student)
    write_pages_of(course, chosen, graded)
    made = made_pages(course)
    for student in graded:
        for assignment in [a for a, s in assignments.units(course, submitted_dir, chosen) if s == student]:
            destination = bundle / student / assignment.name
            destination.mkdir(parents=True)
            for pattern in CARRIED:
                for path in assignment.autograded(student).glob(pattern):
                    shutil.copy2(path, destination / path.name)
            graded_folder = assignment.autograded(student).relative_to(course.root)
            digests = {path: digest for path, digest in made.items() if Path(path).parent == graded_folder}
            pages = course.feedback / student / assignment.name
            if digests and pages.is_dir():
                shutil.copytree(pages, destination / PAGES)
                (destination / PAGE_DIGESTS).write_text(json.dumps(digests, indent=0, sort_keys=True))
    manifest = {"shard": index, "of": count, "assignments": [a.name for a in chosen],
                "exercises": uptodate.exercises_digest(course), "students": graded,
                "failed": sorted(set(mine) - set(graded))}
    (bundle / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    if failure is not None:
        raise failure
    return bundle


def write_pages_of(course: Course, chosen, students: list[str]) -> None:
    """The feedback pages of ``students`` (graded here), made as a refresh makes them, and the
    fingerprints of their answers the similarity report compares."""
    deadlines.settle(course)
    for assignment in chosen:
        runs = {student: run[1] for student in students if (run := course.read_run(assignment, student)) is not None}
        if runs:
            write_feedback(assignment, runs)
            keep_fingerprints(assignment, sorted(runs))


def carried_pages(course: Course, carried: Path, student: str, assignment) -> dict[str, str]:
    """Put a bundle's feedback pages of one student's assignment in feedback/; the digests of what
    they were made from, by graded notebook (none if the bundle has no readable pages)."""
    try:
        digests = json.loads((carried / PAGE_DIGESTS).read_text())
    except (OSError, ValueError):
        return {}
    graded_folder = assignment.autograded(student).relative_to(course.root)
    if not isinstance(digests, dict) or not all(
            isinstance(digest, str) and Path(path).parent == graded_folder for path, digest in digests.items()):
        return {}  # not this student's pages
    destination = course.feedback / student / assignment.name
    destination.mkdir(parents=True, exist_ok=True)
    for page in (carried / PAGES).iterdir() if (carried / PAGES).is_dir() else []:
        if page.is_file() and not page.is_symlink():  # the pages, and the files nbgrader puts beside them
            shutil.copy2(page, destination / page.name)
    return digests


def read_manifest(folder: Path) -> dict:
    manifest = json.loads((folder / MANIFEST).read_text())
    if not isinstance(manifest.get("students"), list) or not isinstance(manifest.get("exercises"), str):
        raise ValueError("not a manifest of this course's bundles")
    return manifest


def merge(course: Course, bundles: Path | None = None, submitted_dir: Path | None = None):
    """Bring the bundles under ``bundles`` (default shards/) into the gradebook and write every
    output; the grades-by-test table. GraderError, after writing what there is, naming the
    students without a result and the bundles refused."""
    bundles = bundles or course.root / "shards"
    submitted_dir = submitted_dir or course.submitted
    everyone = check_submissions(submitted_dir)
    folders = sorted(path.parent for path in bundles.glob(f"*/{MANIFEST}")) if bundles.is_dir() else []
    if not folders:
        raise GraderError(f"no bundle under {bundles}: expected {bundles}/<i>-of-<N>/{MANIFEST} "
                          "(make grade SHARD=i/N writes them); nothing was changed")
    exercises = uptodate.exercises_digest(course)
    accepted, refused = [], []
    for folder in folders:
        try:
            manifest = read_manifest(folder)
        except (OSError, ValueError) as error:
            refused.append(f"{folder.name} (unreadable manifest: {error})")
            continue
        if manifest["exercises"] != exercises:
            refused.append(f"{folder.name} (graded against other exercises than source/ holds now)")
            continue
        accepted.append((folder, manifest))
    release.release(course, uptodate.stale_releases(course))  # records the assignments and their test cells
    ignore = course.ignored()
    # the work the shards were asked to grade: every assignment's, or the one their make grade named
    names = {name for _, manifest in accepted for name in manifest.get("assignments", [])}
    work = assignments.units(course, submitted_dir, [a for a in course.assignments if not names or a.name in names])
    merged, pages = set(), {}
    # the students are saved in one gradebook, in transactions of COMMIT_EVERY students: a commit
    # for each is an fsync on SQLite, and the assignment's objects loaded again after it
    with course.gradebook() as gradebook, gradebook.one_transaction():
        for folder, manifest in accepted:
            for assignment, student in work:
                carried = folder / student / assignment.name
                if student not in manifest["students"] or (assignment, student) in merged or not carried.is_dir():
                    continue
                previous = course.read_run(assignment, student)
                destination = assignment.autograded(student)
                # as a grading on this machine lays the folder out, then the graded notebooks over it
                prepare_folder(assignment, assignment.submitted(submitted_dir, student), destination, ignore)
                for pattern in CARRIED:
                    for path in carried.glob(pattern):
                        if path.is_file() and not path.is_symlink():
                            shutil.copy2(path, destination / path.name)
                run = course.read_run(assignment, student)
                if run is None:
                    continue
                record(assignment, run[1], previous[1] if previous else None, gradebook)
                pages.update(carried_pages(course, carried, student, assignment))
                merged.add((assignment, student))
                if len(merged) % COMMIT_EVERY == 0:
                    gradebook.commit_so_far()
    adopt_pages(course, pages)  # each kept only if its inputs here have the same digest
    table = refresh(course)
    missing = [student for student in everyone
               if any((a, s) not in merged for a, s in work if s == student)]
    if missing or refused:
        problems = ([f"no result for {len(missing)} students: {', '.join(missing)}"] if missing else []) + \
                   ([f"refused bundles: {'; '.join(refused)}"] if refused else [])
        raise GraderError("merged what there was; " + "; ".join(problems))
    return table

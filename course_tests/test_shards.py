"""Grading on several machines: shares that stay put, bundles that merge into exactly what one
machine writes, and a merge that names what it lacks and refuses what was graded against
other exercises."""

import json
import shutil

import pytest

from conftest import gradebook_contents
from penguin_course.bench import changed_threshold
from penguin_course.grading import grade, shards
from penguin_course.grading.replay import REPLAYED
from penguin_course.course.directory import Course
from penguin_course.course.paths import ASSIGNMENT, DEMO_SUBMISSIONS, ROOT

CLASS = ["demo-complete", "demo-partly-wrong", "demo-untouched"]


def test_a_student_who_joins_late_moves_nobody():
    before = {f"student-{n}": shards.share(f"student-{n}", 5) for n in range(200)}
    after = {f"student-{n}": shards.share(f"student-{n}", 5) for n in range(201)}
    assert all(after[student] == share for student, share in before.items())
    assert set(before.values()) == {1, 2, 3, 4, 5}  # and every share gets some


@pytest.mark.parametrize("spec", ["2", "0/3", "4/3", "a/b", "1/0"])
def test_a_malformed_shard_is_refused_before_anything_is_written(spec, tmp_path):
    with pytest.raises(grade.GraderError, match="SHARD="):
        shards.grade_shard(Course(tmp_path), spec)
    assert not any(tmp_path.iterdir())


def course(root):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    for student in CLASS:
        shutil.copytree(DEMO_SUBMISSIONS / student, root / "submitted" / student)
    return root


def outputs(root):
    """Every output file, by path: the CSVs, the report and the feedback pages."""
    files = [root / "grades-by-test.csv", root / "grades.csv", root / "report.html",
             *sorted((root / "feedback").rglob("*.html"))]
    return {str(path.relative_to(root)): path.read_bytes() for path in files}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    one_machine = course(tmp_path_factory.mktemp("one-machine"))
    grade.grade_class(Course(one_machine), workers=2)
    bundles = tmp_path_factory.mktemp("bundles")
    for index in (1, 2):  # each share on a machine of its own
        machine = course(tmp_path_factory.mktemp(f"shard-{index}"))
        bundle = shards.grade_shard(Course(machine), f"{index}/2", workers=1)
        shutil.copytree(bundle, bundles / bundle.name)
    return one_machine, bundles


@pytest.mark.slow
def test_two_shards_and_a_merge_write_what_one_machine_writes(graded, tmp_path):
    one_machine, bundles = graded
    merged = course(tmp_path / "merged")
    shards.merge(Course(merged), bundles)
    assert gradebook_contents(Course(merged).db_url) == gradebook_contents(Course(one_machine).db_url)
    mine, theirs = outputs(merged), outputs(one_machine)
    assert mine.keys() == theirs.keys() and len(mine) > 10
    for name in mine:
        assert mine[name] == theirs[name], name
    shards.merge(Course(merged), bundles)  # again: nothing changes
    assert outputs(merged) == theirs


@pytest.mark.slow
def test_a_missing_shard_is_named_and_the_rest_is_merged(graded, tmp_path):
    _, bundles = graded
    merged = course(tmp_path / "merged")
    only_one = tmp_path / "only-one"
    shutil.copytree(bundles / "1-of-2", only_one / "1-of-2")
    with pytest.raises(grade.GraderError, match="no result for 1 students: demo-partly-wrong"):
        shards.merge(Course(merged), only_one)
    table = grade.scores(Course(merged))
    assert set(table["student"]) == {"demo-complete", "demo-untouched"}
    assert (merged / "feedback" / "demo-complete").is_dir() and not (merged / "feedback" / "demo-partly-wrong").exists()


@pytest.mark.slow
def test_a_bundle_graded_against_other_exercises_is_refused(graded, tmp_path):
    _, bundles = graded
    merged = course(tmp_path / "merged")
    stale = tmp_path / "stale"
    shutil.copytree(bundles, stale)
    manifest = json.loads((stale / "2-of-2" / shards.MANIFEST).read_text())
    manifest["exercises"] = "0" * 64
    (stale / "2-of-2" / shards.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(grade.GraderError, match=r"refused bundles: 2-of-2 \(graded against other exercises"):
        shards.merge(Course(merged), stale)
    assert "demo-partly-wrong" not in set(grade.scores(Course(merged))["student"])


def test_merging_without_bundles_changes_nothing(tmp_path):
    merged = course(tmp_path / "merged")
    before = sorted(path for path in merged.rglob("*"))
    with pytest.raises(grade.GraderError, match="no bundle under"):
        shards.merge(Course(merged), tmp_path / "nowhere")
    assert sorted(path for path in merged.rglob("*")) == before


@pytest.mark.slow
def test_a_merged_course_judges_a_changed_test_again_from_the_kept_answers(graded, tmp_path):
    _, bundles = graded
    merged = Course(course(tmp_path / "merged"))
    shards.merge(merged, bundles)
    changed_threshold(merged)  # notebook 4's hidden accuracy threshold, lowered
    grade.grade_class(merged, workers=2)
    assignment = merged.assignment(ASSIGNMENT)
    assert [merged.read_run(assignment, student)[1].replay for student in CLASS] == [REPLAYED] * len(CLASS)

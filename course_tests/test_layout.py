"""The course's top level, as the README promises it, is there in every clone; what grading
writes into it (students' work and grades) is never committed."""

import subprocess

import pytest

from penguin_course.course.directory import Course
from penguin_course.grading import grade
from penguin_course.course.paths import ROOT

PROMISED = ["source", "release", "autograded", "submitted", "feedback", "course_tests", "nbgrader_config.py",
            "environment.yml", "README.md"]
NEVER_COMMITTED = ["autograded/ada/penguin-classification/1-inspect-dataset.ipynb",
                   "submitted/ada/penguin-classification/1-inspect-dataset.ipynb",
                   "feedback/ada/penguin-classification/1-inspect-dataset.html",
                   "grades.csv", "grades-by-test.csv", "report.html", "gradebook.db"]


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    if subprocess.run(["git", "rev-parse"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.fail(f"{ROOT} is not a git repository: the layout is checked on a clone")
    clone = tmp_path_factory.mktemp("clone") / "course"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    return clone


def test_a_fresh_clone_has_the_promised_top_level(fresh_clone):
    missing = [name for name in PROMISED if not (fresh_clone / name).exists()]
    assert not missing, f"a fresh clone lacks {missing}"
    for folder in ("autograded", "submitted", "feedback"):
        assert [path.name for path in (fresh_clone / folder).iterdir()] == ["README.md"]


def test_git_ignores_students_work_and_grades(fresh_clone):
    for path in NEVER_COMMITTED:
        run = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=fresh_clone)
        assert run.returncode == 0, f"git would commit {path}"
    for folder in ("autograded", "submitted", "feedback"):
        assert subprocess.run(["git", "check-ignore", "-q", f"{folder}/README.md"], cwd=fresh_clone).returncode == 1


def test_make_clean_empties_the_folders_but_keeps_their_readme(fresh_clone):
    graded = fresh_clone / "autograded" / "ada" / "penguin-classification"
    graded.mkdir(parents=True)
    (graded / "1-inspect-dataset.ipynb").write_text("{}")
    (fresh_clone / "feedback" / "ada").mkdir()
    (fresh_clone / "grades.csv").write_text("student_id\n")
    removed = grade.clean(Course(fresh_clone))
    assert sorted(removed) == ["autograded/ada", "feedback/ada", "grades.csv"]
    for folder in ("autograded", "submitted", "feedback"):
        assert [path.name for path in (fresh_clone / folder).iterdir()] == ["README.md"]

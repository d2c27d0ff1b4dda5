"""The gradebook as the tooling opens it: one engine per process, yet each course its own database."""

import os

import pytest
from nbgrader import api

from penguin_course.course.gradebook import Gradebook


@pytest.fixture
def in_folder():
    """Run the block's code in a folder, as nbgrader's apps run in the course they work on."""
    here = os.getcwd()
    yield os.chdir
    os.chdir(here)


def test_a_relative_url_names_the_working_folder_s_gradebook(tmp_path, in_folder):
    # nbgrader's default db_url, opened in two courses by one process (a bench, formgrader, tests)
    first, second = tmp_path / "first", tmp_path / "second"
    for course, student in ((first, "ada"), (second, "bob")):
        course.mkdir()
        in_folder(course)
        with Gradebook("sqlite:///gradebook.db") as gradebook:
            gradebook.add_student(student)
    for course, student in ((first, "ada"), (second, "bob")):
        with api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            assert [s.id for s in gradebook.students] == [student]


def test_a_removed_gradebook_is_made_again_with_its_indexes(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gradebook:
        gradebook.add_student("ada")
    (tmp_path / "gradebook.db").unlink()  # make clean, in the same process
    with Gradebook(url) as gradebook:
        assert gradebook.students == []
        indexes = {row[0] for row in gradebook.db.execute(api.text("SELECT name FROM sqlite_master WHERE type='index'"))}
    assert {"penguin_course_grade_notebook", "penguin_course_comment_notebook"} <= indexes


def test_a_student_is_saved_in_one_transaction(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with pytest.raises(RuntimeError), Gradebook(url) as gradebook, gradebook.one_transaction():
        gradebook.add_student("ada")  # nbgrader commits here, outside one_transaction
        raise RuntimeError("the grader failed before the student's grades were saved")
    with Gradebook(url) as gradebook:
        assert gradebook.students == []
        gradebook.add_student("bob")  # commits as nbgrader's does
    with api.Gradebook(url) as gradebook:
        assert [s.id for s in gradebook.students] == ["bob"]


def test_a_merge_s_transaction_holds_each_student_s_and_commits_as_it_goes(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"

    def students() -> list[str]:  # as another process reads them, while the transaction goes on
        with api.Gradebook(url) as reader:
            return sorted(s.id for s in reader.students)

    with pytest.raises(RuntimeError), Gradebook(url) as gradebook, gradebook.one_transaction():
        for student in ("ada", "bob"):
            with gradebook.one_transaction():  # a student's own block, within the merge's
                gradebook.add_student(student)
        assert students() == []  # the inner blocks' ends committed nothing
        gradebook.commit_so_far()
        assert students() == ["ada", "bob"]
        gradebook.add_student("cy")
        raise RuntimeError("the merge failed after cy was saved")
    assert students() == ["ada", "bob"]  # what was committed stays; cy, after it, was rolled back

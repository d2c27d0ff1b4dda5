"""`make check` tells a student, item by item, whether the machine is ready."""

import pytest

from penguin_course import setup_check
from penguin_course.paths import RELEASE

pytestmark = pytest.mark.slow


def test_every_item_passes_on_a_good_setup(capsys):
    assert setup_check.run(RELEASE) == 0
    output = capsys.readouterr().out
    assert output.count("PASS") == 5 and "FAIL" not in output


def test_a_missing_dataset_fails_that_item_and_the_command(tmp_path, capsys):
    assert setup_check.run(tmp_path) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.strip().startswith("FAIL  dataset offline") and "penguins.csv" in line for line in lines)
    assert sum("PASS" in line for line in lines) == 4


def test_a_wrong_package_version_fails(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pandas==0.0.1\nnumpy==0.0.2; sys_platform == 'nonexistent'\n")
    with pytest.raises(setup_check.CheckFailed, match=r"pandas \S+ is installed, 0.0.1 is needed") as failure:
        setup_check.package_versions(requirements)
    assert "numpy" not in str(failure.value), "a requirement for another platform is not checked"

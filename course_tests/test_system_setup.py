"""`make demo`, `make grade` and `make sandbox` install bubblewrap and Graphviz themselves on a fresh machine
(apt, sudo unless root), and refuse with the one step to take only when that fails. Tested with
a PATH that has no bwrap nor dot and stand-ins for apt-get and sudo that record how they were called."""

import os
import stat

import pytest

from penguin_course import __main__ as cli
from penguin_course.course.directory import Course
from penguin_course.grading import grade
from penguin_course.isolation import sandbox
from penguin_course.setup import system

FAKE_PROGRAM = "#!/bin/sh\nexit 0\n"


def stand_in(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def bare_path(tmp_path, monkeypatch):
    """A PATH with sh and nothing else of the system's: no bwrap, no apt-get, no sudo."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "chmod"):
        os.symlink(f"/bin/{tool}" if os.path.exists(f"/bin/{tool}") else f"/usr/bin/{tool}", bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def apt_that_installs(bin_dir, log):
    """apt-get that records its arguments and, on install, puts the package's program on PATH
    (bwrap for bubblewrap, dot for graphviz)."""
    installs = "".join(f"install:{program.package}) printf '{FAKE_PROGRAM}' > {bin_dir}/{program.command}; "
                       f"chmod +x {bin_dir}/{program.command};; " for program in (system.BUBBLEWRAP, system.GRAPHVIZ))
    return stand_in(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}\ncase "$1:$4" in {installs}esac\n')


def test_as_root_it_installs_bubblewrap_with_apt(bare_path, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    log = tmp_path / "calls.log"
    apt_that_installs(bare_path, log)
    assert system.ensure(system.BUBBLEWRAP, echo=lambda message: None) == str(bare_path / "bwrap")
    assert log.read_text().splitlines() == ["apt-get update -qq", "apt-get install -y -qq bubblewrap"]


def test_as_a_user_it_asks_sudo(bare_path, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    log = tmp_path / "calls.log"
    apt_that_installs(bare_path, log)
    stand_in(bare_path, "sudo", f'echo "sudo $*" >> {log}\nexec "$@"\n')
    system.ensure(system.BUBBLEWRAP, echo=lambda message: None)
    assert log.read_text().splitlines() == ["sudo apt-get update -qq", "apt-get update -qq",
                                            "sudo apt-get install -y -qq bubblewrap",
                                            "apt-get install -y -qq bubblewrap"]


def test_nothing_is_installed_when_it_is_there(bare_path, tmp_path):
    stand_in(bare_path, "bwrap", "exit 0\n")
    log = tmp_path / "calls.log"
    apt_that_installs(bare_path, log)
    system.ensure(system.BUBBLEWRAP)
    assert not log.exists()


def submission(root):
    folder = root / "submitted" / "ada" / "penguin-classification"
    folder.mkdir(parents=True)
    (folder / "1-inspect-dataset.ipynb").write_text("{}")


def test_grading_refuses_with_the_one_step_when_apt_fails(bare_path, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    stand_in(bare_path, "apt-get", 'echo "E: Unable to locate package bubblewrap" >&2\nexit 100\n')
    submission(tmp_path)
    with pytest.raises(grade.GraderError) as refusal:
        grade.grade_class(Course(tmp_path))
    assert "Unable to locate package bubblewrap" in str(refusal.value)
    assert "run `apt-get install -y bubblewrap`" in str(refusal.value)
    assert not (tmp_path / "gradebook.db").exists() and not (tmp_path / "autograded").exists()


def test_without_apt_it_says_what_to_install(bare_path, tmp_path):
    submission(tmp_path)
    with pytest.raises(grade.GraderError, match="no apt-get here: install the package bubblewrap"):
        grade.grade_class(Course(tmp_path))


def test_make_sandbox_installs_graphviz_too(bare_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "check", lambda: None)  # the stand-in bwrap sandboxes nothing
    log = tmp_path / "calls.log"
    apt_that_installs(bare_path, log)
    assert cli.main(["sandbox"]) == 0
    assert log.read_text().splitlines() == ["apt-get update -qq", "apt-get install -y -qq bubblewrap",
                                            "apt-get update -qq", "apt-get install -y -qq graphviz"]
    assert f"with Graphviz ({bare_path / 'dot'})" in capsys.readouterr().out


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandboxed", "not sandboxed"])
def test_grading_refuses_without_graphviz_with_the_one_step(bare_path, tmp_path, monkeypatch, sandboxed):
    """A notebook that calls plot_model would fail where it is graded, sandboxed or not."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "check", lambda: None)
    stand_in(bare_path, "bwrap", "exit 0\n")
    stand_in(bare_path, "apt-get", 'echo "E: Unable to locate package graphviz" >&2\nexit 100\n')
    submission(tmp_path)
    with pytest.raises(grade.GraderError) as refusal:
        grade.grade_class(Course(tmp_path), sandboxed=sandboxed)
    assert "Unable to locate package graphviz" in str(refusal.value)
    assert "run `apt-get install -y graphviz` (Fedora: sudo dnf install graphviz)" in str(refusal.value)
    assert not (tmp_path / "gradebook.db").exists() and not (tmp_path / "autograded").exists()

"""`make` runs on the Python a new machine already has (3.11 to 3.13), picks one itself, and
installs venv's missing pip package (Debian, Ubuntu) the way it installs bubblewrap."""

import os
import shutil
import stat
import subprocess

import pytest
from packaging.requirements import Requirement

from penguin_course.setup import bootstrap, setup_check
from penguin_course.course.paths import ROOT


def stand_in(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def interpreter(folder, name, version, venv="exit 0"):
    """A stand-in python: it tells its version, says whether it is supported, and runs `-m venv` as told."""
    major, minor, _ = version.split(".")
    supported = (3, 11) <= (int(major), int(minor)) <= (3, 13)
    return stand_in(folder, name, f'''case "$*" in
  *"print(*sys.version_info[:3])"*) echo "{version.replace('.', ' ')}";;
  *"-m venv"*) {venv};;
  *) exit {0 if supported else 1};;
esac
''')


def python_make_picks(bin_dir):
    """The interpreter make chooses with only ``bin_dir``'s on PATH."""
    run = subprocess.run([shutil.which("make"), "-s", "--no-print-directory", "--eval",
                          "which-python: ; $(info $(PYTHON))", "which-python"], cwd=ROOT, capture_output=True,
                         text=True, env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/")})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


@pytest.fixture
def bin_dir(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def test_make_prefers_python3_11(bin_dir):
    for name, version in (("python3", "3.12.3"), ("python3.11", "3.11.2"), ("python3.12", "3.12.3")):
        interpreter(bin_dir, name, version)
    assert python_make_picks(bin_dir) == str(bin_dir / "python3.11")


def test_make_takes_python3_when_it_is_supported(bin_dir):
    interpreter(bin_dir, "python3", "3.13.1")
    interpreter(bin_dir, "python3.12", "3.12.3")
    assert python_make_picks(bin_dir) == str(bin_dir / "python3")


def test_make_passes_over_an_old_python3(bin_dir):
    interpreter(bin_dir, "python3", "3.10.12")
    interpreter(bin_dir, "python3.12", "3.12.3")
    assert python_make_picks(bin_dir) == str(bin_dir / "python3.12")


def test_an_old_python_is_refused_with_what_to_do(bin_dir):
    old = interpreter(bin_dir, "python3", "3.10.12")
    with pytest.raises(bootstrap.BootstrapFailed, match=r"3\.10\.12.*3\.11, 3\.12 or 3\.13.*PYTHON=.*conda env create"):
        bootstrap.create(str(bin_dir / "venv"), str(old))


ENSUREPIP_MISSING = ('echo "The virtual environment was not created successfully because ensurepip is not '
                     'available. On Debian/Ubuntu systems, you need to install the python3-venv package"; exit 1')


def test_a_missing_venv_package_is_installed_with_apt(bin_dir, tmp_path, monkeypatch):
    """Debian's python3 without python3.11-venv: apt installs it, then venv works."""
    installed = tmp_path / "installed"
    python = interpreter(bin_dir, "python3", "3.11.2",
                         venv=f'if [ -e {installed} ]; then exit 0; else {ENSUREPIP_MISSING}; fi')
    log = tmp_path / "apt.log"
    stand_in(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}\ncase "$1" in install) touch {installed};; esac\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    bootstrap.create(str(tmp_path / "venv"), str(python), echo=lambda message: None)
    assert log.read_text().splitlines() == ["apt-get update -qq", "apt-get install -y -qq python3.11-venv"]


def test_without_apt_it_names_the_package(bin_dir, tmp_path, monkeypatch):
    python = interpreter(bin_dir, "python3", "3.12.3", venv=ENSUREPIP_MISSING)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(bootstrap.BootstrapFailed, match=r"sudo apt-get install -y python3\.12-venv"):
        bootstrap.create(str(tmp_path / "venv"), str(python))


def test_every_pin_admits_the_supported_pythons():
    """Each package is pinned for Debian 12's 3.11.2, later 3.11s, 3.12 and 3.13, once each."""
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    for version in ("3.11.2", "3.11.7", "3.12.3", "3.13.1"):
        environment = {"python_full_version": version, "python_version": version.rsplit(".", 1)[0],
                       "sys_platform": "linux"}
        chosen = [Requirement(line) for line in lines]
        chosen = [r.name for r in chosen if r.marker is None or r.marker.evaluate(environment)]
        assert len(chosen) == len(set(chosen)), f"a package pinned twice for Python {version}"
        assert "soupsieve" in chosen


def test_make_check_accepts_the_supported_pythons_and_explains_others(monkeypatch):
    assert "3.11 to 3.13" in setup_check.python_version()
    monkeypatch.setattr(setup_check.sys, "version_info", (3, 10, 12, "final", 0))
    monkeypatch.setattr(setup_check.sys, "version", "3.10.12 (main)")
    with pytest.raises(setup_check.CheckFailed, match="conda env create -f environment.yml"):
        setup_check.python_version()

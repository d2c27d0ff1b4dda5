"""Students install environment.yml on their own laptops: its pins have wheels for 64-bit Windows,
Apple silicon macOS and x86-64 Linux, for Python 3.11. pip resolves them for each platform without
installing anything (a dry run, for another platform); the slow tests need the package index."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from penguin_course.setup import environments

# Python 3.11 as conda installs it, a recent patch release (soupsieve 4 needs 3.11.5 or later)
PYTHON_VERSION = environments.PYTHON["python_full_version"]
# The wheels' platform tags pip may take on each platform (pip takes exactly those it is given):
PLATFORM_TAGS = {
    "windows": ["win_amd64"],
    # Apple silicon with macOS 12, the oldest TensorFlow 2.21 has wheels for (macosx_12_0_arm64): pip
    # takes the wheels for macOS 12 and older (11.0 arm64, universal2), so every later macOS can too.
    # (Intel Macs have no TensorFlow wheel since 2.17.)
    "macos": ["macosx_12_0_arm64"],
    # glibc 2.35 (Ubuntu 22.04; Debian 12 has 2.36) and older: tensorflow-cpu is manylinux_2_27
    "linux": [f"manylinux_2_{minor}_x86_64" for minor in range(35, 16, -1)]
             + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"],
}
NO_WHEEL = re.compile(r"No matching distribution found for (\S+)")
CONFLICT = re.compile(r"Cannot install (.+?) because these package versions have conflicting dependencies")


def pip_failure(stderr: str, platform: str) -> str:
    """Why pip could not resolve the students' pins for a platform, naming the package and platform."""
    where = f"on {platform} ({', '.join(PLATFORM_TAGS[platform][:2])}, Python {PYTHON_VERSION})"
    missing = [Requirement(found).name for found in NO_WHEEL.findall(stderr)]
    if missing:
        return f"{', '.join(missing)}: no wheel {where}, as pinned in environment.yml ({', '.join(NO_WHEEL.findall(stderr))})"
    conflict = CONFLICT.search(stderr)
    if conflict:
        return f"{conflict.group(1)}: conflicting dependencies {where}"
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR:")]
    return f"pip failed {where}: {' '.join(errors) or stderr[-2000:]}"


def dry_run(platform: str, folder: Path) -> tuple[subprocess.CompletedProcess, dict[str, str], list[Requirement]]:
    """pip's dry run of environment.yml's pip section for a platform, with markers resolved for it
    (pip evaluates them for the machine it runs on) and what only that platform needs added: its
    run, what it would install (name: version) and the requirements it was given."""
    requirements = [Requirement(line) for line in environments.for_platform(environments.pip_section(), platform)
                    + environments.platform_requirements(platform)]
    given, report = folder / f"students-{platform}.txt", folder / f"report-{platform}.json"
    given.write_text("".join(f"{requirement}\n" for requirement in requirements))
    platforms = [option for tag in PLATFORM_TAGS[platform] for option in ("--platform", tag)]
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                          "--only-binary=:all:", *platforms, "--python-version", PYTHON_VERSION,
                          "--target", str(folder / "target"), "--report", str(report), "-r", str(given)],
                         capture_output=True, text=True, timeout=900)
    resolved = {} if run.returncode else {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                                          for item in json.loads(report.read_text())["install"]}
    return run, resolved, requirements


@pytest.mark.slow
@pytest.mark.parametrize("platform", list(PLATFORM_TAGS))
def test_the_students_pins_install_on(platform, tmp_path):
    run, resolved, requirements = dry_run(platform, tmp_path)
    assert run.returncode == 0, pip_failure(run.stderr, platform)
    for requirement in requirements:  # the pins at their versions, what only this platform needs as it asks
        version = resolved.get(canonicalize_name(requirement.name))
        assert version is not None and requirement.specifier.contains(version, prereleases=True), \
            f"{requirement.name}: pip would install {version} on {platform}, not {requirement.specifier}"
    unasked = set(resolved) - {canonicalize_name(r.name) for r in requirements} - environments.INSTALLERS
    assert not unasked, f"on {platform}, pip adds {sorted(unasked)}, which environment.yml does not pin"


# pip 23.2's words, for a pin with no wheel for the platform (tensorflow-cpu for macOS)
NO_WHEEL_STDERR = """\
WARNING: Location 'file:///opt/pypi-more/simple/tensorflow-cpu/' is ignored: it is neither a file nor a directory.
ERROR: Could not find a version that satisfies the requirement tensorflow-cpu==2.21.0 (from versions: none)
ERROR: No matching distribution found for tensorflow-cpu==2.21.0
"""


def test_a_pin_without_a_wheel_fails_naming_the_package_and_the_platform():
    message = pip_failure(NO_WHEEL_STDERR, "macos")
    assert message.startswith(f"tensorflow-cpu: no wheel on macos (macosx_12_0_arm64, Python {PYTHON_VERSION})"), message
    assert "tensorflow-cpu==2.21.0" in message


def test_a_conflict_or_another_error_names_the_platform():
    conflict = ("ERROR: Cannot install keras==3.15.1 and tensorflow==2.21.0 because these package versions have "
                "conflicting dependencies.\n")
    assert pip_failure(conflict, "windows") == ("keras==3.15.1 and tensorflow==2.21.0: conflicting dependencies on "
                                                f"windows (win_amd64, Python {PYTHON_VERSION})")
    assert "on linux (manylinux_2_35_x86_64" in pip_failure("ERROR: something else\n", "linux")


def test_each_platform_gets_its_own_markers_resolved():
    written = {platform: environments.for_platform(["tensorflow-cpu==2.21.0; sys_platform == 'linux'",
                                                    "tensorflow==2.21.0; sys_platform != 'linux'",
                                                    "appnope==0.1.4; sys_platform == 'darwin'", "six==1.17.0"], platform)
               for platform in PLATFORM_TAGS}
    assert written == {"windows": ["tensorflow==2.21.0", "six==1.17.0"],
                       "macos": ["tensorflow==2.21.0", "appnope==0.1.4", "six==1.17.0"],
                       "linux": ["tensorflow-cpu==2.21.0", "six==1.17.0"]}


def test_what_only_windows_or_macos_needs_is_added_to_their_dry_run():
    """pip also evaluates the markers of the pins' own requirements for the machine it runs on: what the
    students' packages need only on Windows or macOS (not pinned, as requirements.txt is made on Linux)
    is given to pip for that platform, so that its wheels are checked too."""
    assert environments.platform_requirements("linux") == []
    assert {"colorama", "pywinpty"} <= {Requirement(line).name for line in environments.platform_requirements("windows")}
    assert "appnope" in {Requirement(line).name for line in environments.platform_requirements("macos")}

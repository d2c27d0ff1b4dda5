"""System programs the course needs beyond Python: installed with apt when missing.

Grading needs bubblewrap (the sandbox) and Graphviz (a notebook may draw its model with
keras.utils.plot_model, as the lesson does), and the browser tests need Chromium. None is on
PyPI, so `make demo`, `make grade` and `make test` install them the way an instructor would
by hand: `apt-get install` (with sudo unless root). Where that cannot work (no apt, no sudo
rights, no network), they stop with the one command to run.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemProgram:
    command: str  # the program that must be on PATH
    package: str  # the Debian/Ubuntu package that provides it
    purpose: str
    other_systems: str = ""  # how to install it without apt
    locations: tuple[str, ...] = ()  # where it is when not on PATH (glob patterns)


BUBBLEWRAP = SystemProgram("bwrap", "bubblewrap", "the sandbox that grading runs student code in",
                           "Fedora: sudo dnf install bubblewrap")
# pydot (pip) calls Graphviz's dot: without it, a notebook that calls plot_model fails where it is graded.
GRAPHVIZ = SystemProgram("dot", "graphviz", "Graphviz, which keras.utils.plot_model draws with (the lesson calls it)",
                         "Fedora: sudo dnf install graphviz")
CHROMIUM = SystemProgram("chromium", "chromium", "the browser that the browser tests drive")
# Debian keeps the server's programs off PATH, one folder per major version.
POSTGRES = SystemProgram("initdb", "postgresql", "the database server for a gradebook that several graders share",
                         "Fedora: sudo dnf install postgresql-server",
                         ("/usr/lib/postgresql/*/bin/initdb", "/usr/pgsql-*/bin/initdb"))


def find(program: SystemProgram) -> str | None:
    """Where ``program`` is: on PATH, or in its usual places (the newest version first)."""
    found = [path for pattern in program.locations for path in glob.glob(pattern) if os.access(path, os.X_OK)]
    newest = sorted(found, key=lambda path: [int(part) if part.isdigit() else 0 for part in path.split("/")])
    return shutil.which(program.command) or (newest[-1] if newest else None)


class InstallFailed(RuntimeError):
    pass


def apt_command(*args: str) -> list[str]:
    """apt-get with sudo, unless this is root already."""
    return (["sudo"] if os.geteuid() != 0 else []) + ["apt-get", *args]


def one_step(program: SystemProgram) -> str:
    step = " ".join(apt_command("install", "-y", program.package))
    return f"`{step}`" + (f" ({program.other_systems})" if program.other_systems else "")


def apt_install(program: SystemProgram, echo=print) -> None:
    """Install ``program``'s package with apt-get; InstallFailed naming the one step to take."""
    if shutil.which("apt-get") is None:
        raise InstallFailed(f"{program.command} ({program.purpose}) is not installed and there is no apt-get "
                            f"here: install the package {program.package} yourself, e.g. {one_step(program)}")
    echo(f"{program.command} ({program.purpose}) is missing: installing the package {program.package} with apt-get")
    for args in (("update", "-qq"), ("install", "-y", "-qq", program.package)):
        # sudo asks for a password on the terminal, as it would by hand
        run = subprocess.run(apt_command(*args), capture_output=True, text=True)
        if run.returncode != 0:
            detail = (run.stderr.strip().splitlines() or run.stdout.strip().splitlines() or ["no message"])[-1]
            raise InstallFailed(f"{program.command} ({program.purpose}) is not installed, and "
                                f"`{' '.join(apt_command(*args))}` failed ({detail}): run {one_step(program)}")


def ensure(program: SystemProgram, echo=print) -> str:
    """The path of ``program``, installed with apt first if it is missing; InstallFailed naming
    the one step to take if that does not work."""
    found = find(program)
    if found:
        return found
    apt_install(program, echo)
    found = find(program)
    if found is None:
        raise InstallFailed(f"apt-get installed {program.package} but {program.command} is still not on PATH: "
                            f"check {one_step(program)}")
    return found

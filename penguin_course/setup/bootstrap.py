"""Create the course's virtual environment with a supported Python: the first step of `make`.

Run by the system's Python before any package is installed, so it uses the standard library
only. Debian and Ubuntu ship venv's pip bootstrap (ensurepip) as a package of its own,
python3.X-venv, which a fresh desktop often lacks: `python3 -m venv` then fails. This installs
that package with apt (sudo unless root), as `make` installs bubblewrap, or says the one
command to run.

    python3 -m penguin_course.setup.bootstrap .venv [--python /usr/bin/python3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from penguin_course.setup.system import InstallFailed, SystemProgram, apt_install

SUPPORTED = [(3, 11), (3, 12), (3, 13)]
NOT_SUPPORTED = ("Python {found} cannot run the course's pinned packages: it needs Python 3.11, 3.12 or 3.13. "
                 "Run make PYTHON=/path/to/python3.12 (any of 3.11 to 3.13), or, with Python 3.10 or older, use "
                 "conda: conda env create -f environment.yml (it brings its own Python), then pip install -r "
                 "requirements.txt in it")


class BootstrapFailed(RuntimeError):
    pass


def version_of(python: str) -> tuple[int, int, int]:
    try:
        run = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:3])"], capture_output=True,
                             text=True, timeout=60)
    except OSError as error:
        raise BootstrapFailed(f"cannot run {python}: {error}") from None
    if run.returncode != 0:
        raise BootstrapFailed(f"cannot run {python}: {run.stderr.strip()}")
    major, minor, micro = map(int, run.stdout.split())
    return major, minor, micro


def check_supported(python: str) -> tuple[int, int, int]:
    version = version_of(python)
    if version[:2] not in SUPPORTED:
        raise BootstrapFailed(NOT_SUPPORTED.format(found=".".join(map(str, version))))
    return version


def lacks_ensurepip(output: str) -> bool:
    return "ensurepip" in output


def create(destination: str, python: str = sys.executable, echo=print) -> None:
    """The virtual environment ``destination`` made by ``python``, with pip; installs python3.X-venv
    first if that Python's venv module cannot make one."""
    version = check_supported(python)
    command = [python, "-m", "venv", "--clear", destination]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0 and lacks_ensurepip(run.stdout + run.stderr):
        package = f"python{version[0]}.{version[1]}-venv"
        try:
            apt_install(SystemProgram(f"{python} -m venv", package,
                                      f"the pip that venv gives Python {version[0]}.{version[1]}"), echo=echo)
        except InstallFailed as error:
            raise BootstrapFailed(str(error)) from None
        run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        detail = (run.stderr.strip() or run.stdout.strip()).splitlines()
        raise BootstrapFailed(f"`{' '.join(command)}` failed: {detail[-1] if detail else 'no message'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to build it with (default: this one)")
    args = parser.parse_args(argv)
    try:
        create(args.destination, args.python)
    except BootstrapFailed as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

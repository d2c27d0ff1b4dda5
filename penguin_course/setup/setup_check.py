"""Check that this machine is ready for the workshop, before the workshop.

Run ``make check`` (or ``python -m penguin_course.setup.setup_check`` in a conda
environment). Each item prints PASS or FAIL with what was found; the command
exits 1 if any item fails. It checks the Python and package versions against
requirements.txt, that TensorFlow builds and trains a tiny model, that
keras.utils.plot_model draws one (pydot and Graphviz, as the lesson uses them),
that the dataset loads offline, and that Jupyter can start a Python kernel.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from penguin_course.setup.bootstrap import NOT_SUPPORTED, SUPPORTED
from penguin_course.course.paths import RELEASE, ROOT



class CheckFailed(Exception):
    pass


def python_version() -> str:
    if sys.version_info[:2] not in SUPPORTED:
        raise CheckFailed(NOT_SUPPORTED.format(found=sys.version.split()[0]))
    return f"Python {sys.version.split()[0]} (3.11 to 3.13 are supported)"


def pinned_requirements(path: Path = ROOT / "requirements.txt", text: str | None = None) -> list[Requirement]:
    """The requirements (of the file at ``path``, or ``text``) that apply to this platform (their
    environment markers hold)."""
    text = path.read_text() if text is None else text
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    requirements = [Requirement(line) for line in lines if line]
    return [r for r in requirements if r.marker is None or r.marker.evaluate()]


def package_versions(requirements_file: Path = ROOT / "requirements.txt", text: str | None = None) -> str:
    problems = []
    requirements = pinned_requirements(requirements_file, text)
    for requirement in requirements:
        wanted = next(iter(requirement.specifier)).version
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement.name} is missing (want {wanted})")
            continue
        if installed != wanted:
            problems.append(f"{requirement.name} {installed} is installed, {wanted} is needed")
    if problems:
        raise CheckFailed("; ".join(problems) + ". Reinstall with `make venv` or the environment.yml")
    return f"{len(requirements)} packages at the versions of {'the course' if text else 'requirements.txt'}"


def tensorflow_trains() -> str:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    features = np.random.default_rng(0).normal(size=(200, 2))
    labels = (features[:, 0] + features[:, 1] > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(features, labels, epochs=30, verbose=0)
    accuracy = history.history["accuracy"][-1]
    if accuracy < 0.9:
        raise CheckFailed(f"a tiny model trained to only {accuracy:.0%} accuracy: TensorFlow does not work as expected")
    return f"TensorFlow {tf.__version__} with Keras {keras.__version__} trained a tiny model ({accuracy:.0%})"


PYDOT_HINT = ("install pydot: reinstall with `make venv` or the environment.yml, or `pip install pydot` "
              "(`conda install pydot` in a conda environment)")
GRAPHVIZ_HINT = ("install Graphviz: `conda install graphviz` in a conda environment (on Windows, use conda), "
                 "or the system's package, e.g. `sudo apt install graphviz` (Debian, Ubuntu), "
                 "`brew install graphviz` (macOS)")


def pydot_version() -> str | None:
    try:
        import pydot
    except ImportError:
        return None
    return pydot.__version__


def plot_model_draws() -> str:
    """The lesson draws its model with keras.utils.plot_model, which needs pydot and Graphviz's dot.
    Without them Keras raises ImportError, or in IPython only prints why and draws nothing."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    # not the lesson's network: students get this file, and it must not hand them an answer
    inputs = keras.Input(shape=(2,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    model = keras.Model(inputs=inputs, outputs=keras.layers.Dense(1, activation="sigmoid")(hidden))
    with tempfile.TemporaryDirectory() as folder:
        picture = Path(folder) / "model.png"
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                keras.utils.plot_model(model, to_file=str(picture), show_shapes=True)
            said = printed.getvalue().strip()
        except ImportError as error:
            said = str(error)
        drawn = picture.is_file() and picture.read_bytes().startswith(b"\x89PNG")
    if not drawn:
        hint = GRAPHVIZ_HINT if pydot_version() else PYDOT_HINT
        raise CheckFailed(f"keras.utils.plot_model drew nothing ({said or 'no message'}): {hint}")
    return f"keras.utils.plot_model drew a tiny model, with pydot {pydot_version()} and {shutil.which('dot')}"


class NoNetwork:
    """Refuse every network connection within the block, to prove that nothing is downloaded."""

    def __enter__(self):
        self.connect = socket.socket.connect

        def refuse(*args, **kwargs):
            raise CheckFailed("tried to download the dataset: it should load from the assignment folder")

        socket.socket.connect = refuse

    def __exit__(self, *exc):
        socket.socket.connect = self.connect


def dataset_offline(assignment: Path) -> Callable[[], str]:
    def check() -> str:
        import seaborn as sns

        if not (assignment / "penguins.csv").is_file():
            raise CheckFailed(f"{assignment / 'penguins.csv'} is missing: the notebooks cannot load the dataset")
        with NoNetwork():
            penguins = sns.load_dataset("penguins", data_home=str(assignment))
        if penguins.shape != (344, 7):
            raise CheckFailed(f"the dataset has shape {penguins.shape}, expected (344, 7)")
        return f"the penguins dataset loads offline from {assignment} ({len(penguins)} rows)"
    return check


def jupyter_kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs:
        raise CheckFailed("Jupyter has no python3 kernel: install ipykernel in this environment")
    import jupyterlab
    import nbgrader

    return f"JupyterLab {jupyterlab.__version__}, nbgrader {nbgrader.__version__}, a python3 kernel"


# nbgrader's extensions for instructors, which a student's JupyterLab need not show (an empty
# formgrader page, the Create Assignment toolbar): students keep the Assignment List and Validate.
INSTRUCTOR_LAB_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                          "@jupyter/nbgrader:create-assignment"]
INSTRUCTOR_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list",
                                "penguin_course.outputs.formgrader"]  # the course's, in its instructors' environment


def instructor_tools_shown() -> list[str]:
    """nbgrader's instructor extensions that this environment's JupyterLab still shows."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager
    from jupyterlab_server.config import get_page_config

    folders = [os.path.join(path, "labconfig") for path in jupyter_config_path()]
    disabled = get_page_config(folders, "labextensions").get("disabledExtensions", [])
    servers = ExtensionConfigManager(read_config_path=jupyter_config_path())
    return ([plugin for plugin in INSTRUCTOR_LAB_PLUGINS if plugin not in disabled]
            + [name for name in INSTRUCTOR_SERVER_EXTENSIONS if servers.enabled(name)])


def servers_serving_formgrader(timeout: float = 3.0) -> list[str]:
    """The addresses of this user's running Jupyter servers that still serve formgrader: a server
    keeps the extensions it started with, so one started before `setup` still has it."""
    import urllib.error
    import urllib.request

    from jupyter_server.serverapp import list_running_servers

    found = []
    for server in list_running_servers():
        url = server.get("url", "").rstrip("/")
        request = urllib.request.Request(f"{url}/formgrader", headers={"Authorization": f"token {server.get('token', '')}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status == 200:
                    found.append(url)
        except (urllib.error.URLError, OSError, ValueError):  # gone, not formgrader, or not answering: not counted
            continue
    return found


def students_jupyterlab() -> str:
    shown = instructor_tools_shown()
    if shown:
        raise CheckFailed(f"JupyterLab shows nbgrader's tools for instructors ({', '.join(shown)}): run "
                          "`python course_tools.pyz setup` once in this environment, then start JupyterLab again")
    running = servers_serving_formgrader()
    if running:
        raise CheckFailed(f"a JupyterLab started before `setup` still shows the instructors' tools ({', '.join(running)}): "
                          "stop it (File → Shut Down, or Ctrl+C where it runs) and start `jupyter lab` again")
    return "JupyterLab shows nbgrader's Assignment List and Validate, not the instructors' tools"


def hide_instructor_tools() -> list[str]:
    """Switch nbgrader's instructor extensions off in this environment (for every user of it);
    the commands run, for the record."""
    jupyter = [sys.executable, "-m", "jupyter"]
    commands = [jupyter + ["labextension", action, "--level=sys_prefix", *INSTRUCTOR_LAB_PLUGINS]
                for action in ("disable", "lock")]
    commands += [jupyter + ["server", "extension", "disable", "--sys-prefix", name]
                 for name in INSTRUCTOR_SERVER_EXTENSIONS]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    return [" ".join(command[1:]) for command in commands]


def run(assignment: Path = RELEASE, pins: str | None = None, dataset: bool = True) -> int:
    """Run every check and print PASS or FAIL for each; 0 if all pass, else 1. ``pins``: the
    students' pinned packages to check the environment against (and the students' JupyterLab);
    default: the course's requirements.txt (an instructor's machine). ``dataset``: whether the
    assignment hands out the penguins dataset (another assignment may not)."""
    checks = [
        ("Python version", python_version),
        ("packages", lambda: package_versions(text=pins)),
        ("TensorFlow", tensorflow_trains),
        ("plot_model", plot_model_draws),
        ("dataset offline", dataset_offline(assignment.resolve())),
        ("Jupyter", jupyter_kernel),
    ] + ([("JupyterLab for students", students_jupyterlab)] if pins is not None else [])
    if not dataset:
        checks = [check for check in checks if check[0] != "dataset offline"]
    print("Checking this machine for the workshop:")
    failed = 0
    for title, check in checks:
        try:
            print(f"  PASS  {title}: {check()}", flush=True)
        except Exception as error:  # every failure is reported, and the other checks still run
            failed += 1
            print(f"  FAIL  {title}: {error}", flush=True)
    if failed:
        print(f"{failed} of {len(checks)} checks failed: fix the items marked FAIL, then run the check again.")
        return 1
    print(f"All {len(checks)} checks passed: you are ready for the workshop.")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assignment", type=Path, default=RELEASE,
                        help="the assignment folder holding penguins.csv (default: %(default)s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv).assignment)


if __name__ == "__main__":
    sys.exit(main())

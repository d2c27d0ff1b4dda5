"""`make check` tells a student, item by item, whether the machine is ready."""

import json
import subprocess
import sys

import pytest

from penguin_course.setup import setup_check
from penguin_course.course.paths import RELEASE, ROOT

pytestmark = pytest.mark.slow


def test_every_item_passes_on_a_good_setup(capsys):
    assert setup_check.run(RELEASE) == 0
    output = capsys.readouterr().out
    assert output.count("PASS") == 6 and "FAIL" not in output


def test_a_missing_dataset_fails_that_item_and_the_command(tmp_path, capsys):
    assert setup_check.run(tmp_path) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.strip().startswith("FAIL  dataset offline") and "penguins.csv" in line for line in lines)
    assert sum("PASS" in line for line in lines) == 5


def test_a_wrong_package_version_fails(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pandas==0.0.1\nnumpy==0.0.2; sys_platform == 'nonexistent'\n")
    with pytest.raises(setup_check.CheckFailed, match=r"pandas \S+ is installed, 0.0.1 is needed") as failure:
        setup_check.package_versions(requirements)
    assert "numpy" not in str(failure.value), "a requirement for another platform is not checked"


def test_plot_model_draws_the_lessons_kind_of_model_here():
    assert "plot_model drew a tiny model, with pydot 4.0.1" in setup_check.plot_model_draws()


@pytest.mark.parametrize("in_ipython", [False, True], ids=["raises", "in IPython, prints"])
def test_without_pydot_plot_model_fails_with_the_install_hint(in_ipython):
    """Keras imports pydot as it is imported itself, so in a fresh Python that cannot import pydot.
    There Keras raises ImportError; in IPython it only prints why."""
    script = ("import sys\n"
              "sys.modules['pydot'] = None\n"
              + ("import IPython.core.magics.namespace\n" if in_ipython else "")
              + "from penguin_course.setup import setup_check\n"
              "try:\n"
              "    print('PASS', setup_check.plot_model_draws())\n"
              "except setup_check.CheckFailed as failure:\n"
              "    print('FAIL', failure)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.stdout.startswith("FAIL keras.utils.plot_model drew nothing (You must install pydot"), run.stderr
    assert "pip install pydot" in run.stdout and "conda install pydot" in run.stdout


def test_without_graphviz_plot_model_fails_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # pydot finds no dot
    with pytest.raises(setup_check.CheckFailed, match="You must install graphviz") as failure:
        setup_check.plot_model_draws()
    assert all(hint in str(failure.value) for hint in ("conda install graphviz", "sudo apt install graphviz",
                                                       "brew install graphviz"))


def test_a_running_jupyterlab_that_still_serves_formgrader_is_found(tmp_path, monkeypatch):
    """`setup` switches formgrader off in the environment, but a JupyterLab started before keeps it:
    `check` finds such a server (this user's, through Jupyter's runtime files), and no other."""
    from course_tests import browser

    runtime, config, home = tmp_path / "runtime", tmp_path / "config", tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    env = browser.environment(HOME=str(home), JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(config))
    with browser.jupyter_lab(tmp_path, env, tmp_path / "with-formgrader.log") as server:
        assert [url.rstrip("/") for url in setup_check.servers_serving_formgrader()] == [server.base]
        monkeypatch.setattr(setup_check, "instructor_tools_shown", lambda: [])  # as after `setup`
        with pytest.raises(setup_check.CheckFailed, match="started before `setup`"):
            setup_check.students_jupyterlab()
    config.mkdir(exist_ok=True)
    off = {name: False for name in setup_check.INSTRUCTOR_SERVER_EXTENSIONS}  # as `setup` turns them off
    (config / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": off}}))
    with browser.jupyter_lab(tmp_path, env, tmp_path / "without-formgrader.log"):
        assert setup_check.servers_serving_formgrader() == []

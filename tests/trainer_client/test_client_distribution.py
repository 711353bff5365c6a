"""The client-only distribution (``clients/python``, ``arbiter-client``) installed into a fresh venv:
``trainer_client`` and httpx, and nothing of the service (no ``app``, ``sandbox``, ``verifiers``,
no ``arbiter`` command: a trainer's environment must not get a ``verifiers`` package that shadows
the RL-environments one, nor a command that cannot run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
_CLIENT = _ROOT / "clients" / "python"


def test_client_metadata_matches_the_root_grpo_extra() -> None:
    client = tomllib.loads((_CLIENT / "pyproject.toml").read_text())["project"]
    root = tomllib.loads((_ROOT / "pyproject.toml").read_text())["project"]
    assert client["name"] == "arbiter-client" and client["version"] == root["version"]
    assert client["dependencies"] == ["httpx>=0.27,<1"] and client["dependencies"][0] in root["dependencies"]
    assert client["optional-dependencies"]["grpo"] == root["optional-dependencies"]["grpo"]
    assert "scripts" not in client


@pytest.mark.slow
def test_fresh_venv_gets_the_client_alone(tmp_path: Path) -> None:
    # A copy of just what the build reads, so the build leaves nothing in the repository.
    src = tmp_path / "src"
    shutil.copytree(_CLIENT, src / "clients" / "python", ignore=shutil.ignore_patterns("build", "*.egg-info"))
    shutil.copytree(
        _ROOT / "trainer_client", src / "trainer_client", ignore=shutil.ignore_patterns("__pycache__")
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The wheel is built with this environment's setuptools (no download); pip then installs it
    # into the fresh venv with its dependencies, as a user's `pip install` would.
    wheel = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(src / "clients" / "python"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert wheel.returncode == 0, wheel.stderr[-3000:]
    (built,) = (tmp_path / "dist").glob("arbiter_client-*.whl")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(built)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    probe = (
        "import importlib.util, importlib.metadata as md, json, trainer_client, trainer_client.suite\n"
        "print(json.dumps({"
        "'missing': [m for m in ('app', 'sandbox', 'verifiers') if importlib.util.find_spec(m) is None],"
        "'requires': md.requires('arbiter-client'),"
        "'file': trainer_client.__file__,"
        "'data': (importlib.resources.files('trainer_client') / 'data' / 'math_small.jsonl').is_file()}))"
    )
    out = subprocess.run(
        [str(python), "-I", "-c", "import importlib.resources\n" + probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    found = json.loads(out.stdout)
    assert found["missing"] == ["app", "sandbox", "verifiers"]
    assert str(venv) in found["file"] and found["data"] is True
    assert [r for r in found["requires"] if "extra ==" not in r] == ["httpx<1,>=0.27"]
    assert not (venv / "bin" / "arbiter").exists()

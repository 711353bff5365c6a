import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
_HEAVY = (
    "sympy",
    "fastapi",
    "redis",
    "docker",
    "torch",
    "trl",
    "transformers",
    "datasets",
    "app",
    "verifiers",
    "sandbox",
)


def test_importing_the_client_pulls_nothing_heavy() -> None:
    code = (
        "import sys, trainer_client, trainer_client.suite, trainer_client.verl_score;"
        f"print(','.join(m for m in {_HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_only_the_grpo_script_names_heavy_packages() -> None:
    offenders = []
    for path in (_ROOT / "trainer_client").rglob("*.py"):
        if path.name == "grpo.py":
            continue
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(
                stripped.split()[1].split(".")[0] == m for m in _HEAVY
            ):
                offenders.append(f"{path.name}: {stripped}")
    assert offenders == []


def test_client_install_needs_only_httpx_and_ships_the_dataset() -> None:
    import tomllib

    client = tomllib.loads((_ROOT / "clients" / "python" / "pyproject.toml").read_text())
    assert [d.split(">")[0].split("=")[0].split("<")[0] for d in client["project"]["dependencies"]] == [
        "httpx"
    ]
    assert "data/*.jsonl" in client["tool"]["setuptools"]["package-data"]["trainer_client"]
    for package in ("torch", "trl", "transformers", "datasets", "matplotlib", "pyyaml"):
        assert any(d.startswith(package) for d in client["project"]["optional-dependencies"]["grpo"])

"""verl 0.9's released reward loop against the real service, run in ``.venv-verl``.

Why a second venv: verl's config stack (omegaconf, hydra-core) ships parsers generated with ANTLR
4.9 that do not import under the ANTLR 4.13.2 the math verifier's LaTeX parser is pinned to, and
one venv holds one antlr. ``scripts/verl-venv`` (run by ``scripts/test``) builds ``.venv-verl``
layered over the main venv with its own antlr 4.9, omegaconf, hydra-core and verl. The cases
(``verl_real_cases.py``) run there under pytest; the service they call runs here, in the main venv,
so it scores with the pinned ANTLR exactly as in production.
"""

from __future__ import annotations

import ast
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.trainer_client.verl_real_cases import SERVICE_URL_ENV

pytestmark = pytest.mark.timeout(1500)

_ROOT = Path(__file__).resolve().parents[2]
_CASES = Path(__file__).with_name("verl_real_cases.py")
_RUN_TIMEOUT_S = 1400.0


def _verl_python() -> Path:
    """``.venv-verl``'s interpreter; locally a missing venv skips, in CI (CI=true) it fails."""
    venv = Path(os.environ.get("ARBITER_VERL_VENV", str(_ROOT / ".venv-verl")))
    python = venv / "bin" / "python"
    if not python.exists():
        reason = f"no verl venv at {venv}: build it with scripts/verl-venv"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the verl tests must run in CI: {reason}")
        pytest.skip(reason)
    return python


def _defined_cases() -> set[str]:
    tree = ast.parse(_CASES.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def _outcomes(report: Path) -> dict[str, str]:
    """Each case's outcome from pytest's JUnit XML: passed, skipped, failure or error."""
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        bad = [child.tag for child in case if child.tag in ("skipped", "failure", "error")]
        outcomes[case.attrib["name"]] = bad[0] if bad else "passed"
    return outcomes


def test_verl_venv_shadows_antlr_and_loads_hydra() -> None:
    """The layering holds: 4.9 there (hydra parses overrides), the pinned 4.13.2 stays here."""
    import importlib.metadata as md

    probe = (
        "import importlib.metadata as md, hydra, omegaconf, verl\n"
        "from hydra.core.override_parser.overrides_parser import OverridesParser\n"
        "o = OverridesParser.create().parse_override('+a.b=c')\n"
        "print(md.version('antlr4-python3-runtime'), o.key_or_group, o.value())\n"
    )
    out = subprocess.run(
        [str(_verl_python()), "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr[-4000:]
    version, key, value = out.stdout.split()
    assert version.startswith("4.9.") and (key, value) == ("a.b", "c")
    assert md.version("antlr4-python3-runtime") == "4.13.2"


def test_verl_cases_pass_in_the_verl_venv(arbiter_service: str, tmp_path: Path) -> None:
    python = _verl_python()
    report = tmp_path / "verl-cases.xml"
    argv = [str(python), "-m", "pytest", str(_CASES), "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
    env = {**os.environ, SERVICE_URL_ENV: arbiter_service}
    proc = subprocess.run(
        argv, cwd=_ROOT, env=env, capture_output=True, text=True, timeout=_RUN_TIMEOUT_S, check=False
    )
    log = (proc.stdout + proc.stderr)[-8000:]
    assert proc.returncode == 0, log
    outcomes = _outcomes(report)
    assert set(outcomes) == _defined_cases(), log  # every case ran: none lost to collection
    assert set(outcomes.values()) == {"passed"}, (outcomes, log)

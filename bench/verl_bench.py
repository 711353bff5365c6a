"""verl's per-sample reward path against one batched request, on the same service in the same run.

Why: verl 0.9's reward loop calls the reward function once per sample (all samples of a batch as
concurrent tasks). Without coalescing that is one HTTP request per sample. The target: 256
samples through verl's per-sample path in at most 1.5x the time of one batched ``/v1/rewards``
request for the same 256 samples (the baseline).

Two interpreters, as in a real deployment: the service pins ANTLR 4.13.2 for its LaTeX parser
and verl's omegaconf/hydra-core need ANTLR 4.9, so they cannot share a venv. This script starts
a real ``arbiter serve`` on a free port with the main venv's Python (``.venv``) and runs the
trainer side (``bench/verl_bench_driver.py``: the batched baseline, ``compute_score`` per sample,
verl's released ``RewardLoopWorker`` with our function and with a no-op, legacy sync calls) under
``.venv-verl``'s Python (built by ``scripts/verl-venv``), then prints medians and ratios. It
needs only the standard library, so any ``python3`` may start it.

    scripts/verl-venv     # once: builds .venv-verl, layered over .venv
    python bench/verl_bench.py [--samples 256] [--repeats 3] [--url URL]
        [--service-venv .venv] [--verl-venv .venv-verl]

Venv defaults: ``$ARBITER_VENV`` / ``$ARBITER_VERL_VENV`` (as ``scripts/verl-venv`` reads them),
else ``.venv`` / ``.venv-verl`` in the checkout. ``--url`` scores against a service already
running instead of starting one.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
_DRIVER = Path(__file__).with_name("verl_bench_driver.py")
_TARGET_RATIO = 1.5
_READY_TIMEOUT_S = 120.0
_STOP_TIMEOUT_S = 30.0
_DRIVER_TIMEOUT_S = 3600.0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _python(venv: Path, what: str) -> Path:
    """The venv's interpreter, or a clear exit saying how to make it."""
    python = venv / "bin" / "python"
    if not python.exists():
        hint = "build it with scripts/verl-venv" if what == "verl" else "see README (Quickstart)"
        raise SystemExit(f"verl_bench: no {what} venv at {venv} ({python} missing): {hint}")
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError):  # refused, not yet listening, or 503 while starting
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the service's own process group (it may have pool workers), then SIGKILL."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _start_service(python: Path, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A real ``arbiter serve`` (``python -m app.cli serve``) in the service venv, on a free port."""
    port = _free_port()
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(
            [str(python), "-m", "app.cli", "serve", "--port", str(port)],
            cwd=_ROOT,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if _ready(url):
            return url, proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    _stop(proc)
    tail = log.read_text(errors="replace")[-3000:]
    raise SystemExit(
        f"verl_bench: the service ({python}) did not become ready within {_READY_TIMEOUT_S:.0f} s:\n{tail}"
    )


def _antlr_of(python: Path) -> str:
    probe = "import importlib.metadata as md; print(md.version('antlr4-python3-runtime'))"
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    return out.stdout.strip() or "not installed"


def _report(result: dict[str, Any], service: str) -> None:
    runs: dict[str, list[float]] = result["runs_s"]
    med = {k: statistics.median(v) for k, v in runs.items()}
    base_s = med["batched"]
    # the ratio of each adjacent (batched, calls) pair: a load spike on the shared machine hits
    # both runs of a pair, so the median of these is steadier than the ratio of the medians
    paired = statistics.median(c / b for b, c in zip(runs["batched"], runs["calls"], strict=True))
    verdict = "met" if paired <= _TARGET_RATIO else "NOT met"
    calls_s, worker_s, noop_s = med["calls"], med["worker"], med["noop"]
    ours_s = worker_s - noop_s
    print(f"service: {service}")
    print(f"trainer side: {result['python']} (verl {result['verl']}, antlr {result['antlr']})")
    print(f"{result['samples']} math samples, median of {result['repeats']} runs")
    print(f"baseline: one batched request                 {base_s:7.3f} s  1.00x")
    print(f"compute_score per sample, concurrent (verl's   {calls_s:7.3f} s  {calls_s / base_s:.2f}x")
    print(
        f"  call shape, coalesced): median paired ratio {paired:.2f}x (target <= {_TARGET_RATIO}x: {verdict})"
    )
    print(f"verl RewardLoopWorker end to end              {worker_s:7.3f} s  {worker_s / base_s:.2f}x")
    print(f"  of which verl's own per-sample cost (no-op)  {noop_s:7.3f} s")
    print(f"  the rest: the reward path inside verl        {ours_s:7.3f} s  {ours_s / base_s:.2f}x")
    print(
        f"legacy sync, one request per sample           {med['legacy']:7.3f} s  {med['legacy'] / base_s:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--samples", type=_positive_int, default=256, help="samples per timed run")
    parser.add_argument(
        "--repeats", type=_positive_int, default=3, help="runs per variant; the median is reported"
    )
    parser.add_argument("--url", help="score against this running service instead of starting one")
    parser.add_argument(
        "--service-venv",
        type=Path,
        default=Path(os.environ.get("ARBITER_VENV", _ROOT / ".venv")),
        help="venv whose Python runs `arbiter serve` (ARBITER_VENV)",
    )
    parser.add_argument(
        "--verl-venv",
        type=Path,
        default=Path(os.environ.get("ARBITER_VERL_VENV", _ROOT / ".venv-verl")),
        help="venv with verl 0.9 and ANTLR 4.9, from scripts/verl-venv (ARBITER_VERL_VENV)",
    )
    args = parser.parse_args()
    verl_python = _python(args.verl_venv, "verl")
    service_python = None if args.url else _python(args.service_venv, "service")
    with tempfile.TemporaryDirectory(prefix="verl-bench-") as tmp:
        proc = None
        if service_python is None:
            url, service = args.url.rstrip("/"), f"{args.url} (already running)"
            if not _ready(url):
                raise SystemExit(f"verl_bench: no ready service at {url} ({url}/readyz is not 200)")
        else:
            url, proc = _start_service(service_python, Path(tmp) / "service.log")
            service = f"arbiter serve in {service_python} (antlr {_antlr_of(service_python)}) at {url}"
        out = Path(tmp) / "runs.json"
        argv = [str(verl_python), str(_DRIVER), "--url", url, "--out", str(out)]
        argv += ["--samples", str(args.samples), "--repeats", str(args.repeats)]
        try:
            # offline and quiet: the driver saves a local tokenizer, it never needs the model hub
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
            rc = subprocess.run(argv, cwd=_ROOT, env=env, timeout=_DRIVER_TIMEOUT_S, check=False).returncode
        finally:
            if proc is not None:
                _stop(proc)
        if rc != 0:
            raise SystemExit(
                f"verl_bench: the trainer-side driver ({verl_python}) failed with exit status {rc}"
            )
        result = json.loads(out.read_text(encoding="utf-8"))
    _report(result, service)


if __name__ == "__main__":
    main()

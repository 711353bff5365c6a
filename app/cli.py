"""``arbiter``: the one command-line tool for operators and researchers.

Why one tool: the same rewards serve training (``serve``, ``worker``), evaluation (``score``),
debugging (``explain``) and dataset hygiene (``check-data``); each subcommand builds the settings
once and runs the same core the service runs, so a score here equals a score in training.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["build_parser", "main"]

_BENCHES = {
    "math": "math_bench.py",
    "math-dev": "math_dev_eval.py",
    "inline": "inline_rewards_bench.py",
    "math-pool": "math_pool_bench.py",
    "sandbox": "sandbox_bench.py",
    "cpp": "cpp_bench.py",
    "service": "service_bench.py",
}


class CliError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


def _examples(text: str) -> str:
    return "examples:\n" + textwrap.indent(textwrap.dedent(text).strip(), "  ")


def _settings(args: argparse.Namespace) -> Any:
    from app.setting_flags import settings_from_args

    try:
        return settings_from_args(args)
    except ValueError as exc:
        raise CliError(str(exc)) from None


# ---------------------------------------------------------------------------- serve / worker
def _cmd_serve(args: argparse.Namespace) -> int:
    from app.http.application import create_app
    from app.http.server import run_server

    settings = _settings(args)
    run_server(create_app(settings), settings, host=args.host, port=args.port)
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from app.worker import run_worker

    settings = _settings(args)
    if not settings.redis_url:
        raise CliError("arbiter worker needs a Redis URL (--redis-url or ARBITER_REDIS_URL)")
    return int(run_worker(settings) or 0)


# ---------------------------------------------------------------------------- score
async def _score_local(args: argparse.Namespace, run: Any) -> Any:
    from app.deadline import Deadline
    from app.results import result_to_json
    from app.service import Service

    service = Service(_settings(args))
    await service.start()
    try:
        specs = service.scorer.resolve(args.reward_specs)

        async def score(samples: Any, _rewards: Any) -> list[dict[str, Any]]:
            results = await service.scorer.score(samples, specs, Deadline.after(args.timeout))
            return [result_to_json(r) for r in results]

        return await run(score)
    finally:
        await service.close()


async def _score_remote(args: argparse.Namespace, run: Any) -> Any:
    from app.tools.score_run import RemoteScorer

    scorer = RemoteScorer(args.url, api_key=args.api_key, timeout_s=args.timeout)
    try:
        return await run(scorer)
    finally:
        await scorer.aclose()


def _cmd_score(args: argparse.Namespace) -> int:
    from app.tools.report import render_html, render_text, summarize
    from app.tools.score_run import run_scoring, scored_row_from_json

    in_path, columns = _input_and_columns(args)
    from app.tools.reward_specs import apply_params, parse_rewards

    try:
        args.reward_specs = parse_rewards(args.rewards)
        apply_params(args.reward_specs, args.param)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _check_reward_names([r[0] for r in args.reward_specs])
    out_path = Path(args.output)

    def report_error(err: Any) -> None:
        print(f"{in_path}:{err.line}: skipped: {err.message}", file=sys.stderr)

    async def run(score: Any) -> Any:
        return await run_scoring(
            in_path,
            out_path,
            score,
            args.reward_specs,
            columns=columns,
            batch_size=args.batch_size,
            on_error=report_error,
            progress=not args.quiet,
        )

    runner = _score_remote if args.url else _score_local
    outcome = asyncio.run(runner(args, run))
    rows = [
        scored_row_from_json(json.loads(line), by=args.by)
        for line in out_path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    summary = summarize(rows, errors=len(outcome.errors))
    print(f"scored {outcome.scored} rows, skipped {outcome.skipped} already in {out_path}")
    print(render_text(summary))
    if args.report:
        Path(args.report).write_text(render_html(summary, rows, str(in_path)), encoding="utf-8")
        print(f"report written to {args.report}")
    return 0


def _input_and_columns(args: argparse.Namespace) -> tuple[Path, Any]:
    """The input file (which must exist) and the ``--map`` column mapping."""
    from app.tools.dataset import parse_column_map

    in_path = Path(args.input)
    if not in_path.is_file():
        raise CliError(f"input file not found: {in_path}")
    try:
        return in_path, parse_column_map(args.map)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _check_reward_names(names: Sequence[str]) -> None:
    from app.composition import service_registry

    registry = service_registry()
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise CliError(f"unknown reward {unknown[0]!r}; known rewards: {', '.join(registry.names())}")


# ---------------------------------------------------------------------------- explain / check-data
def _cmd_explain(args: argparse.Namespace) -> int:
    from app.explanation import explain_code, explain_math

    if args.code is not None or args.tests is not None:
        if args.code is None or args.tests is None:
            raise CliError("--code needs --tests (a JSON file or JSON text with the tests)")
        text = explain_code(_read_arg(args.code), _read_json_arg(args.tests), language=args.language)
    else:
        if args.gold is None or args.completion is None:
            raise CliError("give --gold and --completion (math), or --code and --tests (code)")
        text = explain_math(args.gold, _read_arg(args.completion), mode=args.mode)
    print(text)
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from app.tools.audit import AuditError, cli_main

    try:
        return cli_main(args)
    except AuditError as exc:
        raise CliError(str(exc)) from None


def _cmd_check_data(args: argparse.Namespace) -> int:
    from app.tools.data_check import check_file

    in_path, columns = _input_and_columns(args)
    problems = check_file(in_path, columns, settings=_settings(args), language=args.language)
    for p in problems:
        print(f"{in_path}:{p.line}: {p.kind}: {p.message}")
    print(f"{len(problems)} problem(s) found")
    return 1 if problems else 0


def _read_arg(value: str) -> str:
    """``@path`` reads a file; anything else is the text itself."""
    if value.startswith("@"):
        p = Path(value[1:])
        if not p.is_file():
            raise CliError(f"file not found: {p}")
        return p.read_text(encoding="utf-8")
    return value


def _read_json_arg(value: str) -> Any:
    text = _read_arg(value)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"tests are not valid JSON: {exc}") from None


# ---------------------------------------------------------------------------- bench
def _cmd_bench(args: argparse.Namespace) -> int:
    bench_dir = Path(__file__).resolve().parent.parent / "bench"
    names = list(_BENCHES) if args.which == "all" else [args.which]
    for name in names:
        script = bench_dir / _BENCHES[name]
        if not script.is_file():
            raise CliError(f"benchmark script missing: {script} (benchmarks ship with the source checkout)")
        print(f"== {name}: {script.name}", flush=True)
        rc = subprocess.call([sys.executable, str(script), *args.bench_args])
        if rc:
            return rc
    return 0


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The ``arbiter`` argument parser (public so the docs test can check every subcommand)."""
    from app.setting_flags import add_service_flags, add_worker_flags

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="arbiter",
        description="Arbiter: rule-based rewards for RL of reasoning models (serve, score, explain, check data).",
        formatter_class=fmt,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "serve",
        help="run the HTTP service",
        formatter_class=fmt,
        epilog=_examples("""
            arbiter serve                                  # embedded queue and workers, bwrap sandbox
            arbiter serve --port 8000 --redis-url redis://127.0.0.1:6379/0   # API only; run workers too
        """),
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    add_service_flags(p)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser(
        "worker",
        help="run a queue worker (math pool + sandbox) against Redis",
        formatter_class=fmt,
        epilog=_examples("""
            arbiter worker --redis-url redis://127.0.0.1:6379/0
            arbiter worker --redis-url redis://127.0.0.1:6379/0 --concurrency 8 --max-deliveries 3
        """),
    )
    add_service_flags(p)
    add_worker_flags(p)
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser(
        "score",
        help="score a JSONL/Parquet file of completions",
        formatter_class=fmt,
        epilog=_examples("""
            arbiter score completions.jsonl -o scored.jsonl --rewards accuracy,format_strict:0.5
            arbiter score gen.parquet -o out.jsonl --rewards accuracy --map ground_truth=reward_model.ground_truth
            arbiter score gen.jsonl -o out.jsonl --rewards accuracy --url http://127.0.0.1:8000 --report report.html
            arbiter score gen.jsonl -o out.jsonl --rewards accuracy --param accuracy.mode=lenient --by data_source
        """),
    )
    p.add_argument("input", help="JSONL or Parquet file (one completion per row)")
    p.add_argument(
        "-o", "--output", required=True, help="output JSONL; rows already in it are skipped (resume)"
    )
    p.add_argument(
        "--rewards", required=True, help="comma-separated NAME[:WEIGHT] list (see GET /v1/rewards/catalog)"
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="REWARD.PARAM=VALUE", help="a reward parameter"
    )
    p.add_argument(
        "--map", action="append", default=[], metavar="FIELD=COLUMN", help="column mapping (dotted paths)"
    )
    p.add_argument("--by", help="input field to break accuracy down by (e.g. data_source)")
    p.add_argument("--url", help="score against a running service instead of local pools")
    p.add_argument("--api-key", help="bearer token for --url")
    p.add_argument("--batch-size", type=int, default=256, help="rows per batch (default 256)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per batch (default 300)")
    p.add_argument("--report", help="write an HTML report with histograms and length-vs-reward plots")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    add_service_flags(p)
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser(
        "explain",
        help="show step by step why a completion got its score",
        formatter_class=fmt,
        epilog=_examples(r"""
            arbiter explain --gold '\frac{1}{2}' --completion 'so the answer is \boxed{0.5}'
            arbiter explain --code @solution.py --tests '{"inputs": ["1 2\n"], "outputs": ["3\n"]}'
        """),
    )
    p.add_argument("--gold", help="reference answer (math)")
    p.add_argument("--completion", help="model completion (text, or @file)")
    p.add_argument(
        "--mode", choices=["strict", "lenient"], default="strict", help="math answer extraction mode"
    )
    p.add_argument("--code", help="program or completion with a code block (text, or @file)")
    p.add_argument("--tests", help="tests as JSON (text, or @file), in any supported dataset shape")
    p.add_argument("--language", choices=["python", "cpp"], default="python")
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser(
        "check-data",
        help="find golds that do not parse, failing reference solutions, duplicate prompts",
        formatter_class=fmt,
        epilog=_examples("""
            arbiter check-data train.jsonl
            arbiter check-data code.jsonl --map completion=canonical_solution --map tests=test_list
        """),
    )
    p.add_argument("input", help="JSONL or Parquet file; the completion column holds reference solutions")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN", help="column mapping")
    p.add_argument("--language", choices=["python", "cpp"], default="python")
    add_service_flags(p)
    p.set_defaults(func=_cmd_check_data)

    p = sub.add_parser(
        "audit",
        help="accuracy, precision, recall and errors of the math verifier on a labelled JSONL file",
        formatter_class=fmt,
        epilog=_examples("""
            arbiter audit labelled.jsonl                   # rows {gold, prediction, label}; Math-Verify beside
            arbiter audit labelled.jsonl --mode strict --max-errors 5 --no-math-verify
        """),
    )
    p.add_argument("input", help="JSONL file of {gold, prediction, label} rows (optional id, precision)")
    p.add_argument("--mode", choices=["lenient", "strict"], default="lenient", help="answer extraction mode")
    p.add_argument("--max-errors", type=int, default=20, help="misjudged rows listed per verifier and kind")
    p.add_argument("--no-math-verify", action="store_true", help="do not judge with Math-Verify beside ours")
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser(
        "bench",
        help="run a benchmark from bench/",
        formatter_class=fmt,
        epilog=_examples("""
            arbiter bench math --pairs 40           # arguments after the name go to the script
            arbiter bench sandbox --tests 40
            arbiter bench math-dev
        """),
    )
    p.add_argument("which", choices=[*_BENCHES, "all"])
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed to the script")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``arbiter`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"arbiter: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arbiter: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

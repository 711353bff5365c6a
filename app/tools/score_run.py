"""A scoring run over a file: what ``arbiter score`` does, resumable and in batches.

Why a module of its own: the same run scores locally (the service's own worker pools, started in
this process) or against a running service (``--url``), writes one JSON line per input row as soon
as its batch is done, and on a rerun skips the rows already in the output, so an interrupted run
over a large evaluation set loses at most one batch.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from app.tools.dataset import ColumnMap, InputRow, RowError, iter_rows
from app.tools.report import ScoredRow
from verifiers import Sample, sample_to_json

__all__ = ["RemoteScorer", "RunOutcome", "ScoreFn", "completed_lines", "run_scoring", "scored_row_from_json"]

# (samples, [(reward, weight, params)]) -> result objects shaped like the API's ``results``.
ScoreFn = Callable[
    [Sequence[Sample], Sequence[tuple[str, float, Mapping[str, Any]]]], Awaitable[list[dict[str, Any]]]
]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    scored: int
    skipped: int
    errors: tuple[RowError, ...] = field(default_factory=tuple)


def completed_lines(out_path: Path) -> set[int]:
    """Input line numbers already scored in ``out_path``; a torn last line is cut off first."""
    if not out_path.exists():
        return set()
    data = out_path.read_bytes()
    if data and not data.endswith(b"\n"):  # the previous run died mid-write
        cut = data.rfind(b"\n") + 1
        with out_path.open("r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    done: set[int] = set()
    for raw in data.splitlines():
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("line"), int):
            done.add(obj["line"])
    return done


def scored_row_from_json(obj: Mapping[str, Any], by: str | None = None) -> ScoredRow:
    """The report's view of one output line."""
    details = obj.get("details") or {}
    reasons: dict[str, str] = {}
    for name, d in details.items():
        if isinstance(d, Mapping):
            code = d.get("reason") or d.get("status") or d.get("verdict")
            if isinstance(code, str):
                reasons[name] = code
    for name, err in (obj.get("errors") or {}).items():
        reasons.setdefault(name, str(err))
    group = obj.get("fields", {}).get(by) if by else None
    return ScoredRow(
        id=str(obj.get("id")),
        rewards=obj.get("rewards") or {},
        accuracy=obj.get("accuracy"),
        total=obj.get("total"),
        completion_chars=int(obj.get("completion_chars", 0)),
        elapsed_s=float(obj.get("elapsed_s", 0.0)),
        reasons=reasons,
        group=None if group is None else str(group),
    )


class _Progress:
    """A one-line progress display on stderr (no dependency; quiet when not a terminal)."""

    def __init__(self, total: int | None, stream: TextIO = sys.stderr) -> None:
        self._total, self._stream, self._t0 = total, stream, time.monotonic()
        self._tty = stream.isatty()

    def update(self, done: int) -> None:
        rate = done / max(1e-9, time.monotonic() - self._t0)
        total = f"/{self._total}" if self._total else ""
        line = f"scored {done}{total} rows ({rate:.1f} rows/s)"
        if self._tty:
            self._stream.write("\r" + line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._tty:
            self._stream.write("\n")


def _batches(rows: Iterable[InputRow | RowError], size: int) -> Iterable[list[InputRow | RowError]]:
    batch: list[InputRow | RowError] = []
    for r in rows:
        batch.append(r)
        if sum(isinstance(x, InputRow) for x in batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def run_scoring(
    in_path: Path,
    out_path: Path,
    score: ScoreFn,
    rewards: Sequence[tuple[str, float, Mapping[str, Any]]],
    *,
    columns: ColumnMap | None = None,
    batch_size: int = 256,
    on_error: Callable[[RowError], None] = lambda e: None,
    progress: bool = True,
) -> RunOutcome:
    """Score every row of ``in_path`` not yet in ``out_path``; append results as they finish."""
    done = completed_lines(out_path)
    skipped = len(done)
    scored = 0
    errors: list[RowError] = []
    bar = _Progress(None) if progress else None
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("a", encoding="utf-8") as out:
        for batch in _batches(iter_rows(in_path, columns), batch_size):
            todo: list[InputRow] = []
            for r in batch:
                if isinstance(r, RowError):
                    errors.append(r)
                    on_error(r)
                elif r.line not in done:
                    todo.append(r)
            if not todo:
                continue
            t0 = time.perf_counter()
            results = await score([r.sample for r in todo], rewards)
            per_item_s = (time.perf_counter() - t0) / len(todo)
            for row, res in zip(todo, results, strict=True):
                res = dict(res)
                res["line"] = row.line
                res["completion_chars"] = len(row.sample.completion)
                res.setdefault("elapsed_s", per_item_s)
                res["fields"] = {k: v for k, v in row.raw.items() if isinstance(v, str | int | float | bool)}
                out.write(json.dumps(res, ensure_ascii=False) + "\n")
            out.flush()
            scored += len(todo)
            if bar:
                bar.update(scored + skipped)
    if bar:
        bar.close()
    return RunOutcome(scored=scored, skipped=skipped, errors=tuple(errors))


class RemoteScorer:
    """Scores through a running service's ``POST /v1/rewards`` (``arbiter score --url``)."""

    def __init__(self, url: str, *, api_key: str | None = None, timeout_s: float = 300.0) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=timeout_s)
        self._timeout_s = timeout_s

    async def __call__(
        self, samples: Sequence[Sample], rewards: Sequence[tuple[str, float, Mapping[str, Any]]]
    ) -> list[dict[str, Any]]:
        body = {
            "items": [sample_to_json(s) for s in samples],
            "rewards": [{"name": n, "weight": w, "params": dict(p)} for n, w, p in rewards],
            "timeout_s": self._timeout_s,
        }
        resp = await self._client.post("/v1/rewards", json=body)
        if resp.status_code >= 400:
            raise RuntimeError(f"service answered {resp.status_code}: {resp.text[:500]}")
        return list(resp.json()["results"])

    async def aclose(self) -> None:
        await self._client.aclose()

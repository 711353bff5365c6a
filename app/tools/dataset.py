"""Reading scoring inputs: JSONL or Parquet rows mapped onto samples by column names.

Why column mapping instead of one input format: researchers score files in the shapes their
pipelines already produce (open-r1, verl parquet, TRL datasets, OpenAI-style messages). The
defaults below recognise those shapes; ``--map field=column.path`` overrides any of them.
A malformed line is reported with its line number and skipped; the rest is still scored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verifiers import Sample

__all__ = ["DEFAULT_COLUMNS", "ColumnMap", "InputRow", "RowError", "iter_rows", "parse_column_map"]

# Field -> candidate column paths, first present wins. Dotted paths reach into nested objects
# (verl keeps the answer in ``reward_model.ground_truth``).
DEFAULT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "idx", "uid", "extra_info.index"),
    "prompt": ("prompt", "problem", "question", "query"),
    "completion": ("completion", "response", "output", "generation", "model_output", "messages"),
    "ground_truth": (
        "ground_truth",
        "answer",
        "gold",
        "reward_model.ground_truth",
        "label",
        "solution",
    ),
    "tests": ("tests", "test_cases", "verification_info", "input_output", "test_list", "test"),
    "group_id": ("group_id", "prompt_id"),
    "num_tokens": ("num_tokens", "completion_tokens"),
}


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column path feeds each sample field; explicit entries override the defaults."""

    explicit: Mapping[str, str] = field(default_factory=dict)

    def candidates(self, name: str) -> tuple[str, ...]:
        if name in self.explicit:
            return (self.explicit[name],)
        return DEFAULT_COLUMNS.get(name, ())


def parse_column_map(specs: Sequence[str]) -> ColumnMap:
    """Parse ``field=column.path`` flags; an unknown field is a ValueError naming the known ones."""
    explicit: dict[str, str] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"bad column mapping {spec!r}: expected FIELD=COLUMN, e.g. ground_truth=answer")
        if key not in DEFAULT_COLUMNS:
            raise ValueError(f"unknown field {key!r} in --map; fields: {', '.join(DEFAULT_COLUMNS)}")
        explicit[key] = value
    return ColumnMap(explicit)


@dataclass(frozen=True, slots=True)
class InputRow:
    """One input row: its 1-based line (or row) number, the raw object and the mapped sample."""

    line: int
    raw: Mapping[str, Any]
    sample: Sample


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be read or mapped, reported with its line number."""

    line: int
    message: str


_MISSING = object()


def _lookup(obj: Mapping[str, Any], path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        else:
            return _MISSING
    return cur


def _first(obj: Mapping[str, Any], paths: tuple[str, ...]) -> Any:
    for p in paths:
        v = _lookup(obj, p)
        if v is not _MISSING and v is not None:
            return v
    return None


def _message_text(value: Any) -> str:
    """Flatten OpenAI-style messages to the text that was generated (the last assistant turn)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and value and all(isinstance(m, Mapping) for m in value):
        assistant = [m for m in value if m.get("role") == "assistant"]
        chosen = assistant[-1] if assistant else value[-1]
        content = chosen.get("content", "")
        return content if isinstance(content, str) else json.dumps(content)
    if isinstance(value, Mapping) and "content" in value:
        return str(value["content"])
    return "" if value is None else str(value)


def _prompt_text(value: Any) -> str:
    if isinstance(value, Sequence) and not isinstance(value, str):
        parts = [
            str(m.get("content", ""))
            for m in value
            if isinstance(m, Mapping) and m.get("role") != "assistant"
        ]
        return "\n".join(parts)
    return "" if value is None else str(value)


def _to_sample(obj: Mapping[str, Any], line: int, columns: ColumnMap) -> Sample:
    completion_raw = _first(obj, columns.candidates("completion"))
    if completion_raw is None:
        raise ValueError(
            f"no completion column (looked for {', '.join(columns.candidates('completion'))}); use --map completion=COLUMN"
        )
    prompt = _prompt_text(_first(obj, columns.candidates("prompt")))
    gt = _first(obj, columns.candidates("ground_truth"))
    tests = _first(obj, columns.candidates("tests"))
    if isinstance(tests, str):
        with contextlib.suppress(json.JSONDecodeError):  # assert-style test code stays a string
            tests = json.loads(tests)
    rid = _first(obj, columns.candidates("id"))
    group = _first(obj, columns.candidates("group_id"))
    if group is None and prompt:
        group = hashlib.blake2b(prompt.encode(), digest_size=8).hexdigest()
    ntok = _first(obj, columns.candidates("num_tokens"))
    return Sample(
        id=str(rid) if rid is not None else str(line),
        completion=_message_text(completion_raw),
        prompt=prompt,
        ground_truth=gt if isinstance(gt, str | int | float) or gt is None else json.dumps(gt),
        tests=tests,
        group_id=str(group) if group is not None else None,
        num_tokens=int(ntok) if isinstance(ntok, int | float) else None,
        metadata={k: v for k, v in obj.items() if isinstance(v, str | int | float | bool)},
    )


def _iter_objects(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("reading Parquet needs pyarrow: pip install pyarrow") from exc
        for i, obj in enumerate(pq.read_table(path).to_pylist(), start=1):
            yield i, obj, None
        return
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for i, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                yield i, json.loads(text), None
            except json.JSONDecodeError as exc:
                yield i, None, f"malformed JSON: {exc.msg} (column {exc.colno})"


def iter_rows(path: Path, columns: ColumnMap | None = None) -> Iterator[InputRow | RowError]:
    """Rows of a JSONL or Parquet file, each mapped to a ``Sample`` or reported as a ``RowError``."""
    columns = columns or ColumnMap()
    for line, obj, err in _iter_objects(path):
        if err is not None:
            yield RowError(line, err)
        elif not isinstance(obj, Mapping):
            yield RowError(line, f"expected a JSON object, got {type(obj).__name__}")
        else:
            try:
                yield InputRow(line, obj, _to_sample(obj, line, columns))
            except (ValueError, TypeError) as exc:
                yield RowError(line, str(exc))

"""OpenRLHF's remote reward model protocol (``--remote_rm_url``) on top of the scorer.

OpenRLHF posts ``{"query": [...], "prompts": [...], "labels": [...]}`` and wants
``{"rewards": [float], "scores": [float], "extra_logs": {name: [float]}}`` back. What it sends is
not what a reward function wants, and this module bridges the gap:

- ``query`` is prompt + response decoded *with* special tokens: a perfect completion ends in
  ``<|im_end|>`` (or ``<|eot_id|>``, ``</s>``...), and the prompt inside the query may start with
  a BOS token or differ from ``prompts[i]`` in whitespace. The completion is found by aligning the
  prompt against the query, skipping whitespace and the configured special tokens, and the
  special tokens are then removed from it. A query whose prompt cannot be found is unscorable
  (``prompt_not_found``), not scored whole: the prompt part may hold worked examples with answer
  tags, which would be credited to a completion that has none.
- ``labels`` are whatever the dataset's label column holds: a plain gold, or JSON (a dict/list, or
  a string of one) carrying ``gold``, code ``tests`` (any shape the sandbox reads) or a
  per-sample ``rewards`` choice.
- OpenRLHF sends the whole rollout batch at once; above ``max_batch_items`` it is scored in
  chunks instead of being refused (a 413 crashes the run).

OpenRLHF wants a float per sample, so an unscorable item (``total`` null) is sent as 0.0;
``extra_logs["scorable"]`` (1.0/0.0 per sample) says which ones, so the loss can mask them.
Pure translation plus one async driver (``score_openrlhf``); no HTTP here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidRequestError
from app.http.schemas import GetRewardRequest, ItemIn
from app.results import ItemResult

__all__ = [
    "PROMPT_NOT_FOUND",
    "Label",
    "RawSpec",
    "completion_from_query",
    "openrlhf_response",
    "parse_label",
    "score_openrlhf",
    "strip_special_tokens",
]

RawSpec = tuple[str, float, Mapping[str, Any] | None]  # (reward name, weight, params)
_log = logging.getLogger(__name__)
PROMPT_NOT_FOUND = "prompt_not_found"  # the item's error when its prompt is not in its query
_GOLD_KEYS = ("gold", "ground_truth", "answer", "solution")
# keys only code test suites carry: a dict label with one of them *is* the tests
_TEST_KEYS = frozenset({"inputs", "outputs", "fn_name", "test_cases", "test_list", "input_output"})


@dataclass(frozen=True, slots=True)
class Label:
    """One sample's label: a math ``gold``, code ``tests``, or a reward choice for this sample."""

    gold: str | int | float | None = None
    tests: Any = None
    rewards: tuple[RawSpec, ...] | None = None


def strip_special_tokens(text: str, tokens: Sequence[str]) -> str:
    """``text`` without any occurrence of ``tokens`` (longest first, so overlapping names are safe)."""
    for token in sorted(tokens, key=len, reverse=True):
        if token:
            text = text.replace(token, "")
    return text


def _token_at(text: str, i: int, tokens: Sequence[str]) -> int:
    for token in tokens:
        if token and text.startswith(token, i):
            return len(token)
    return 0


def _prompt_end(query: str, prompt: str, tokens: Sequence[str]) -> int | None:
    """Where ``prompt`` ends inside ``query``, ignoring whitespace and special tokens on both sides."""
    i = j = 0
    while True:
        while j < len(prompt) and (prompt[j].isspace() or _token_at(prompt, j, tokens)):
            j += _token_at(prompt, j, tokens) or 1
        if j == len(prompt):
            if prompt[-1:].isspace():  # the prompt's trailing whitespace is the query's, in any form
                while i < len(query) and query[i].isspace():
                    i += 1
            return i
        while i < len(query) and (query[i].isspace() or _token_at(query, i, tokens)):
            i += _token_at(query, i, tokens) or 1
        if i == len(query) or query[i] != prompt[j]:
            return None
        i += 1
        j += 1


def completion_from_query(query: str, prompt: str, tokens: Sequence[str]) -> str | None:
    """The response part of ``query`` with the special tokens removed; ``None``: prompt not found.

    Exact prefix first; then an alignment that tolerates a BOS token, special tokens and
    whitespace differences. Without a prompt the whole query is the response.
    """
    ordered = sorted((t for t in tokens if t), key=len, reverse=True)
    if prompt and query.startswith(prompt):
        rest = query[len(prompt) :]
    elif prompt:
        end = _prompt_end(query, prompt, ordered)
        if end is None:
            return None
        rest = query[end:]
    else:
        rest = query
    return strip_special_tokens(rest, ordered)


def _gold(value: Any) -> str | int | float | None:
    if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
        return value
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def _is_assert_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and v.lstrip().startswith("assert") for v in value)
    )


def _is_case_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, Mapping) and {"input", "output"} <= set(v) for v in value)
    )


def _reward_choice(value: Any) -> tuple[RawSpec, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError("'rewards' must be a non-empty list of names or {name, weight, params} objects")
    specs: list[RawSpec] = []
    for r in value:
        if isinstance(r, str):
            specs.append((r, 1.0, None))
        elif isinstance(r, Mapping) and isinstance(r.get("name"), str):
            params = r.get("params")
            if params is not None and not isinstance(params, Mapping):
                raise ValueError("a reward's 'params' must be an object")
            specs.append((r["name"], float(r.get("weight", 1.0)), params))
        else:
            raise ValueError(f"cannot read reward {r!r}")
    return tuple(specs)


def parse_label(raw: Any) -> Label:
    """One label as OpenRLHF forwards it; ValueError for a label that cannot mean anything.

    A string that decodes to a JSON object or to a list of tests is read as JSON; any other
    string (``"72"``, ``"[1, 2]"``, ``"\\frac{1}{2}"``) is a gold.
    """
    value = raw
    if isinstance(raw, str) and raw.strip()[:1] in ("{", "["):
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) or _is_assert_list(decoded) or _is_case_list(decoded):
            value = decoded
    if isinstance(value, Mapping):
        if _TEST_KEYS & set(value) or ("test" in value and "tests" not in value):
            return Label(tests=dict(value))
        gold = next((value[k] for k in _GOLD_KEYS if k in value), None)
        tests = value.get("tests")
        rewards = _reward_choice(value["rewards"]) if value.get("rewards") is not None else None
        if gold is None and tests is None and rewards is None:
            raise ValueError(f"a label object needs one of {[*_GOLD_KEYS, 'tests', 'rewards']}")
        return Label(gold=_gold(gold), tests=tests, rewards=rewards)
    if _is_assert_list(value):
        return Label(tests={"test_list": list(value)})
    if _is_case_list(value):
        return Label(tests=list(value))
    return Label(gold=_gold(value))


def openrlhf_response(results: Sequence[ItemResult], logged: Sequence[str]) -> dict[str, Any]:
    """OpenRLHF's answer: a float per sample (0.0 when unscorable, flagged in ``extra_logs``).

    ``extra_logs`` holds ``scorable`` and the ``logged`` rewards (the profile's, so the keys are
    the same in every response: OpenRLHF concatenates them across requests by key).
    """
    extra: dict[str, list[float]] = {"scorable": [0.0 if r.total is None else 1.0 for r in results]}
    for name in logged:
        extra[name] = [float(r.rewards.get(name) or 0.0) for r in results]
    return {
        "rewards": [r.total if r.total is not None else 0.0 for r in results],
        "scores": [r.accuracy if r.accuracy is not None else 0.0 for r in results],
        "extra_logs": extra,
    }


def _unscorable(item_id: str, specs: Sequence[RawSpec], reason: str) -> ItemResult:
    names = [name for name, _, _ in specs]
    return ItemResult(
        id=item_id,
        total=None,
        rewards=dict.fromkeys(names),
        accuracy=None,
        details={n: {} for n in names},
        errors=dict.fromkeys(names, reason),
        error=reason,
    )


ScoreFn = Callable[[Sequence[ItemIn], Sequence[RawSpec]], Awaitable[list[ItemResult]]]


async def score_openrlhf(
    req: GetRewardRequest,
    profile: Sequence[RawSpec],
    special_tokens: Sequence[str],
    chunk_items: int,
    score: ScoreFn,
) -> dict[str, Any]:
    """Score one ``/get_reward`` body with ``profile`` (or each label's own reward choice).

    Items are grouped by reward choice and each group is scored in chunks of ``chunk_items``
    (the service's per-request item limit), one after another, so a batch of any size costs
    the queue no more than that many items at a time.
    """
    if req.labels and len(req.labels) != len(req.query):
        raise InvalidRequestError(f"{len(req.labels)} labels for {len(req.query)} queries")
    if req.prompts and len(req.prompts) != len(req.query):
        raise InvalidRequestError(f"{len(req.prompts)} prompts for {len(req.query)} queries")
    groups: dict[str, tuple[tuple[RawSpec, ...], list[tuple[int, ItemIn]]]] = {}
    results: list[ItemResult | None] = [None] * len(req.query)
    for i, query in enumerate(req.query):
        prompt = req.prompts[i] if req.prompts else ""
        try:
            label = parse_label(req.labels[i] if req.labels else None)
        except (ValueError, TypeError) as exc:
            raise InvalidRequestError(f"labels[{i}]: {exc}") from None
        specs = label.rewards or tuple(profile)
        completion = completion_from_query(query, prompt, special_tokens)
        if completion is None:
            results[i] = _unscorable(str(i), specs, PROMPT_NOT_FOUND)
            continue
        item = ItemIn.model_validate(
            {
                "id": str(i),
                "prompt": strip_special_tokens(prompt, special_tokens),
                "completion": completion,
                "ground_truth": label.gold,
                "tests": label.tests,
            }
        )
        key = json.dumps(specs, sort_keys=True, default=str)
        groups.setdefault(key, (specs, []))[1].append((i, item))
    for specs, members in groups.values():
        for start in range(0, len(members), chunk_items):
            chunk = members[start : start + chunk_items]
            scored = await score([item for _, item in chunk], specs)
            for (i, _), result in zip(chunk, scored, strict=True):
                results[i] = result
    missing = sum(1 for r in results if r is not None and r.error == PROMPT_NOT_FOUND)
    if missing:  # systematic when the tokenizer does not round-trip the prompt: say so
        _log.warning(
            "get_reward: %d of %d queries do not contain their prompt; scored as unscorable",
            missing,
            len(req.query),
            extra={"prompt_not_found": missing},
        )
    done = [r for r in results if r is not None]
    return openrlhf_response(done, [name for name, _, _ in profile])

"""A stand-in for the reward service, speaking the ``/v1/rewards`` contract, for client tests.

Its rewards are deliberately simple (tag checks and string equality): these tests are about the
client's plumbing, not about verifying math.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["FakeService", "score_body"]

_TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_FORMAT = re.compile(r"^<think>.*?</think>\s*<answer>.*?</answer>$", re.S)
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.S)


def _reward(name: str, item: dict[str, Any]) -> tuple[float | None, float | None, str | None]:
    completion = item["completion"]
    if name == "tag_count":
        return sum(0.25 for t in _TAGS if completion.count(t) == 1), None, None
    if name == "format":
        return (1.0 if _FORMAT.match(completion) else 0.0), None, None
    if name == "accuracy":
        gold = item.get("ground_truth")
        if gold is None:
            return None, None, "invalid_input"
        found = _ANSWER.findall(completion)
        ok = 1.0 if found and found[-1].strip() == str(gold).strip() else 0.0
        return ok, ok, None
    raise KeyError(name)


def score_body(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status and JSON the contract prescribes for a ``/v1/rewards`` body."""
    names = [r["name"] for r in body["rewards"]]
    unknown = [n for n in names if n not in ("tag_count", "format", "accuracy")]
    if unknown:
        return 400, {"detail": f"unknown reward {unknown[0]!r}; known rewards: accuracy, format, tag_count"}
    results = []
    for index, item in enumerate(body["items"]):
        rewards: dict[str, float | None] = {}
        errors: dict[str, str] = {}
        accuracy = None
        total: float | None = 0.0
        for spec in body["rewards"]:
            value, acc, error = _reward(spec["name"], item)
            rewards[spec["name"]] = value
            if error:
                errors[spec["name"]] = error
            if accuracy is None and acc is not None:
                accuracy = acc
            total = None if value is None or total is None else total + spec.get("weight", 1.0) * value
        results.append(
            {
                "id": item.get("id") or str(index),
                "total": total,
                "rewards": rewards,
                "accuracy": accuracy,
                "details": {},
                "errors": errors,
                "error": None,
            }
        )
    return 200, {"results": results, "elapsed_s": 0.0}


@dataclass
class FakeService:
    """Records every body it receives; ``script`` may force statuses or failures, one per request."""

    script: list[int | Callable[[httpx.Request], httpx.Response] | Exception] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        with self._lock:
            self.bodies.append(body)
            step = self.script.pop(0) if self.script else None
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        if isinstance(step, int):
            return httpx.Response(step, json={"detail": f"scripted {step}"}, headers=self.headers)
        status, data = score_body(body)
        return httpx.Response(status, json=data)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

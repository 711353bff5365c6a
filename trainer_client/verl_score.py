"""verl ``compute_score`` functions that ask the reward service.

verl's reward managers call a user function by path (``custom_reward_function.path`` and
``.name``) and pass ``custom_reward_function.reward_kwargs`` as keyword arguments; that is where
the service URL and the rewards go. The naive manager calls the single form per sample; the
batch manager calls the plural form once per batch, which is the one to use with a service.

verl cannot take a missing reward (its reward tensor is float), so a sample the service cannot
score gets ``fallback_score`` and ``reward_ok = 0.0`` in the returned dict, with a warning logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client.batch import Item, RewardSpec
from trainer_client.client import ClientConfig, RewardClient

__all__ = ["compute_score", "compute_score_batch"]

_log = logging.getLogger("trainer_client")
_clients: dict[tuple[str, str | None], RewardClient] = {}
_clients_lock = threading.Lock()


def _client(url: str, api_key: str | None, deadline_s: float) -> RewardClient:
    # Made on first use, then reused: verl calls us once per batch and connections should stay open.
    with _clients_lock:
        client = _clients.get((url, api_key))
        if client is None:
            client = RewardClient(ClientConfig(base_url=url, api_key=api_key, deadline_s=deadline_s))
            _clients[(url, api_key)] = client
        return client


def _specs(rewards: Sequence[Any] | None) -> list[RewardSpec]:
    if not rewards:
        return [RewardSpec("accuracy")]
    specs = []
    for r in rewards:
        if isinstance(r, RewardSpec):
            specs.append(r)
        elif isinstance(r, str):
            specs.append(RewardSpec(r))
        else:
            specs.append(RewardSpec(str(r["name"]), float(r.get("weight", 1.0)), dict(r.get("params") or {})))
    return specs


def _gold(value: Any) -> str | int | float | None:
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    *,
    url: str = "http://127.0.0.1:8000",
    rewards: Sequence[Any] | None = None,
    api_key: str | None = None,
    deadline_s: float = 300.0,
    fallback_score: float = 0.0,
    **_ignored: Any,
) -> list[dict[str, float]]:
    """One dict per sample: ``score`` (the weighted total), ``acc`` (raw accuracy), ``reward_ok``.

    ``rewards``: names or ``{"name", "weight", "params"}`` dicts (default: ``accuracy``).
    ``extra_infos[i]["tests"]`` are sent as the item's code tests when present.
    """
    n = len(solution_strs)
    try:
        items = []
        for i in range(n):
            extra = (extra_infos[i] if extra_infos is not None else None) or {}
            items.append(
                Item(
                    completion=str(solution_strs[i]),
                    ground_truth=_gold(ground_truths[i]),
                    tests=extra.get("tests") if isinstance(extra, Mapping) else None,
                    metadata={"data_source": str(data_sources[i])},
                )
            )
        batch = _client(url, api_key, deadline_s).score(items, _specs(rewards), deadline_s=deadline_s)
    except Exception as exc:  # verl must keep training: score the batch as missing
        _log.warning("reward service: verl batch of %d failed (%s: %s)", n, type(exc).__name__, exc)
        return [{"score": fallback_score, "acc": fallback_score, "reward_ok": 0.0} for _ in range(n)]
    out = []
    for r in batch.results:
        ok = r.total is not None
        out.append(
            {
                "score": r.total if r.total is not None else fallback_score,
                "acc": r.accuracy if r.accuracy is not None else fallback_score,
                "reward_ok": 1.0 if ok else 0.0,
            }
        )
    return out


def compute_score(
    data_source: Any = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float] | list[dict[str, float]]:
    """verl's single-sample form; called with verl's plural names it is the batch form."""
    if "solution_strs" in kwargs:
        return compute_score_batch(
            kwargs.pop("data_sources"),
            kwargs.pop("solution_strs"),
            kwargs.pop("ground_truths"),
            kwargs.pop("extra_infos", None),
            **kwargs,
        )
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info], **kwargs)[0]

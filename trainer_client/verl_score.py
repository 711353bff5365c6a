"""verl ``compute_score`` functions that ask the reward service.

verl calls a user function by path (``custom_reward_function.path``, e.g.
``pkg://trainer_client.verl_score``, and ``.name``) and merges
``custom_reward_function.reward_kwargs`` into the keyword arguments: that is where the service
URL and the rewards go (``+custom_reward_function.reward_kwargs.url=...``).

Three entry points, for the three ways verl calls a reward function:
- ``compute_score`` (``async``): verl 0.9's reward loop checks ``inspect.iscoroutinefunction``
  and awaits it once per sample, every sample of a batch concurrently; concurrent calls are
  coalesced into batched requests (``coalescer``), so 256 samples cost about one request.
- ``compute_score_batch``: the legacy ``batch`` reward manager (plural arguments, one call).
- ``compute_score_sync``: the legacy per-sample ``naive`` manager (blocking, one request each).

Code datasets keep their tests in ``reward_model.ground_truth`` (``ground_truth``); those items
are sent as tests, and the default rewards are ``accuracy`` plus ``code_accuracy``: each item is
scored by the one that applies to it. verl cannot take a missing reward (its reward tensor is
float), so a sample the service cannot score (its total is null: a reward failed, or no requested
reward applies) gets ``fallback_score`` and ``reward_ok = 0.0`` in the returned dict.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client.batch import Item, RewardSpec
from trainer_client.client import ClientConfig, RewardClient
from trainer_client.coalescer import Coalescer, coalescer_for
from trainer_client.ground_truth import split_reference
from trainer_client.result import ItemResult

__all__ = ["DEFAULT_REWARDS", "compute_score", "compute_score_batch", "compute_score_sync"]

_log = logging.getLogger("trainer_client")
# math items are scored by accuracy, code items by code_accuracy; the other is not applicable
DEFAULT_REWARDS = ("accuracy", "code_accuracy")
_clients: dict[tuple[str, str | None, float], RewardClient] = {}
_clients_lock = threading.Lock()


def _client(url: str, api_key: str | None, deadline_s: float) -> RewardClient:
    # Made on first use, then reused: verl calls us once per batch and connections should stay open.
    with _clients_lock:
        client = _clients.get((url, api_key, deadline_s))
        if client is None:
            client = RewardClient(ClientConfig(base_url=url, api_key=api_key, deadline_s=deadline_s))
            _clients[(url, api_key, deadline_s)] = client
        return client


def _specs(rewards: Sequence[Any] | str | None) -> list[RewardSpec]:
    if not rewards:
        rewards = DEFAULT_REWARDS
    if isinstance(rewards, str):  # a Hydra override may give "accuracy,format_strict"
        rewards = [r.strip() for r in rewards.split(",") if r.strip()]
    specs = []
    for r in rewards:
        if isinstance(r, RewardSpec):
            specs.append(r)
        elif isinstance(r, str):
            specs.append(RewardSpec(r))
        else:
            specs.append(RewardSpec(str(r["name"]), float(r.get("weight", 1.0)), dict(r.get("params") or {})))
    return specs


def _item(data_source: Any, solution: Any, ground_truth: Any, extra: Any) -> Item:
    extra = extra if isinstance(extra, Mapping) else {}
    ref = split_reference(ground_truth, extra.get("tests"))
    return Item(
        completion=str(solution),
        ground_truth=ref.gold,
        tests=ref.tests,
        metadata={"data_source": str(data_source)},
    )


def _score_dict(r: ItemResult | None, fallback_score: float) -> dict[str, float]:
    if r is None or r.total is None:
        return {"score": fallback_score, "acc": fallback_score, "reward_ok": 0.0}
    return {
        "score": r.total,
        "acc": r.accuracy if r.accuracy is not None else fallback_score,
        "reward_ok": 1.0,
    }


async def compute_score(
    data_source: Any = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Mapping[str, Any] | None = None,
    *,
    url: str = "http://127.0.0.1:8000",
    rewards: Sequence[Any] | str | None = None,
    api_key: str | None = None,
    deadline_s: float = 300.0,
    fallback_score: float = 0.0,
    coalesce_window_s: float = 0.005,
    coalesce_max_wait_s: float = 0.1,
    max_coalesced_items: int = 4096,
    **_ignored: Any,
) -> dict[str, float]:
    """verl 0.9's per-sample reward, awaited by its reward loop; concurrent calls share requests.

    ``score`` is the weighted total, ``acc`` the raw accuracy, ``reward_ok`` 0.0 when the sample
    could not be scored. A batch is sent once no call has arrived for ``coalesce_window_s``,
    ``coalesce_max_wait_s`` after its first call at the latest, or as soon as it holds
    ``max_coalesced_items``.
    """
    try:
        item = _item(data_source, solution_str, ground_truth, extra_info)
        key = (
            url,
            api_key,
            deadline_s,
            repr(rewards),
            coalesce_window_s,
            max_coalesced_items,
            coalesce_max_wait_s,
        )

        def make() -> Coalescer:
            config = ClientConfig(base_url=url, api_key=api_key, deadline_s=deadline_s)
            return Coalescer(
                config, _specs(rewards), coalesce_window_s, max_coalesced_items, coalesce_max_wait_s
            )

        result = await coalescer_for(key, make).score_one(item)
    except Exception as exc:  # verl must keep training: score the sample as missing
        _log.warning("reward service: verl sample failed (%s: %s)", type(exc).__name__, exc)
        result = None
    return _score_dict(result, fallback_score)


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    *,
    url: str = "http://127.0.0.1:8000",
    rewards: Sequence[Any] | str | None = None,
    api_key: str | None = None,
    deadline_s: float = 300.0,
    fallback_score: float = 0.0,
    **_ignored: Any,
) -> list[dict[str, float]]:
    """The legacy ``batch`` manager's form: one dict per sample, one batched request.

    ``rewards``: names or ``{"name", "weight", "params"}`` dicts (default: ``accuracy`` and
    ``code_accuracy``). ``extra_infos[i]["tests"]`` override tests found in the ground truth.
    """
    n = len(solution_strs)
    try:
        items = [
            _item(
                data_sources[i],
                solution_strs[i],
                ground_truths[i],
                extra_infos[i] if extra_infos is not None else None,
            )
            for i in range(n)
        ]
        batch = _client(url, api_key, deadline_s).score(items, _specs(rewards), deadline_s=deadline_s)
    except Exception as exc:  # verl must keep training: score the batch as missing
        _log.warning("reward service: verl batch of %d failed (%s: %s)", n, type(exc).__name__, exc)
        return [_score_dict(None, fallback_score) for _ in range(n)]
    return [_score_dict(r, fallback_score) for r in batch.results]


def compute_score_sync(
    data_source: Any = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float] | list[dict[str, float]]:
    """The blocking per-sample form (legacy ``naive`` manager); with verl's plural names, the batch form."""
    if "solution_strs" in kwargs:
        return compute_score_batch(
            kwargs.pop("data_sources"),
            kwargs.pop("solution_strs"),
            kwargs.pop("ground_truths"),
            kwargs.pop("extra_infos", None),
            **kwargs,
        )
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info], **kwargs)[0]

"""Prometheus series of one service instance, on its own collector registry.

Why an instance and not module globals: each ``create_app`` (and each test) gets fresh counters,
and importing this module has no side effect.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from verifiers import RewardOutput

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS_S = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The counters, gauges and histograms the service exports on ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "arbiter_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.items = Counter("arbiter_items", "items scored", registry=self.registry)
        self.request_latency = Histogram(
            "arbiter_request_seconds",
            "request latency by route",
            ["route"],
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.reward_latency = Histogram(
            "arbiter_reward_seconds",
            "time to compute one reward over one chunk or batch",
            ["reward"],
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.verdicts = Counter(
            "arbiter_verdicts",
            "reward outputs by reward and outcome",
            ["reward", "outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge("arbiter_queue_depth", "tasks waiting in the queue", registry=self.registry)
        self.worker_up = Gauge(
            "arbiter_worker_up",
            "1 when the component answered its last health check",
            ["component"],
            registry=self.registry,
        )
        self.workers_live = Gauge(
            "arbiter_workers_live", "queue workers with a live heartbeat (Redis mode)", registry=self.registry
        )
        self.cache_hits = Counter("arbiter_cache_hits", "result cache hits", registry=self.registry)
        self.cache_misses = Counter("arbiter_cache_misses", "result cache misses", registry=self.registry)
        self.cache_errors = Counter(
            "arbiter_cache_errors",
            "result cache reads/writes that failed (scored without it)",
            registry=self.registry,
        )
        self.rejections = Counter(
            "arbiter_backpressure", "requests refused under backpressure", ["reason"], registry=self.registry
        )

    def observe_reward(self, name: str, seconds: float, outputs: Sequence[RewardOutput]) -> None:
        """Latency and outcome counts of one reward computed over some samples."""
        self.reward_latency.labels(name).observe(seconds)
        self.count_verdicts(name, outputs)

    def count_verdicts(self, name: str, outputs: Sequence[RewardOutput | None]) -> None:
        """Outcome counts: correct/incorrect/scored, or the error code."""
        counts: dict[str, int] = {}
        for o in outputs:
            if o is None:
                continue
            outcome = o.error or ("error" if o.value is None else _outcome(o))
            counts[outcome] = counts.get(outcome, 0) + 1
        for outcome, n in counts.items():
            self.verdicts.labels(name, outcome).inc(n)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


def _outcome(o: RewardOutput) -> str:
    if o.accuracy is None:
        return "scored"
    return "correct" if o.accuracy >= 1.0 else "incorrect"

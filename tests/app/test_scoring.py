"""The scorer alone (no HTTP): totals, not-applicable rewards, duplicates, errors of the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from app.cache import MemoryResultCache
from app.composition import service_registry
from app.deadline import Deadline
from app.errors import BackpressureError, InvalidRequestError
from app.http.errors import status_for
from app.metrics import Metrics
from app.queue.base import QueueFullError, TaskResult
from app.queue.memory import InProcessTaskQueue
from app.queue.payload import Spec
from app.scoring import Scorer
from app.worker.executor import ChunkExecutor
from tests.app.conftest import CallLog, make_code_backend, make_test_registry
from verifiers import RewardContext, Sample

GOOD = "<think>a</think><answer>\\boxed{4}</answer>"
CODE = "```python\ndef add(a, b):\n    return a + b\n```"


@pytest_asyncio.fixture
async def scorer_and_log() -> AsyncIterator[tuple[Scorer, CallLog]]:
    log = CallLog()
    registry = make_test_registry(log)
    queue = InProcessTaskQueue(
        ChunkExecutor(registry, RewardContext(code=make_code_backend())), max_depth=100
    )
    await queue.start()
    scorer = Scorer(
        registry=registry,
        queue=queue,
        cache=MemoryResultCache(max_entries=100, ttl_s=60),
        metrics=Metrics(),
        inline_ctx=RewardContext(),
        chunk_items=2,
        retry_after_s=1.0,
    )
    yield scorer, log
    await queue.close()


@pytest.mark.parametrize(
    ("sample", "specs", "total", "errors"),
    [
        (Sample("0", GOOD, ground_truth="4"), [("accuracy", 2.0), ("format_strict", 0.5)], 2.5, {}),
        (Sample("0", GOOD, ground_truth="5"), [("accuracy", 2.0), ("format_strict", 0.5)], 0.5, {}),
        (Sample("0", GOOD), [("accuracy", 1.0)], None, {"accuracy": "invalid_input"}),
        (
            Sample("0", CODE, tests=["assert add(1, 1) == 2"]),
            [("accuracy", 1.0), ("code_accuracy", 1.0)],
            1.0,
            {"accuracy": "not_applicable"},
        ),
        (
            Sample("0", GOOD, ground_truth="4"),
            [("accuracy", 1.0), ("code_accuracy", 1.0)],
            1.0,
            {"code_accuracy": "not_applicable"},
        ),
        (  # nothing applies (a math-only request on a code item): null, not a fake 0
            Sample("0", CODE, tests=["assert add(1, 1) == 2"]),
            [("accuracy", 1.0)],
            None,
            {"accuracy": "not_applicable"},
        ),
        (
            Sample("0", GOOD, ground_truth="4"),
            [("accuracy", 1.0), ("broken", 1.0)],
            None,
            {"broken": "reward_error"},
        ),
    ],
)
async def test_totals(scorer_and_log, sample, specs, total, errors):
    scorer, _ = scorer_and_log
    resolved = scorer.resolve([(name, weight, {}) for name, weight in specs])
    (result,) = await scorer.score([sample], resolved, Deadline.after(10))
    assert result.total == total
    assert result.errors == errors


async def test_duplicates_computed_once_and_fanned_out(scorer_and_log):
    scorer, log = scorer_and_log
    samples = [Sample(str(i), GOOD, ground_truth="4", group_id="g") for i in range(5)]
    samples.append(Sample("5", GOOD, ground_truth="3", group_id="g"))
    results = await scorer.score(samples, scorer.resolve([("accuracy", 1.0, {})]), Deadline.after(10))
    assert [r.id for r in results] == ["0", "1", "2", "3", "4", "5"]
    assert [r.accuracy for r in results] == [1.0] * 5 + [0.0]
    assert log.counts["accuracy"] == 2


class _FullQueue:
    async def submit(self, tasks):
        raise QueueFullError(depth=9, max_depth=9, retry_after_s=4.0)


async def test_queue_full_surfaces_as_backpressure():
    scorer = Scorer(
        registry=make_test_registry(CallLog()),
        queue=_FullQueue(),  # type: ignore[arg-type]
        cache=None,
        metrics=Metrics(),
        inline_ctx=RewardContext(),
        chunk_items=2,
        retry_after_s=1.0,
    )
    with pytest.raises(BackpressureError) as err:
        await scorer.score(
            [Sample("0", GOOD, ground_truth="1")],
            [Spec("accuracy", 1.0, {"mode": "strict"})],
            Deadline.after(5),
        )
    assert status_for(err.value) == 429 and err.value.retry_after_s == 4.0


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("accuracy", {"mode": "bogus"}, "'mode'='bogus' is invalid"),
        ("accuracy", {"rel_tol": 2.0}, "'rel_tol'=2.0 is invalid"),
        ("cosine_length", {"max_length": -5}, "'max_length'=-5 is invalid"),
        ("repetition_penalty", {"ngram_size": 0}, "'ngram_size'=0 is invalid"),
        ("code_accuracy", {"language": "rust"}, "'language'='rust' is invalid"),
    ],
)
def test_bad_parameter_values_are_refused_before_scoring(name, params, message):
    """A bad value must be the caller's error up front, not a batch of nulls from a worker."""
    scorer = Scorer(
        registry=service_registry(),
        queue=_FullQueue(),  # type: ignore[arg-type]  # never reached
        cache=None,
        metrics=Metrics(),
        inline_ctx=RewardContext(),
        chunk_items=2,
        retry_after_s=1.0,
    )
    with pytest.raises(InvalidRequestError, match=message):
        scorer.resolve([(name, 1.0, params)])
    assert scorer.resolve([(name, 1.0, None)])[0].name == name


class _GarblingQueue:
    """Answers every task with the given payload, as a broken or mismatched worker would."""

    def __init__(self, payload: bytes) -> None:
        self._payload = payload
        self._ids: list[str] = []

    async def submit(self, tasks):
        self._ids = [t.task_id for t in tasks]

    async def results(self, task_ids, timeout_s):
        return {i: TaskResult(i, payload=self._payload) for i in task_ids}


@pytest.mark.parametrize(
    "payload", [b"not json", b"[1, 2]", b'{"accuracy": [{"value": 1.0}]}', b'{"accuracy": "x"}', b"{}"]
)
async def test_garbled_worker_answer_is_task_failed_not_a_crash(payload):
    scorer = Scorer(
        registry=make_test_registry(CallLog()),
        queue=_GarblingQueue(payload),  # type: ignore[arg-type]
        cache=MemoryResultCache(max_entries=10, ttl_s=60),
        metrics=Metrics(),
        inline_ctx=RewardContext(),
        chunk_items=8,
        retry_after_s=1.0,
    )
    samples = [Sample("0", GOOD, ground_truth="4"), Sample("1", GOOD, ground_truth="5")]
    results = await scorer.score(samples, [Spec("accuracy", 1.0, {"mode": "strict"})], Deadline.after(5))
    assert [(r.total, r.errors) for r in results] == [(None, {"accuracy": "task_failed"})] * 2


class _DownCache:
    """A result cache whose backend is unreachable (Redis down)."""

    async def get_many(self, keys):
        raise ConnectionError("cache down")

    async def put_many(self, entries):
        raise ConnectionError("cache down")


async def test_unreachable_cache_is_a_miss_not_a_failed_request():
    log = CallLog()
    registry = make_test_registry(log)
    queue = InProcessTaskQueue(ChunkExecutor(registry, RewardContext()), max_depth=10)
    await queue.start()
    metrics = Metrics()
    scorer = Scorer(
        registry=registry,
        queue=queue,
        cache=_DownCache(),
        metrics=metrics,
        inline_ctx=RewardContext(),
        chunk_items=2,
        retry_after_s=1.0,
    )
    try:
        results = await scorer.score(
            [Sample("0", GOOD, ground_truth="4")],
            [Spec("accuracy", 1.0, {"mode": "strict"})],
            Deadline.after(5),
        )
    finally:
        await queue.close()
    assert [r.total for r in results] == [1.0] and log.counts["accuracy"] == 1
    assert b"arbiter_cache_errors_total 2.0" in metrics.render()  # the read and the write

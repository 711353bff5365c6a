"""MathPool: deadlines, memory caps, crashes, threads, event loops and gold affinity.

The stand-in verifiers below run inside the pool's worker processes (they are pickled by
reference, so they live at module level here).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from verifiers.math.pool import MathPool, PoolNotRunningError, PoolStartError, PoolState
from verifiers.math.verdict import MathConfig, MathVerdict, Reason

ITEM_TIMEOUT_S = 1.0
SLACK_S = 5.0  # scheduling slack on a loaded CI machine; still far below a hang

_PREPARE_CALLS = 0  # per worker process


def _scripted_verify(gold: Any, completion: str, config: MathConfig) -> MathVerdict:
    """Echo comparison, plus commands that misbehave the way a parser can."""
    if completion == "!spin":
        pow(10, 10**10)  # big-int arithmetic in C: no signal handler runs
    elif completion == "!eat":
        hoard = []
        while True:
            hoard.append(bytes(64 * 1024 * 1024))
    elif completion == "!crash":
        os.kill(os.getpid(), signal.SIGKILL)
    elif completion.startswith("!sleep:"):
        time.sleep(float(completion.split(":")[1]))
        completion = str(gold)
    ok = str(gold).strip() == completion.strip()
    return MathVerdict(correct=ok, reason=Reason.EQUAL if ok else Reason.NOT_EQUAL, extracted=completion)


def _naive_sympy_verify(gold: Any, completion: str, config: MathConfig) -> MathVerdict:
    """A verifier with no guards at all: parses and simplifies whatever it is given."""
    import sympy
    from latex2sympy2_extended import latex2sympy

    text = completion.removeprefix("\\boxed{").removesuffix("}")
    try:
        same = sympy.simplify(latex2sympy(str(gold)) - latex2sympy(text)) == 0
    except Exception:
        return MathVerdict(correct=False, reason=Reason.UNPARSEABLE_ANSWER, extracted=text[:50])
    return MathVerdict(correct=bool(same), reason=Reason.EQUAL if same else Reason.NOT_EQUAL)


def _prepare_gold(gold: Any, config: MathConfig) -> str:
    global _PREPARE_CALLS
    _PREPARE_CALLS += 1
    return str(gold).strip()


def _verify_prepared(prepared: str, completion: str, config: MathConfig) -> MathVerdict:
    ok = prepared == completion.strip()
    return MathVerdict(
        correct=ok, reason=Reason.EQUAL if ok else Reason.NOT_EQUAL, method=f"prepares:{_PREPARE_CALLS}"
    )


def _explode() -> None:
    raise RuntimeError("this verifier cannot be loaded in a worker")


class _Unloadable:
    """Pickles fine in the parent, fails to unpickle in the worker: every worker start fails."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_explode, ())

    def __call__(self, gold: Any, completion: str, config: MathConfig) -> MathVerdict:
        raise AssertionError("never runs")


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _KillsOnLoad:
    """A gold that pickles fine in the parent and kills the worker that unpickles it: the worker
    dies between items, so it cannot say which item it held was the culprit."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_kill_self, ())


def _normal_batch(n: int) -> list[tuple[Any, str]]:
    return [(str(i), str(i) if i % 3 else "wrong") for i in range(n)]


def _assert_scored(verdicts: list[MathVerdict], pairs: list[tuple[Any, str]]) -> None:
    assert [v.correct for v in verdicts] == [str(g) == c for g, c in pairs]


@pytest.fixture(scope="module")
def pool() -> Iterator[MathPool]:
    with MathPool(2, item_timeout_s=ITEM_TIMEOUT_S, memory_mb=512, verify=_scripted_verify) as p:
        yield p


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.monotonic()
    out = fn(*args, **kwargs)
    return out, time.monotonic() - started


def test_no_process_before_start() -> None:
    p = MathPool(2, verify=_scripted_verify)
    assert p.stats().workers_alive == 0
    assert p.stats().state is PoolState.NOT_STARTED
    with pytest.raises(PoolNotRunningError):
        p.verify_many([("1", "1")])


def test_unpicklable_verify_is_rejected_at_start() -> None:
    with pytest.raises(ValueError, match="picklable"):
        MathPool(1, verify=lambda g, c, cfg: None).start()  # type: ignore[arg-type,return-value]


def test_start_fails_fast_when_no_worker_can_start() -> None:
    started = time.monotonic()
    with pytest.raises(PoolStartError):
        MathPool(1, verify=_Unloadable(), startup_timeout_s=60.0).start()
    assert time.monotonic() - started < 10.0


def test_items_fail_when_no_worker_can_start() -> None:
    p = MathPool(1, verify=_Unloadable()).start(wait_ready=False)
    try:
        verdicts, elapsed_s = _timed(p.verify_many, [("1", "1"), ("2", "2")])
        assert [(v.reason, v.method) for v in verdicts] == [(Reason.WORKER_ERROR, "pool_unavailable")] * 2
        assert elapsed_s < 10.0
        assert not p.healthy()
    finally:
        p.close()


def test_scores_in_order(pool: MathPool) -> None:
    pairs = _normal_batch(50)
    _assert_scored(pool.verify_many(pairs), pairs)
    assert pool.verify_many([]) == []


@pytest.mark.parametrize(
    ("completion", "reason", "method"),
    [
        ("!spin", Reason.TIMEOUT, "item_deadline"),
        ("!eat", Reason.WORKER_ERROR, "memory_limit"),
        ("!crash", Reason.WORKER_ERROR, "worker_died"),
    ],
)
def test_misbehaving_item_is_contained(pool: MathPool, completion: str, reason: Reason, method: str) -> None:
    before = pool.stats().restarts
    pairs: list[tuple[Any, str]] = [("1", completion), *_normal_batch(20)]
    verdicts, elapsed_s = _timed(pool.verify_many, pairs)
    assert (verdicts[0].reason, verdicts[0].method) == (reason, method)
    assert not verdicts[0].scorable
    _assert_scored(verdicts[1:], pairs[1:])  # items the dying worker held were re-dispatched
    assert elapsed_s < ITEM_TIMEOUT_S + SLACK_S
    assert pool.stats().restarts == before + 1
    after = _normal_batch(40)
    verdicts, elapsed_s = _timed(pool.verify_many, after)
    _assert_scored(verdicts, after)
    assert elapsed_s < SLACK_S
    assert pool.healthy()


def test_held_items_are_redispatched_after_a_kill() -> None:
    with MathPool(1, item_timeout_s=ITEM_TIMEOUT_S, chunk_size=8, verify=_scripted_verify) as p:
        pairs: list[tuple[Any, str]] = [("1", "!spin"), ("2", "2"), ("3", "x"), ("4", "4")]
        verdicts = p.verify_many(pairs)
        assert verdicts[0].reason is Reason.TIMEOUT
        assert [v.correct for v in verdicts[1:]] == [True, False, True]
        assert p.stats().chunks_sent >= 2


@pytest.mark.parametrize(("workers", "chunk_size"), [(1, 1), (1, 8), (2, 1)])
def test_item_that_kills_workers_between_items_fails_alone(workers: int, chunk_size: int) -> None:
    pairs: list[tuple[Any, str]] = [("1", "1"), (_KillsOnLoad(), "x"), ("2", "2"), ("3", "wrong")]
    with MathPool(
        workers, item_timeout_s=ITEM_TIMEOUT_S, chunk_size=chunk_size, verify=_scripted_verify
    ) as p:
        verdicts, elapsed_s = _timed(p.verify_many, pairs)
        assert (verdicts[1].reason, verdicts[1].method) == (Reason.WORKER_ERROR, "worker_died_repeatedly")
        assert [v.reason for i, v in enumerate(verdicts) if i != 1] == [
            Reason.EQUAL,
            Reason.EQUAL,
            Reason.NOT_EQUAL,
        ]
        assert p.stats().worker_errors == 1 and p.stats().restarts >= 3
        assert elapsed_s < SLACK_S
        assert p.verify_many([("4", "4")])[0].correct  # the pool still serves


def test_call_from_non_main_thread_respects_deadline(pool: MathPool) -> None:
    with ThreadPoolExecutor(1) as ex:
        verdicts, elapsed_s = ex.submit(_timed, pool.verify_many, [("1", "!spin"), ("2", "2")]).result()
    assert [v.reason for v in verdicts] == [Reason.TIMEOUT, Reason.EQUAL]
    assert elapsed_s < ITEM_TIMEOUT_S + SLACK_S


async def test_event_loop_is_not_blocked(pool: MathPool) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    verdicts = await pool.averify_many([("1", "!spin"), ("2", "!sleep:0.5")])
    elapsed_s = time.monotonic() - started
    task.cancel()
    assert [v.reason for v in verdicts] == [Reason.TIMEOUT, Reason.EQUAL]
    assert elapsed_s < ITEM_TIMEOUT_S + SLACK_S
    assert ticks >= 10  # the loop kept running while the pool worked


async def test_concurrent_tasks_share_the_pool(pool: MathPool) -> None:
    batches = [[(f"{t}", f"{t}" if j % 2 else f"{t}-{j}") for j in range(12)] for t in range(6)]
    results = await asyncio.gather(*(pool.averify_many(b) for b in batches))
    for batch, verdicts in zip(batches, results, strict=True):
        _assert_scored(verdicts, batch)


async def test_cancelled_call_drops_its_pending_items() -> None:
    with MathPool(1, item_timeout_s=5.0, verify=_scripted_verify) as p:
        task = asyncio.create_task(p.averify_many([("1", "!sleep:0.5")] * 20))
        await asyncio.sleep(0.1)
        task.cancel()
        started = time.monotonic()
        verdicts = await p.averify_many([("2", "2")])
        assert verdicts[0].correct
        assert time.monotonic() - started < SLACK_S  # not behind 20 x 0.5 s of abandoned work
        assert p.stats().items_pending == 0


def test_many_threads_get_their_own_results_in_order(pool: MathPool) -> None:
    def call(t: int) -> tuple[list[tuple[Any, str]], list[MathVerdict]]:
        pairs = [(f"g{t % 3}", f"g{t % 3}" if (t + j) % 2 else f"t{t}-{j}") for j in range(25)]
        return pairs, pool.verify_many(pairs)

    with ThreadPoolExecutor(8) as ex:
        outcomes = list(ex.map(call, range(16)))
    for pairs, verdicts in outcomes:
        _assert_scored(verdicts, pairs)
        assert [v.extracted for v in verdicts] == [c for _, c in pairs]


def test_batch_deadline_bounds_the_whole_call() -> None:
    with MathPool(1, item_timeout_s=5.0, verify=_scripted_verify) as p:
        pairs = [("1", "!sleep:0.3")] * 12
        verdicts, elapsed_s = _timed(p.verify_many, pairs, timeout_s=2.0)
    assert verdicts[0].reason is Reason.EQUAL
    assert (verdicts[-1].reason, verdicts[-1].method) == (Reason.TIMEOUT, "batch_deadline")
    assert elapsed_s < 2.0 + SLACK_S


def test_close_releases_waiting_callers() -> None:
    p = MathPool(1, item_timeout_s=30.0, verify=_scripted_verify).start()
    box: list[list[MathVerdict]] = []
    caller = threading.Thread(target=lambda: box.append(p.verify_many([("1", "!sleep:20")])))
    caller.start()
    time.sleep(0.3)
    p.close()
    caller.join(timeout=SLACK_S)
    assert not caller.is_alive()
    assert (box[0][0].reason, box[0][0].method) == (Reason.WORKER_ERROR, "pool_closed")
    with pytest.raises(PoolNotRunningError):
        p.verify_many([("1", "1")])


@pytest.mark.parametrize(
    ("gold", "completion"),
    [
        ("1", None),
        (lambda: 1, "1"),
    ],
)
def test_invalid_input_is_a_verdict(pool: MathPool, gold: Any, completion: Any) -> None:
    (verdict,) = pool.verify_many([(gold, completion)])
    assert verdict.reason is Reason.INVALID_INPUT


def test_worker_is_recycled_after_max_items() -> None:
    with MathPool(1, max_items_per_worker=5, chunk_size=2, verify=_scripted_verify) as p:
        pairs = _normal_batch(22)
        _assert_scored(p.verify_many(pairs), pairs)
        stats = p.stats()
    assert stats.recycles == 3  # a worker finishes its chunk first: retires after 6 items, not 5
    assert stats.restarts == 0


def test_gold_is_prepared_once_per_worker() -> None:
    with MathPool(
        1,
        verify=_scripted_verify,
        prepare_gold=_prepare_gold,
        verify_prepared=_verify_prepared,
    ) as p:
        pairs = [(gold, gold if j % 2 else "no") for gold in ("a", "b") for j in range(16)]
        verdicts = p.verify_many(pairs)
    _assert_scored(verdicts, pairs)
    assert verdicts[-1].method == "prepares:2"


def test_groups_stick_to_workers() -> None:
    with MathPool(2, chunk_size=4, verify=_scripted_verify) as p:
        pairs = [(f"gold{g}", f"gold{g}") for g in range(8) for _ in range(16)]
        _assert_scored(p.verify_many(pairs), pairs)
        stats = p.stats()
    assert stats.affinity_hits >= stats.chunks_sent // 2


_PATHOLOGICAL = [
    "\\boxed{2^{2^{2^{2^{2^{2}}}}}}",
    "\\boxed{10^{10^{10}}}",
    "\\boxed{9^9^9^9}",
    "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}",
    "\\boxed{" + "1+" * 500_000 + "1}",  # about 1 MB
    "\\boxed{1\x00\x00}\x00",
    "\\boxed{1000000!}",
    "\\boxed{" + "9" * 200_000 + "}",
]


@pytest.fixture(scope="module")
def naive_pool() -> Iterator[MathPool]:
    with MathPool(2, item_timeout_s=ITEM_TIMEOUT_S, memory_mb=1024, verify=_naive_sympy_verify) as p:
        yield p


@pytest.mark.parametrize("completion", _PATHOLOGICAL, ids=range(len(_PATHOLOGICAL)))
def test_pathological_input_against_unguarded_parser(naive_pool: MathPool, completion: str) -> None:
    verdicts, elapsed_s = _timed(naive_pool.verify_many, [("7", completion), ("7", "\\boxed{7}")])
    assert not verdicts[0].correct
    assert verdicts[1].correct
    assert elapsed_s < ITEM_TIMEOUT_S + SLACK_S
    assert naive_pool.healthy()


@pytest.fixture(scope="module")
def real_pool() -> Iterator[MathPool]:
    pytest.importorskip("verifiers.math.verifier")
    with MathPool(2, item_timeout_s=ITEM_TIMEOUT_S) as p:
        yield p


@pytest.mark.parametrize("completion", _PATHOLOGICAL, ids=range(len(_PATHOLOGICAL)))
def test_pathological_input_against_real_verifier(real_pool: MathPool, completion: str) -> None:
    verdicts, elapsed_s = _timed(real_pool.verify_many, [("7", completion), ("7", "\\boxed{7}")])
    assert not verdicts[0].correct
    assert verdicts[1].reason is Reason.EQUAL
    assert elapsed_s < ITEM_TIMEOUT_S + SLACK_S
    assert real_pool.healthy()

"""Where async jobs live: their state, their input (steps of samples), each step's results, and
who is driving them (a lease), in memory (embedded mode) or in Redis (durable).

Why the input and every finished step are stored, not only the state: in Redis mode an API
replica that dies (kill -9 or a clean SIGTERM) leaves its jobs' leases to expire; any replica,
the restarted one included, then adopts the job and resumes it at the first step without a
stored result. Nothing a job accepted depends on one process's memory. The embedded store keeps
all of it in this process: a restart loses its jobs, and each job's state says so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from app.queue.payload import Spec
from verifiers import Sample, sample_from_json, sample_to_json

__all__ = [
    "JobInput",
    "JobState",
    "JobStatus",
    "JobStore",
    "MemoryJobStore",
    "RedisJobStore",
    "Step",
]

EMBEDDED_DURABILITY = (
    "embedded mode: this job lives in the memory of one API process; a restart of that process "
    "loses it (state, progress and results). Set a Redis URL for jobs that survive restarts."
)
REDIS_DURABILITY = (
    "durable: state, input and finished steps are in Redis; if the API process driving it stops, "
    "any API replica resumes it at its first unfinished step."
)


class JobStatus(StrEnum):
    """Where a job is; ``failed`` carries the reason, ``done`` the results."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


@dataclass(frozen=True, slots=True)
class JobState:
    """What ``GET /v1/jobs/{id}`` returns. ``results`` is filled when the job is done."""

    job_id: str
    status: JobStatus
    total: int
    done: int = 0
    results: list[dict[str, Any]] | None = None
    error: str | None = None
    created_s: float = field(default_factory=time.time)
    updated_s: float = field(default_factory=time.time)  # last progress (Unix seconds)
    resumed: int = 0  # times another driver took the job over (its previous one stopped)
    durability: str = ""  # what a restart does to this job, in words


@dataclass(frozen=True, slots=True)
class Step:
    """A slice of a job scored at once: positions in the job's items, and those samples."""

    positions: tuple[int, ...]
    samples: tuple[Sample, ...]


@dataclass(frozen=True, slots=True)
class JobInput:
    """What a driver needs to (re)start a job."""

    specs: tuple[Spec, ...]
    steps: tuple[Step, ...]


class JobStore(Protocol):
    """Job states, inputs, step results and driver leases; shared by all replicas in Redis mode."""

    durability: str

    async def create(self, state: JobState, job: JobInput) -> None: ...

    async def put(self, state: JobState) -> None: ...

    async def get(self, job_id: str) -> JobState | None: ...

    async def load(self, job_id: str) -> JobInput | None: ...

    async def put_step(self, job_id: str, step: int, results: Sequence[dict[str, Any]]) -> None: ...

    async def finished_steps(self, job_id: str) -> set[int]: ...

    async def active(self) -> list[str]: ...

    async def retire(self, job_id: str) -> None: ...

    async def acquire(self, job_id: str, owner: str, lease_s: float) -> bool: ...

    async def renew(self, job_id: str, owner: str, lease_s: float) -> bool: ...

    async def release(self, job_id: str, owner: str) -> None: ...


def _spec_json(spec: Spec) -> dict[str, Any]:
    return {"name": spec.name, "weight": spec.weight, "params": dict(spec.params)}


def _spec_from_json(d: Mapping[str, Any]) -> Spec:
    return Spec(str(d["name"]), float(d["weight"]), d.get("params") or {})


def _state_json(state: JobState) -> str:
    body = asdict(replace(state, results=None))
    body.pop("results")
    return json.dumps(body)


def _state_from_json(raw: bytes | str, results: list[dict[str, Any]] | None) -> JobState:
    body = json.loads(raw)
    body["status"] = JobStatus(body["status"])
    return JobState(**body, results=results)


@dataclass(slots=True)
class _MemoryJob:
    state: JobState
    job: JobInput
    results: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    owner: str = ""
    lease_until: float = 0.0


class MemoryJobStore:
    """Embedded mode: everything in a dict, dropped ``ttl_s`` after creation."""

    durability = EMBEDDED_DURABILITY

    def __init__(self, *, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._jobs: dict[str, _MemoryJob] = {}

    def _expire(self) -> None:
        now = time.time()
        for job_id in [k for k, v in self._jobs.items() if v.state.created_s + self._ttl_s < now]:
            del self._jobs[job_id]

    async def create(self, state: JobState, job: JobInput) -> None:
        self._expire()
        self._jobs[state.job_id] = _MemoryJob(state, job)

    async def put(self, state: JobState) -> None:
        entry = self._jobs.get(state.job_id)
        if entry is not None:
            entry.state = state

    async def get(self, job_id: str) -> JobState | None:
        entry = self._jobs.get(job_id)
        if entry is None:
            return None
        if entry.state.status is JobStatus.DONE:
            return replace(entry.state, results=_assemble(entry.job.steps, entry.results))
        return entry.state

    async def load(self, job_id: str) -> JobInput | None:
        entry = self._jobs.get(job_id)
        return entry.job if entry is not None else None

    async def put_step(self, job_id: str, step: int, results: Sequence[dict[str, Any]]) -> None:
        entry = self._jobs.get(job_id)
        if entry is not None:
            entry.results[step] = list(results)

    async def finished_steps(self, job_id: str) -> set[int]:
        entry = self._jobs.get(job_id)
        return set(entry.results) if entry is not None else set()

    async def active(self) -> list[str]:
        self._expire()
        live = [e for e in self._jobs.values() if not e.state.status.terminal]
        return [e.state.job_id for e in sorted(live, key=lambda e: e.state.created_s)]

    async def retire(self, job_id: str) -> None:
        return None  # terminal jobs are not listed by ``active``

    async def acquire(self, job_id: str, owner: str, lease_s: float) -> bool:
        entry = self._jobs.get(job_id)
        now = time.monotonic()
        if entry is None or (entry.owner and entry.owner != owner and entry.lease_until > now):
            return False
        entry.owner, entry.lease_until = owner, now + lease_s
        return True

    async def renew(self, job_id: str, owner: str, lease_s: float) -> bool:
        entry = self._jobs.get(job_id)
        if entry is None or entry.owner != owner:
            return False
        entry.lease_until = time.monotonic() + lease_s
        return True

    async def release(self, job_id: str, owner: str) -> None:
        entry = self._jobs.get(job_id)
        if entry is not None and entry.owner == owner:
            entry.owner, entry.lease_until = "", 0.0


# Compare-and-set on the lease key: only its owner renews or releases it.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisJobStore:
    """Shared, durable mode. Keys per job (all expiring ``ttl_s`` after creation): ``state``
    (JSON), ``input`` (hash: ``specs`` and one field per step), ``results`` (hash: one field
    per finished step), ``lease`` (the driver's token, expiring); plus one sorted set of the
    jobs not yet terminal, oldest first."""

    durability = REDIS_DURABILITY

    def __init__(self, client: Any, *, ttl_s: float, prefix: str = "arbiter") -> None:
        self._client = client
        self._ttl_ms = int(ttl_s * 1000)
        self._prefix = f"{prefix}:job:"
        self._active_key = f"{prefix}:jobs:active"

    def _key(self, job_id: str, part: str) -> str:
        return f"{self._prefix}{job_id}:{part}"

    async def create(self, state: JobState, job: JobInput) -> None:
        fields: dict[str, str] = {"specs": json.dumps([_spec_json(s) for s in job.specs])}
        for n, step in enumerate(job.steps):
            fields[str(n)] = json.dumps(
                {"positions": list(step.positions), "samples": [sample_to_json(s) for s in step.samples]}
            )
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(state.job_id, "input"), mapping=fields)
            pipe.pexpire(self._key(state.job_id, "input"), self._ttl_ms)
            pipe.set(self._key(state.job_id, "state"), _state_json(state), px=self._ttl_ms)
            pipe.zadd(self._active_key, {state.job_id: state.created_s})
            await pipe.execute()

    async def put(self, state: JobState) -> None:
        # keep the key's original expiry: a job's data all expires together
        await self._client.set(self._key(state.job_id, "state"), _state_json(state), xx=True, keepttl=True)

    async def get(self, job_id: str) -> JobState | None:
        raw = await self._client.get(self._key(job_id, "state"))
        if raw is None:
            return None
        state = _state_from_json(raw, None)
        if state.status is not JobStatus.DONE:
            return state
        raws = await self._client.hgetall(self._key(job_id, "results"))
        steps = {int(k): json.loads(v) for k, v in raws.items()}
        order: list[tuple[int, dict[str, Any]]] = []
        for entry in steps.values():
            order.extend(zip(entry["positions"], entry["results"], strict=True))
        return replace(state, results=[r for _, r in sorted(order, key=lambda p: p[0])])

    async def load(self, job_id: str) -> JobInput | None:
        raws = await self._client.hgetall(self._key(job_id, "input"))
        if not raws:
            return None
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raws.items()}
        specs = tuple(_spec_from_json(d) for d in json.loads(fields.pop("specs")))
        steps: list[Step] = []
        for n in range(len(fields)):
            body = json.loads(fields[str(n)])
            steps.append(Step(tuple(body["positions"]), tuple(sample_from_json(s) for s in body["samples"])))
        return JobInput(specs, tuple(steps))

    async def put_step(self, job_id: str, step: int, results: Sequence[dict[str, Any]]) -> None:
        job = await self.load_positions(job_id, step)
        body = json.dumps({"positions": job, "results": list(results)})
        key = self._key(job_id, "results")
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(key, str(step), body)
            pipe.pexpire(key, self._ttl_ms)
            await pipe.execute()

    async def load_positions(self, job_id: str, step: int) -> list[int]:
        raw = await self._client.hget(self._key(job_id, "input"), str(step))
        if raw is None:
            raise KeyError(f"job {job_id} has no step {step} (expired?)")
        return list(json.loads(raw)["positions"])

    async def finished_steps(self, job_id: str) -> set[int]:
        return {int(k) for k in await self._client.hkeys(self._key(job_id, "results"))}

    async def active(self) -> list[str]:
        ids = [
            i.decode() if isinstance(i, bytes) else str(i)
            for i in await self._client.zrange(self._active_key, 0, -1)
        ]
        if not ids:
            return []
        # a job whose keys expired (or were lost) is no longer active
        exists = await self._client.mget([self._key(i, "state") for i in ids])
        gone = [i for i, raw in zip(ids, exists, strict=True) if raw is None]
        if gone:
            await self._client.zrem(self._active_key, *gone)
        return [i for i, raw in zip(ids, exists, strict=True) if raw is not None]

    async def retire(self, job_id: str) -> None:
        await self._client.zrem(self._active_key, job_id)

    async def acquire(self, job_id: str, owner: str, lease_s: float) -> bool:
        return bool(
            await self._client.set(self._key(job_id, "lease"), owner, nx=True, px=int(lease_s * 1000))
        )

    async def renew(self, job_id: str, owner: str, lease_s: float) -> bool:
        return bool(
            await self._client.eval(_RENEW, 1, self._key(job_id, "lease"), owner, int(lease_s * 1000))
        )

    async def release(self, job_id: str, owner: str) -> None:
        await self._client.eval(_RELEASE, 1, self._key(job_id, "lease"), owner)


def _assemble(steps: Sequence[Step], results: Mapping[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    order: list[tuple[int, dict[str, Any]]] = []
    for n, step in enumerate(steps):
        order.extend(zip(step.positions, results.get(n, []), strict=False))
    return [r for _, r in sorted(order, key=lambda p: p[0])]

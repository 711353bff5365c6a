"""Taking over a dead worker's task entries (the consumer side of the Redis task stream).

Why apart from the worker loop: which entries count as orphaned is the queue's one subtle rule.
First the pending entries of consumers whose heartbeat lapsed (seconds after a death; only those
idle a whole heartbeat TTL, since a live worker renews its entries every beat), then, as a safety
net, any entry idle past the visibility timeout (``XAUTOCLAIM``). Each claimed entry carries its
delivery count, so a task that keeps killing workers is dead-lettered.
"""

from __future__ import annotations

import logging
from typing import Any

from app.queue._redis_keys import F_ATTEMPTS, Keys

__all__ = ["DeadWorkerClaims", "Entry"]

_log = logging.getLogger(__name__)

# A stream entry to run: (entry id, fields, deliveries so far including this one).
Entry = tuple[bytes, dict[bytes, bytes], int]


class DeadWorkerClaims:
    """Claims orphaned entries for ``consumer``; keeps the ``XAUTOCLAIM`` cursor between calls."""

    def __init__(
        self, redis: Any, keys: Keys, consumer: str, *, visibility_timeout_ms: int, heartbeat_ttl_ms: int
    ) -> None:
        self._redis = redis
        self._keys = keys
        self.consumer = consumer
        self._visibility_timeout_ms = visibility_timeout_ms
        self._heartbeat_ttl_ms = heartbeat_ttl_ms
        self._cursor = "0-0"

    async def claim(self, count: int) -> list[Entry]:
        """Entries of dead workers: first those of consumers whose heartbeat lapsed (seconds
        after a death), then any entry idle past the visibility timeout (a safety net)."""
        orphans = await self._from_dead(count)
        if orphans:
            return orphans
        reply = await self._redis.xautoclaim(
            self._keys.stream,
            self._keys.group,
            self.consumer,
            min_idle_time=self._visibility_timeout_ms,
            start_id=self._cursor,
            count=count,
        )
        next_cursor, claimed = reply[0], reply[1]
        self._cursor = next_cursor.decode() if isinstance(next_cursor, bytes) else str(next_cursor)
        out = []
        for entry_id, fields in claimed:
            if not fields:
                continue  # deleted while pending
            pending = await self._redis.xpending_range(
                self._keys.stream, self._keys.group, min=entry_id, max=entry_id, count=1
            )
            times = int(pending[0]["times_delivered"]) if pending else 1
            _log.warning("claimed task entry %s from a dead worker (delivery %d)", entry_id, times)
            out.append((entry_id, fields, times + int(fields.get(F_ATTEMPTS.encode(), 0))))
        return out

    async def _from_dead(self, count: int) -> list[Entry]:
        """Claim pending entries of a consumer with no live heartbeat. Only entries idle for a
        whole heartbeat TTL are taken: a live worker renews its entries every beat, so one whose
        heartbeat key was merely lost (a Redis restart) keeps them."""
        summary: Any = await self._redis.xpending(self._keys.stream, self._keys.group)
        holders = [c["name"] for c in (summary or {}).get("consumers") or [] if int(c.get("pending", 0)) > 0]
        holders = [h.decode() if isinstance(h, bytes) else str(h) for h in holders]
        for name in holders:
            if name == self.consumer or await self._redis.exists(self._keys.heartbeat(name)):
                continue
            entries: Any = await self._redis.xpending_range(
                self._keys.stream,
                self._keys.group,
                min="-",
                max="+",
                count=count,
                consumername=name,
                idle=self._heartbeat_ttl_ms,
            )
            if not entries:
                continue
            claimed: Any = await self._redis.xclaim(
                self._keys.stream,
                self._keys.group,
                self.consumer,
                min_idle_time=self._heartbeat_ttl_ms,
                message_ids=[e["message_id"] for e in entries],
            )
            times = {e["message_id"]: int(e["times_delivered"]) for e in entries}
            out = []
            for entry_id, fields in claimed:
                if not fields:
                    continue
                _log.warning("claimed task entry %s from dead worker %s (no heartbeat)", entry_id, name)
                delivery = times.get(entry_id, 1) + 1  # this claim is one more delivery
                out.append((entry_id, fields, delivery + int(fields.get(F_ATTEMPTS.encode(), 0))))
            if out:
                return out
        return []

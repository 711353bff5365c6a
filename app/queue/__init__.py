"""Job queues: Redis Streams (distributed) and in-process (embedded default), one contract."""

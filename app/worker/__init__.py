"""The worker: the process that consumes the Redis task stream and computes the MATH/CODE rewards.

``process`` runs one worker (pools, consumer, drain on SIGTERM); ``executor`` is its task handler
(a queued chunk in, reward outputs out), the same one the API runs in embedded mode. Nothing here
imports the HTTP layer (``app.http``) or the operator tools (``app.tools``): the worker builds
from ``app.composition`` and shares results with the API through ``app.results``.
"""

from app.worker.process import WorkerOptions, WorkerResources, build_executor, main, run_worker, serve

__all__ = ["WorkerOptions", "WorkerResources", "build_executor", "main", "run_worker", "serve"]

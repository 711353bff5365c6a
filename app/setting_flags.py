"""Command-line flags that set fields of the one settings class, named after them.

Why generated from ``Settings``: ``--visibility-timeout-s`` and ``ARBITER_VISIBILITY_TIMEOUT_S``
are the same setting with the same default and description, so a flag can never drift from the
setting it sets (or exist in one command and not the other).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["SERVICE_FLAGS", "WORKER_FLAGS", "add_service_flags", "add_worker_flags", "settings_from_args"]

SERVICE_FLAGS = ("redis_url", "queue_prefix", "sandbox_rootfs_dir", "sandbox_image")
"""Settings every service process (API, worker, local scoring) takes as flags."""

WORKER_FLAGS = (
    "worker_concurrency",
    "visibility_timeout_s",
    "max_deliveries",
    "heartbeat_interval_s",
    "drain_timeout_s",
)
"""Settings only ``arbiter worker`` takes as flags."""

_ALIASES = {"queue_prefix": ["--prefix"], "worker_concurrency": ["--concurrency"]}


def _add(p: argparse.ArgumentParser, field: str) -> None:
    from app.settings import Settings

    info = Settings.model_fields[field]
    kind: Any = info.annotation if info.annotation in (int, float) else str
    default = "none" if info.default is None else info.default
    p.add_argument(
        "--" + field.replace("_", "-"),
        *_ALIASES.get(field, []),
        dest=field,
        type=kind,
        help=f"{info.description} (default: ARBITER_{field.upper()}, else {default})",
    )


def add_service_flags(p: argparse.ArgumentParser) -> None:
    """``--redis-url``, ``--queue-prefix``, the sandbox root/image and ``--sandbox``."""
    for field in SERVICE_FLAGS:
        _add(p, field)
    p.add_argument("--sandbox", choices=["bwrap", "docker"], help="sandbox backend (default: bwrap)")


def add_worker_flags(p: argparse.ArgumentParser) -> None:
    """Every queue-consumer setting of ``arbiter worker``."""
    for field in WORKER_FLAGS:
        _add(p, field)


def settings_from_args(args: argparse.Namespace) -> Any:
    """The environment's settings with the given flags on top; ``ValueError`` names what is wrong."""
    from pydantic import ValidationError

    from app.settings import Settings

    overrides: dict[str, Any] = {
        field: getattr(args, field)
        for field in (*SERVICE_FLAGS, *WORKER_FLAGS)
        if getattr(args, field, None) is not None
    }
    if getattr(args, "sandbox", None):
        overrides["sandbox_backend"] = args.sandbox
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"invalid settings: {problems}") from None

"""The Arbiter service: HTTP API, job queue, workers, settings and the operator CLI.

The public names load lazily, so ``arbiter --help`` and the worker do not pay for FastAPI.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from app.http.application import create_app

        return create_app
    if name == "Settings":
        from app.settings import Settings

        return Settings
    raise AttributeError(f"module 'app' has no attribute {name!r}")

"""Where the public dev data lives: ``shared/data`` beside the checkout (as in CI), else /work/shared."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SHARED_DATA"]

_BESIDE = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SHARED_DATA = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data")

"""Run untrusted model-written programs against tests, contained (bwrap or Docker)."""

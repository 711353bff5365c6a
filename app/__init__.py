"""The Arbiter service: HTTP API, job queue, workers, settings and the operator CLI."""

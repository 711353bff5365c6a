"""Async jobs (``/v1/jobs``): ``runner`` scores a big batch in steps in the API process, ``store``
keeps each job's state and results (in memory, or in Redis shared by every API replica)."""

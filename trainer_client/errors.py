"""Why a call to the reward service failed, as a small hierarchy with fields.

The client raises these; the trainer adapters (``suite``, ``verl_score``) catch them and turn
them into missing rewards, because an exception inside a reward function stops training.
"""

from __future__ import annotations

__all__ = [
    "ClientError",
    "DeadlineExceededError",
    "IncompleteGroupError",
    "MalformedResponseError",
    "RequestRejectedError",
    "ServiceUnavailableError",
]


class ClientError(Exception):
    """Base class of every failure the client reports."""


class RequestRejectedError(ClientError):
    """The service refused the request (a 4xx other than 429): retrying cannot help."""

    def __init__(self, status_code: int, detail: str) -> None:
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"service rejected the request ({status_code}): {detail}")


class ServiceUnavailableError(ClientError):
    """Every attempt failed with a retryable error (connection, timeout, 429, 5xx)."""

    def __init__(self, attempts: int, last_error: str) -> None:
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(f"reward service unavailable after {attempts} attempt(s): {last_error}")


class DeadlineExceededError(ClientError):
    """The call's overall deadline passed before a successful answer."""

    def __init__(self, deadline_s: float, attempts: int, last_error: str) -> None:
        self.deadline_s = deadline_s
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(f"deadline of {deadline_s:.1f}s exceeded after {attempts} attempt(s): {last_error}")


class MalformedResponseError(ClientError):
    """The service answered 2xx, but not with the contract's shape (a version mismatch or a proxy)."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"malformed response from the reward service: {problem}")


class IncompleteGroupError(ClientError):
    """A group-relative reward was asked for a batch that holds only part of some GRPO groups.

    Raised into the trainer on purpose: with several processes each rank sees part of a group,
    and a reward normalised over half a group is a wrong signal, not a hiccup to skip.
    """

    def __init__(self, rewards: list[str], num_generations: int, partial_sizes: list[int]) -> None:
        self.rewards = rewards
        self.num_generations = num_generations
        self.partial_sizes = partial_sizes
        super().__init__(
            f"group-relative reward(s) {rewards} need whole groups of {num_generations} completions in one "
            f"call, but this batch holds groups of {partial_sizes}: each process sees only part of a group. "
            "Make per_device_train_batch_size a multiple of num_generations on every process "
            "(so TRL keeps groups whole), or drop the group-relative reward."
        )

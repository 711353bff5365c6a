"""A light client for the Arbiter service, with TRL and verl reward adapters. Imports only httpx.

Why a separate package: trainers install it next to torch without the service's dependencies
(sympy, fastapi, redis, docker). ``trainer_client.grpo`` is the bundled training script and the
only module that imports torch/TRL; it is not imported from here.
"""

from trainer_client.batch import Item, RewardSpec
from trainer_client.client import AsyncRewardClient, ClientConfig, RewardClient
from trainer_client.errors import (
    ClientError,
    DeadlineExceededError,
    IncompleteGroupError,
    MalformedResponseError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from trainer_client.result import BatchResult, ItemResult
from trainer_client.retry import RetryPolicy
from trainer_client.suite import RewardColumn, RewardSuite, SyncRewardColumn
from trainer_client.verl_score import compute_score, compute_score_batch, compute_score_sync

__all__ = [
    "AsyncRewardClient",
    "BatchResult",
    "ClientConfig",
    "ClientError",
    "DeadlineExceededError",
    "IncompleteGroupError",
    "Item",
    "ItemResult",
    "MalformedResponseError",
    "RequestRejectedError",
    "RetryPolicy",
    "RewardClient",
    "RewardColumn",
    "RewardSpec",
    "RewardSuite",
    "ServiceUnavailableError",
    "SyncRewardColumn",
    "compute_score",
    "compute_score_batch",
    "compute_score_sync",
]

"""Math accuracy: is a completion's final answer equivalent to the reference answer?

``verify`` runs in-process (extract -> guard -> parse -> compare); the pool runs it in worker
processes with deadlines.
"""

from verifiers.math.config import ExtractionMode, MathConfig, PercentPolicy
from verifiers.math.pool import MathPool
from verifiers.math.verdict import MathVerdict, Reason
from verifiers.math.verifier import Explanation, Step, explain, verify

__all__ = [
    "Explanation",
    "ExtractionMode",
    "MathConfig",
    "MathPool",
    "MathVerdict",
    "PercentPolicy",
    "Reason",
    "Step",
    "explain",
    "verify",
]

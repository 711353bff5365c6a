"""Run untrusted model-written programs against tests, contained (bwrap or Docker).

The model: a ``Job`` (one program, its tests, its ``Limits``) goes to a ``Sandbox`` (``make_sandbox``)
and comes back as a ``JobResult`` with one judged ``TestResult`` per test. The runner inside the
sandbox (``sandbox/inside/``: runner, containment, test harness) is stdlib-only and is not imported
here.
"""

from sandbox.backend import Sandbox, SandboxError, SandboxUnavailableError, make_sandbox
from sandbox.extraction import extract_code
from sandbox.job import Comparison, Job, JobFile, Language, Limits, TestCase, TestKind
from sandbox.pool import PoolConfig
from sandbox.result import CompileResult, JobResult, TestResult, Verdict
from sandbox.testsuite import adapt_tests

__all__ = [
    "Comparison",
    "CompileResult",
    "Job",
    "JobFile",
    "JobResult",
    "Language",
    "Limits",
    "PoolConfig",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailableError",
    "TestCase",
    "TestKind",
    "TestResult",
    "Verdict",
    "adapt_tests",
    "extract_code",
    "make_sandbox",
]

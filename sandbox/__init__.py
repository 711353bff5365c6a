"""Run untrusted model-written programs against tests, contained (bwrap or Docker).

The model: a ``Job`` (one program, its tests, its ``Limits``) goes to a ``Sandbox`` (``make_sandbox``)
and comes back as a ``JobResult`` with one judged ``TestResult`` per test. The runner inside the
sandbox (``sandbox/inside/``: runner, containment, test harness) is stdlib-only and is not imported
here.
"""

from sandbox.backend import Sandbox, SandboxError, SandboxUnavailableError, make_sandbox
from sandbox.job import Job, Language, Limits, TestCase, TestKind
from sandbox.result import CompileResult, JobResult, TestResult, Verdict

__all__ = [
    "CompileResult",
    "Job",
    "JobResult",
    "Language",
    "Limits",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailableError",
    "TestCase",
    "TestKind",
    "TestResult",
    "Verdict",
    "make_sandbox",
]

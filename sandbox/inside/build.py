"""Compiled languages in the sandbox: the one C and C++ command lines, the compile step and the
sealed in-memory binary every test runs.

Why apart from the runner's protocol: the host keys its compile cache on exactly these flags
(``hello``), and the runtime root's precompiled ``bits/stdc++.h`` was built with the C++ ones (or
g++ ignores it), so they are stated once, here.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

from . import child_process
from .workspace import purge

__all__ = ["COMPILED", "CPP_FLAGS", "C_FLAGS", "C_LIBS", "compile_program", "sealed_binary"]

CPP_FLAGS = ("-O2", "-std=c++17", "-pipe")
C_FLAGS = ("-O2", "-std=gnu11", "-pipe")
C_LIBS = ("-lm",)
COMPILED = ("cpp", "c")
_MAX_BINARY_BYTES = 32 * 1024 * 1024  # bigger binaries are run but not handed to the host's cache


def sealed_binary(data: bytes) -> int:
    """A read-only in-memory copy of a compiled program (sealed memfd): no test can rewrite the
    binary the next test runs, and it lives in no directory a program can reach."""
    fd = os.memfd_create("main", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        import fcntl

        seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        os.fchmod(fd, 0o500)
    except BaseException:
        os.close(fd)
        raise
    return fd


def compile_program(
    request: dict, language: str, source: str, job_dir: str, limits: dict, spawn: Callable[..., dict]
) -> tuple[dict, int]:
    """Compile ``source`` in ``job_dir`` under the job's compile limits (or take the host's cached
    ``binary_b64``): the compile report and a sealed binary's fd (-1: none). The job dir is left
    empty: tests start from the input files only."""
    cached = request.get("binary_b64")
    if cached:
        fd = sealed_binary(base64.b64decode(cached))
        purge(job_dir)
        return {"ok": True, "time_s": 0.0, "stderr": "", "exit_code": 0, "cached": True}, fd
    is_c = language == "c"
    src = os.path.join(job_dir, "main.c" if is_c else "main.cpp")
    with open(src, "w", encoding="utf-8", errors="surrogatepass") as handle:
        handle.write(source)
    binary = os.path.join(job_dir, "main")
    compiler = ["gcc", *C_FLAGS] if is_c else ["g++", *CPP_FLAGS]
    argv = [*compiler, "-o", binary, src, *(C_LIBS if is_c else ())]
    limits = dict(limits)
    compile_time_s = float(limits["compile_time_s"])
    limits.update(
        cpu_time_s=compile_time_s,
        wall_time_s=compile_time_s * 2,
        memory_mb=int(limits["compile_memory_mb"]),
        stack_mb=min(int(limits["compile_memory_mb"]), 64),
        max_processes=max(int(limits["max_processes"]), 16),
        file_size_mb=max(int(limits["file_size_mb"]), 256),
    )
    raw = spawn(limits, None, lambda: child_process.exec_program(argv), want_marker=False)
    ok = raw["exit_code"] == 0 and raw["signal"] is None and os.path.isfile(binary)
    stderr = raw["stderr"]
    # g++'s cc1plus killed at RLIMIT_CPU: the driver reports it, and the CPU time read back from
    # wait4 may fall a few ticks short of the limit, so the report is what decides
    cpu_out = not ok and "CPU time limit exceeded" in stderr and raw["time_s"] >= 0.8 * compile_time_s
    if raw["timed_out"] or cpu_out:
        stderr = "compilation timed out\n" + stderr
    result = {"ok": ok, "time_s": raw["time_s"], "stderr": stderr[-8192:], "exit_code": raw["exit_code"]}
    fd = -1
    if ok:
        with open(binary, "rb") as handle:
            data = handle.read()
        fd = sealed_binary(data)
        if request.get("return_binary") and len(data) <= _MAX_BINARY_BYTES:
            result["binary_b64"] = base64.b64encode(data).decode("ascii")
    purge(job_dir)  # the source and the binary: tests start from the input files only
    return result, fd

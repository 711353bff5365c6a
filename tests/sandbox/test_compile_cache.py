"""The host's compile cache for C++ (issue 9: GRPO groups repeat programs) and the precompiled
``bits/stdc++.h`` of the runtime root."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sandbox.backend import Sandbox
from sandbox.compile_cache import CompileCache, compile_key
from sandbox.job import Job, Language, Limits, TestCase
from sandbox.result import Verdict
from sandbox.rootfs import find_rootfs

_LIMITS = Limits(cpu_time_s=2.0)
_ADD = "#include <bits/stdc++.h>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n"
_TESTS = (TestCase(stdin="2 3\n", expected_stdout="5\n"), TestCase(stdin="-1 1\n", expected_stdout="0\n"))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("int main(){}", ("-O2",), "root1"), ("int main(){} ", ("-O2",), "root1")),  # source
        (("int main(){}", ("-O2",), "root1"), ("int main(){}", ("-O0",), "root1")),  # flags
        (("int main(){}", ("-O2",), "root1"), ("int main(){}", ("-O2",), "root2")),  # runtime
        (("ab", ("c",), "r"), ("a", ("bc",), "r")),  # no ambiguous concatenation
        (("x", ("-O2", "-g"), "r"), ("x", ("-O2 -g",), "r")),
    ],
)
def test_keys_change_with_everything_that_makes_the_binary(a: tuple, b: tuple) -> None:
    assert compile_key(*a) != compile_key(*b)
    assert compile_key(*a) == compile_key(*a)


def test_cache_is_a_bounded_lru() -> None:
    cache = CompileCache(max_bytes=10)
    cache.put("a", b"12345")
    cache.put("b", b"12345")
    assert cache.get("a") == b"12345"  # a is now the most recent
    cache.put("c", b"1234")
    assert cache.get("b") is None and cache.get("a") == b"12345" and cache.get("c") == b"1234"
    cache.put("huge", b"x" * 11)  # never fits
    assert cache.get("huge") is None
    assert (cache.hits, cache.misses) == (3, 2)
    assert not CompileCache(max_bytes=0).enabled
    with pytest.raises(ValueError):
        CompileCache(max_bytes=-1)


def test_repeated_programs_skip_the_compiler(sandbox_backend: Sandbox) -> None:
    source = _ADD.replace("int main", "/* cache-test */ int main")
    first = sandbox_backend.run(Job(Language.CPP, source, _TESTS, _LIMITS))
    assert first.status is Verdict.ACCEPTED and first.compile.time_s > 0, first
    again = sandbox_backend.run(Job(Language.CPP, source, _TESTS, _LIMITS))
    assert again.status is Verdict.ACCEPTED, again
    assert again.compile.time_s == 0.0  # served from the cache
    # a different source is compiled, and judged on its own binary
    other = source.replace("a+b", "a-b")
    wrong = sandbox_backend.run(Job(Language.CPP, other, _TESTS, _LIMITS))
    assert wrong.compile.time_s > 0 and wrong.status is Verdict.WRONG_ANSWER, wrong


def test_compile_errors_are_not_cached(sandbox_backend: Sandbox) -> None:
    broken = "int main( { /* never compiles */ }\n"
    for _ in range(2):
        result = sandbox_backend.run(Job(Language.CPP, broken, _TESTS, _LIMITS))
        assert result.status is Verdict.COMPILE_ERROR and result.compile.time_s > 0


def test_a_test_cannot_replace_the_binary_the_next_test_runs(sandbox_backend: Sandbox) -> None:
    """The binary runs from a sealed in-memory copy: writing to it, or to any file, changes nothing."""
    source = r"""
#include <cstdio>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
int main() {
    int fd = open("/proc/self/exe", O_WRONLY);
    int wrote = fd >= 0 ? (int)write(fd, "\x7f" "ELF", 4) : -1;
    FILE* out = fopen("main", "w");
    if (out) { fputs("#!/bin/sh\necho 42\n", out); fclose(out); chmod("main", 0755); }
    printf("%d\n", 5);
    return wrote > 0 ? 1 : 0;
}
"""
    tests = tuple(TestCase(expected_stdout="5\n") for _ in range(3))
    for _ in range(2):  # compiled, then from the cache
        result = sandbox_backend.run(Job(Language.CPP, source, tests, _LIMITS))
        assert result.status is Verdict.ACCEPTED, result


def test_the_runtime_root_precompiles_bits_stdcpp() -> None:
    root = find_rootfs()
    if root is None:
        pytest.skip("no built runtime root (scripts/build-sandbox-image)")
    headers = sorted(root.path.glob("usr/include/*/c++/*/bits/stdc++.h"))
    assert headers, "g++'s bits/stdc++.h is missing from the root"
    if not Path(f"{headers[0]}.gch").exists():
        pytest.skip("this root was built before the recipe precompiled bits/stdc++.h: rebuild it")
    # g++ in the root takes it for the runner's exact flags (-H lists a used PCH with "!")
    from sandbox.inside.build import CPP_FLAGS

    used = subprocess.run(
        ["chroot", str(root.path), "g++", *CPP_FLAGS, "-H", "-fsyntax-only", "-x", "c++", "-"],
        input=b"#include <bits/stdc++.h>\nint main(){}\n",
        capture_output=True,
        check=False,
    )
    if used.returncode != 0 and b"chroot" in used.stderr:
        pytest.skip(f"cannot chroot here: {used.stderr[-200:]!r}")
    assert b"! " in used.stderr and b"stdc++.h.gch" in used.stderr, used.stderr[-500:]

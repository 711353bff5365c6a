"""The program's side of a Python test, in the forked and contained child (``child_process``).

Why apart from containment: this is where the untrusted program runs and is called, and nothing
here is trusted with a verdict. ``call``: the entry point's value goes back to the runner in a
nonce-marked report on fd 3 and is compared on the host. ``assert``: the test code is not here at
all (``harness``); the program only answers the harness's calls (``program_server``).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import sys
import traceback
from typing import Any

from . import entry_point as entry_points
from . import program_server
from .child_process import MEMORY_EXIT_CODE, flush_and_exit

__all__ = ["python_child"]


def _jsonable(value):
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"return value of type {type(value).__name__} is not JSON")


def python_child(
    source: str, kind: str, entry_point: str, args_json: str, nonce: str, message_limit_bytes: int = 0
) -> None:
    """Run the program in this forked child, then its test; report through fd 3, then exit.

    ``call``: the entry point (a restricted dotted name, never ``eval``-ed) is called with the
    arguments and its value goes back in the marker on fd 3; the host compares it. ``assert``: fd 3
    is the channel to the trusted harness (``inside.harness``), which holds the test code; this
    child only answers its calls (``inside.program_server``) and never sees the test, in messages
    of at most ``message_limit_bytes`` (the job's ``Limits.message_limit_bytes``; assert only).
    """
    sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.argv = ["solution.py"]
    sys.setrecursionlimit(10000)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    marker: dict = {"nonce": nonce}
    exit_code = 0
    try:
        exec(compile(source, "solution.py", "exec"), namespace)
        if kind == "call":
            function: Any = entry_points.resolve_entry_point(entry_point, namespace)
            arguments = json.loads(args_json)
            value = function(**arguments) if isinstance(arguments, dict) else function(*arguments)
            marker["value_json"] = json.dumps(value, default=_jsonable)
            marker["done"] = True
        elif kind == "assert":
            program_server.serve(namespace, 3, message_limit_bytes)
    except SystemExit as exc:
        if exc.code is None or exc.code == 0:
            exit_code = 0
        elif isinstance(exc.code, int):
            exit_code = exc.code & 0xFF or 1
        else:
            print(exc.code, file=sys.stderr)
            exit_code = 1
    except MemoryError:
        marker = {"nonce": nonce, "memory": True}
        exit_code = MEMORY_EXIT_CODE
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
        marker = {"nonce": nonce, "error": type(exc).__name__}
        exit_code = 1
        if kind == "assert":
            program_server.fatal(3, exc)
    if kind == "call":
        try:
            data = json.dumps(marker).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(3, view) :]
        except BaseException:
            pass
    flush_and_exit(exit_code)

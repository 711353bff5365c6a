"""Security-critical code that runs inside the sandbox, standard library only.

Why a package of its own: everything here runs next to the untrusted program (under the sandbox's
``python3``, not the service's virtualenv), and parts of it are trusted to decide verdicts. Keeping
it small, stdlib-only (``tests/sandbox/test_inside.py`` checks the imports) and apart from the host
code makes it auditable. The modules import each other relatively, so the package works both as
``sandbox.inside`` on the host and as ``inside`` next to the runner in the sandbox.

- ``runner``: the warm runner's protocol (started as a script, ``python3 -I inside/runner.py``).
- ``child_process``: containment: fork, rlimits, watch, kill, SysV IPC; the sandbox environment.
- ``workspace``: the instance's writable places, restored before and wiped after every test.
- ``build``: the C/C++ command lines and compile step, the sealed binary.
- ``python_program``: the program's side of a Python test, in the contained child.
- ``verdict``: one test's report from what its process did (and the harness's verdict).
- ``entry_point``: a test's ``fn_name`` (``f``, ``Solution().twoSum``) parsed as a restricted
  dotted name and resolved without ``eval``.
- ``codec``: plain values (and dataset node classes such as ``ListNode``) as JSON data.
- ``channel``: length-capped JSON messages over a socket.
- ``program_server``: the untrusted side of an assert-style test, serving calls.
- ``harness``: the trusted side: runs the test code in a process the program cannot reach.
- ``link``: the harness's end of the channel; the program's objects as opaque handles.
"""

from .entry_point import EntryPointError, parse_entry_point

__all__ = ["EntryPointError", "parse_entry_point"]

"""Security-critical code that runs inside the sandbox, standard library only.

Why a package of its own: everything here runs next to the untrusted program (under the sandbox's
``python3``, not the service's virtualenv), and parts of it are trusted to decide verdicts. Keeping
it small, stdlib-only (``tests/sandbox/test_inside.py`` checks the imports) and apart from the host
code makes it auditable. The modules import each other relatively, so the package works both as
``sandbox.inside`` on the host and as ``inside`` next to the runner in the sandbox.

- ``entry_point``: a test's ``fn_name`` (``f``, ``Solution().twoSum``) parsed as a restricted
  dotted name and resolved without ``eval``.
- ``codec``: plain values (and dataset node classes such as ``ListNode``) as JSON data.
- ``channel``: length-capped JSON messages over a socket.
- ``program_server``: the untrusted side of an assert-style test, serving calls.
- ``harness``: the trusted side: runs the test code in a process the program cannot reach.
"""

from .entry_point import EntryPointError, parse_entry_point

__all__ = ["EntryPointError", "parse_entry_point"]

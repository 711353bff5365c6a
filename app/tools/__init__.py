"""The operator's tools behind the ``arbiter`` CLI: score runs over datasets, data checks,
reports, the reference generator and the audit against Math-Verify.

Why a package of their own: they are for the person running Arbiter, not for trainers calling
the API, so neither the HTTP layer nor the worker imports them (``tests/test_layering.py``).
"""

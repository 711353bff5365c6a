"""The HTTP API: the app factory (``application.create_app``), one router module per endpoint
family (``routes/``), the request and answer models (``schemas``, ``responses``), the request gate
(limits and auth before the body is read), the error table, the OpenAPI document and the server.

Why a package: it is the only part of ``app`` that knows HTTP. The worker never imports it, and
it never imports the operator tools (``app.tools``); both are checked by ``tests/test_layering.py``.
"""

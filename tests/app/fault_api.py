"""An API server subprocess for the end-to-end job fault tests: the real app under uvicorn, with
settings from the environment (``ARBITER_*``) and the API tests' registry (``sleepy`` reward), so
a test can kill it (-9 or SIGTERM) with jobs in flight and start another.

Usage: python -m tests.app.fault_api PORT
"""

from __future__ import annotations

import sys

import uvicorn

from app.http.application import create_app
from app.service import Components
from app.settings import Settings
from tests.app.conftest import CallLog, UnusedMath, make_code_backend, make_test_registry


def main() -> None:
    port = int(sys.argv[1])
    app = create_app(
        Settings(),
        Components(registry=make_test_registry(CallLog()), math=UnusedMath(), code=make_code_backend()),
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()

"""``python -m app.worker ARGS`` is ``arbiter worker ARGS``: one command, one set of flags."""

import sys

from app.worker.process import main

sys.exit(main())

"""``python -m scripts.governance.register``: the register job (``mlgov register``)."""

import sys

from .job import main

sys.exit(main())

"""``python -m scripts.governance.report``: the report job (``mlgov report``)."""

import sys

from .job import main

sys.exit(main())

"""``python -m scripts.governance.promote``: the promote job (see the package docstring)."""

import sys

from .job import main

sys.exit(main())

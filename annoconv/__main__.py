"""``python -m annoconv``: the same as the ``annoconv`` command."""

import sys

from .cli import main

sys.exit(main())

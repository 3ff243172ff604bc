"""``python -m harness``: the same program as the ``harness`` console script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m conformance`` is ``rtconform``."""

import sys

from conformance.cli import main

sys.exit(main())

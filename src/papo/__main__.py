"""Allow ``python -m papo``."""

import sys

from papo.cli import main

sys.exit(main())

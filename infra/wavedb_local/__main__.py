"""Entry point of `python -m wavedb_local`."""

import sys

from wavedb_local.cli import main

sys.exit(main())

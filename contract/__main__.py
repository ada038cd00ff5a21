"""``python -m contract``: the same command line as the ``contract`` console script."""
import sys

from contract.tools.cli import main

sys.exit(main())

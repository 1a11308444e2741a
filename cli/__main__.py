"""``python -m cli ...``: the ``moderation`` command."""

import sys

from cli.main import main

sys.exit(main())

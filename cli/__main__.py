"""``python -m moderation.cli ...``: the ``moderation`` command."""

import sys

from moderation.cli.main import main

sys.exit(main())

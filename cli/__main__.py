"""``python -m cli ...``: the ``moderator`` command."""

import sys

from cli.main import main

sys.exit(main())

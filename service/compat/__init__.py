"""Drop-in endpoints for clients written for other services: Perspective, Coral Talk, Akismet.

Each module holds one blueprint; each speaks its original's request and answer
shapes (errors included) and maps them onto ``service.actions``.
The contracts and the mapping are described in ``docs/COMPATIBILITY.md``.
"""

from __future__ import annotations

from . import akismet, coral, perspective

BLUEPRINTS = (perspective.bp, coral.bp, akismet.bp)

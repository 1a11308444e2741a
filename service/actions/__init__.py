"""What the service does, written once: every state change and the reads around it.

The API (``service/api``), the console, the drop-in endpoints and the CLI call
these functions; none of them talks to the store on its own, for a change or a
read.
Actions know nothing of HTTP: they take a ``Services`` (``context.py``) and
plain values, and raise ``errors.ActionError`` subclasses or the store's
``StoreUnavailable``, which ``service/errors.py`` maps to the one JSON error
shape.

- ``comments``: submit, assess, view, decide, undo
- ``users``: view, ban / unban / reset (``change``)
- ``queue``: pending, claim, depth, the dashboard's activity, audit log with filters
- ``admin``: API keys, the site policy, integrations' settings
- ``access``: who an API key is (cached), console sessions
- ``shadow``, ``health``: the shadow model's comparisons, the store's readiness
- ``labels``: training labels from decisions and feedback
"""

"""The moderation HTTP service (see service/app.py) and the ``moderator`` command line."""

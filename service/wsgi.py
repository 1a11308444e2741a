"""WSGI entry point for gunicorn: ``gunicorn -c service/gunicorn_conf.py service.wsgi:app``."""

from moderation.service import create_app

app = create_app()

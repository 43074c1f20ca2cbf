"""WSGI entry point for gunicorn: ``gunicorn tvapp.wsgi:app``."""

from tvapp import create_app

app = create_app()

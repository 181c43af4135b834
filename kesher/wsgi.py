"""WSGI entry point (gunicorn kesher.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesher.settings")
application = get_wsgi_application()

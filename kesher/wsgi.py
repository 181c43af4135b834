"""WSGI entry point (gunicorn kesher.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesher.settings")
application = get_wsgi_application()

try:
    # gunicorn names itself in a Server header it always sends and offers no setting for it;
    # its response class reads this module global (issue 24 item 8: no "Server: gunicorn").
    from gunicorn.http import wsgi as gunicorn_wsgi

    gunicorn_wsgi.SERVER = "Kesher"
except ImportError:  # another WSGI server
    pass

"""The ASGI application of the screen pops' event stream (decision 0080):
``gunicorn kesher.telephony.asgi -k asgi``, started by ``manage.py serve`` beside the WSGI web
workers. It serves Kesher's URLs, but only ``/telephony/stream/`` is sent to it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesher.settings")
application = get_asgi_application()

"""``/healthz``: is the database answering and is the task worker ticking?"""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from kesher.platform.models import WorkerHeartbeat


def healthz(request):
    status = {"database": "ok", "worker": "ok"}
    code = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = WorkerHeartbeat.objects.filter(name="tick").first()
    except Exception:  # the point of a health check is to report any failure, not raise it
        return JsonResponse({"database": "unavailable", "worker": "unknown"}, status=503)
    # Three ticks missed, but never under three minutes: a lone worker busy with a long task
    # (an import's batch) cannot tick meanwhile, and is not dead for it.
    stale_after = timedelta(seconds=max(settings.KESHER_TICK_SECONDS * 3, 180))
    if beat is None:
        status["worker"] = "never seen"
        code = 503
    elif timezone.now() - beat.last_seen > stale_after:
        status["worker"] = "stale"
        code = 503
    if beat is not None:
        status["worker_last_seen"] = beat.last_seen.isoformat()
    return JsonResponse(status, status=code)

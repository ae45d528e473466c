"""`manage.py serve`: HTTP and WebSocket from this one process (uvicorn on the ASGI app).

What `scripts/run` starts: with the default settings (no `REDIS_URL`) the channel layer is
in memory and jobs run eagerly in the process, so live events and background jobs work with
nothing else installed. Production runs gunicorn with uvicorn workers instead (README).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the API, the admin and live events (ASGI, uvicorn) in this process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        import uvicorn

        uvicorn.run(
            "workshop.asgi:application",
            host=host,
            port=port,
            # The app's own logging (JSON or console lines): uvicorn's lines go through it.
            log_config=None,
            # One JSON line per request comes from the app (workshop.middleware).
            access_log=False,
            # X-Forwarded-For is read by the app only, as TRUSTED_PROXY_HOPS allows.
            proxy_headers=False,
            server_header=False,
            lifespan="off",
        )

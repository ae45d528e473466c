"""The ASGI entry point: HTTP and WebSocket in one server process (SPEC §5).

    gunicorn workshop.asgi:application -k uvicorn_worker.UvicornWorker   (production, the image)
    python -m uvicorn workshop.asgi:application                            (scripts/run)

HTTP goes to Django (the same middleware and views as under WSGI, which stays valid for
HTTP-only deployments: workshop.wsgi), behind `BodyLimitMiddleware`, which gives a chunked
body its length under the caps as gunicorn's sync workers get it from
`ChunkedBodyMiddleware`. WebSockets go to the live-events consumer (`/ws/v1/events`).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")

import django  # noqa: E402

# Django is set up before anything imports models (the consumers do).
django.setup(set_prefix=False)

from workshop.middleware import SyncChainASGIHandler  # noqa: E402

# Django's ASGI handler, with its middleware chain run as one sync call (see the class).
django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from workshop.middleware import BodyLimitMiddleware  # noqa: E402
from workshop.websocket import websocket_application  # noqa: E402


def http_application():
    app = django_asgi_app
    if settings.DEBUG:
        # Development (scripts/run): static files (admin, Swagger UI) as runserver serves
        # them; production serves them with WhiteNoise's middleware.
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        app = ASGIStaticFilesHandler(app)
    return BodyLimitMiddleware(app)


application = ProtocolTypeRouter({"http": http_application(), "websocket": websocket_application()})

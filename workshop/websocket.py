"""The WebSocket side of the ASGI application (`workshop.asgi`): live events at
`/ws/v1/events` (SPEC §5, docs/events.md).

Clients send a ticket (`POST /api/v1/auth/ws-ticket`) in the query string; same-origin
browsers may use their Django session instead, which the consumer reads from the cookie itself
(no AuthMiddlewareStack: its session wrapper would sit on every message a socket sends). Any
other path is refused before the handshake completes (HTTP 403).
"""

from __future__ import annotations

websocket_urlpatterns: list = []


def websocket_application():
    from channels.routing import URLRouter
    from channels.security.websocket import WebsocketDenier
    from django.urls import re_path

    from workshop.events.consumer import EventsConsumer

    websocket_urlpatterns[:] = [
        re_path(r"^ws/v1/events/?$", EventsConsumer.as_asgi()),
        re_path(r"", WebsocketDenier.as_asgi()),
    ]
    return URLRouter(websocket_urlpatterns)

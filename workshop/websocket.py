"""The WebSocket side of the ASGI application (`workshop.asgi`): live events at
`/ws/v1/events` (SPEC §5)."""

from __future__ import annotations

websocket_urlpatterns: list = []


def websocket_application():
    from channels.routing import URLRouter

    return URLRouter(websocket_urlpatterns)

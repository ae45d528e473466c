"""The app's URLs plus two views that fail, for the server test_sentry.py starts.

`/api/v1/boom/` is a DRF view (JWT, any logged-in user) that holds the user's name and email
and the request body in its locals, then fails: the app's error handler answers the 500.
`/boom-page` is a plain Django view outside the API's paths: Django answers that 500.
"""

from django.http import HttpResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from workshop.urls import urlpatterns as app_urlpatterns


class BoomView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        username, email, body = request.user.username, request.user.email, dict(request.data)
        if username and email and body:
            raise RuntimeError("the view failed")
        return HttpResponse("unreachable")


def boom_page(request):
    user = request.user  # noqa: F841 - in the frame, as a real view's state would be
    raise ValueError("the page failed")


# First: the app's URLs end with a catch-all for /api/.
urlpatterns = [path("api/v1/boom/", BoomView.as_view()), path("boom-page", boom_page), *app_urlpatterns]

from django.urls import re_path

from machines.views import ImportTemplateViewSet, MachineViewSet, WorkshopEntryViewSet


def register(router) -> None:
    """Adds this app's resources to the API router."""
    router.register("machines", MachineViewSet, basename="machine")
    router.register("templates", ImportTemplateViewSet, basename="importtemplate")
    router.register("entries", WorkshopEntryViewSet, basename="workshopentry")


# Under /api/v1/: the prototype's URL for a template upload, kept for existing clients.
api_urlpatterns = [
    re_path(
        r"^upload/(?P<pk>[0-9]+)/?$",
        ImportTemplateViewSet.as_view({"post": "upload"}, **ImportTemplateViewSet.upload.kwargs),
        name="template-upload-legacy",
    ),
]

from workshop.webhooks.views import EndpointViewSet


def register(router) -> None:
    router.register("webhooks", EndpointViewSet, basename="webhook")

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkshopConfig(AppConfig):
    name = "workshop"
    verbose_name = "Weldshop core"

    def ready(self) -> None:
        from workshop.roles import sync_roles_after_migrate

        # After every migrate (and test-database flush): the role groups hold exactly the
        # permissions workshop/roles.py lists, for every model there is.
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="workshop.sync_roles")

        from workshop.events.capture import connect as connect_live_events

        # Live events: every routed resource's saves and deletes (workshop/events/capture.py).
        connect_live_events()

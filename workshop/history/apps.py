from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """History of every record: the users' history table, the feed, retention."""

    name = "workshop.history"
    label = "history"
    verbose_name = "History"

    def ready(self) -> None:
        from workshop.history import users

        users.connect()

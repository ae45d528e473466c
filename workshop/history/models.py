"""The users' history table (the domain apps keep theirs next to their models)."""

from django.contrib.auth.models import User

from workshop.history.users import USER_TRACKED, UserHistoricalRecords, UserRoleBase

# simple_history.register(), with the historical model in this app (register's `app=` would
# name a module "history.models", which no app holds).
records = UserHistoricalRecords(
    excluded_fields=[f.name for f in User._meta.concrete_fields if f.name not in USER_TRACKED],
    bases=[UserRoleBase],
)
records.manager_name = "history"
records.table_name = None
records.module = __name__
records.cls = User
records.add_extra_methods(User)
records.finalize(User)

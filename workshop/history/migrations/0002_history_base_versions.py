"""Existing users get a base version (`+`) of their username, active flag and role."""

from django.db import migrations

from workshop.history.migration import BASE_REASON, BATCH

ROLES = ("admin", "manager", "operator", "viewer")


def forward(apps, schema_editor) -> None:
    from django.utils import timezone

    User = apps.get_model("auth", "User")
    HistoricalUser = apps.get_model("history", "HistoricalUser")
    now = timezone.now()
    roles = {}
    for user_id, name in User.groups.through.objects.filter(group__name__in=ROLES).values_list(
        "user_id", "group__name"
    ):
        if roles.get(user_id) is None or ROLES.index(name) < ROLES.index(roles[user_id]):
            roles[user_id] = name
    rows = [
        HistoricalUser(
            id=user.pk,
            username=user.username,
            is_active=user.is_active,
            role="admin" if user.is_superuser else roles.get(user.pk),
            history_date=now,
            history_type="+",
            history_change_reason=BASE_REASON,
            history_user_id=None,
            history_source="command",
            history_request_id=None,
        )
        for user in User.objects.exclude(pk__in=HistoricalUser.objects.values("id")).iterator()
    ]
    HistoricalUser.objects.bulk_create(rows, batch_size=BATCH)


def backward(apps, schema_editor) -> None:
    apps.get_model("history", "HistoricalUser").objects.filter(history_change_reason=BASE_REASON).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0001_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("workshop", "0001_create_roles"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]

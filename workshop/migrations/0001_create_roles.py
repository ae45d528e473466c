"""Data migration: the four role groups (admin, manager, operator, viewer) with their
permissions from workshop/roles.py. The post_migrate sync keeps them right afterwards."""

from django.db import migrations

ROLE_NAMES = ("admin", "manager", "operator", "viewer")


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from workshop.roles import sync_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    sync_roles(using=schema_editor.connection.alias, apps=apps, strict=False)


def delete_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("staff", "0002_role_permissions"),
        ("workorders", "0002_role_permissions"),
        ("machines", "0001_initial"),
        ("equipment", "0002_role_permissions"),
        ("inspections", "0002_role_permissions"),
        ("inventory", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]

"""`manage.py create_user --role operator --username ana [--email …] [--employee-id EMP-01]`

For scripts: the password comes from `--password`, else `WELDSHOP_PASSWORD`, else a prompt.
It is checked by Django's password validators. (In the staff app: it links the user to an
employee through the staff app's `user_create`.)"""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from staff.models import Employee
from staff.services import user_create
from workshop.roles import ROLES


class Command(BaseCommand):
    help = "Create a login user with a role (admin, manager, operator, viewer)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", help="Prefer WELDSHOP_PASSWORD or the prompt: arguments show in `ps`."
        )
        parser.add_argument("--employee-id", help="Link the user to this employee (e.g. EMP-01).")

    def handle(self, *args, **options):
        username = options["username"]
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        employee = None
        if options["employee_id"]:
            employee = Employee.objects.filter(employee_id=options["employee_id"]).first()
            if employee is None:
                raise CommandError(f"No employee {options['employee_id']!r}.")
            if employee.user_id is not None:
                raise CommandError(f"Employee {employee.employee_id} is linked to another user.")
        password = options["password"] or os.environ.get("WELDSHOP_PASSWORD")
        if not password:
            if not options.get("interactive", True) or not self.stdin_is_tty():
                raise CommandError("Give a password with --password or WELDSHOP_PASSWORD.")
            password = getpass.getpass("Password: ")
        try:
            validate_password(password, get_user_model()(username=username, email=options["email"]))
        except ValidationError as exc:
            raise CommandError("Password rejected: " + " ".join(exc.messages)) from exc
        user = user_create(
            username=username,
            password=password,
            role=options["role"],
            email=options["email"],
            employee=employee,
        )
        self.stdout.write(self.style.SUCCESS(f"Created {options['role']} {user.username!r} (id {user.pk})."))

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()

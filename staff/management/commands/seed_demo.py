"""`manage.py seed_demo` — the shop's five Excel files (kept in workshop/demo/), the welding
demo's workbooks (WPS, lots, qualifications, welds, calibrations, weld log, the welds'
inspections: staff/demo_welding.py,
dated relative to today) and, in development mode, one demo login per role. `--history` adds a made-up year of work orders,
inspections, stock movements and equipment (staff/demo_history.py), so that trends show.

The files load in the order personnel, equipment, inventory, work orders, QC logs, through
the same import as the API; a file already imported (same content) is skipped, so running
it again changes nothing. Demo users get a fresh random password each run, printed once.

It lives in the staff app, not with the core's commands: its logins are staff's (users
through `user_create`, the demo operator linked to the welder EMP-01), and the core imports
no domain app. The data goes through the core's import service by resource name."""

import hashlib
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

import workshop
from staff import demo_welding
from staff.demo_history import load_history
from staff.models import Employee
from staff.services import user_create
from workshop.errors import DomainError, Rejected
from workshop.imports.models import ExcelImport, ImportStatus
from workshop.imports.service import ImportRun, store_import
from workshop.roles import ROLES, set_user_role

DEMO_DIR = Path(workshop.__file__).resolve().parent / "demo"
DEMO_FILES = [
    ("employees", "03_Personnel.xlsx"),
    ("equipment", "05_Equipment.xlsx"),
    ("items", "02_Inventory.xlsx"),
    ("workorders", "01_WorkOrders.xlsx"),
    ("inspections", "04_QC_Logs.xlsx"),
]
# The demo operator is the welder John Doe, so "work orders assigned to me" shows.
OPERATOR_EMPLOYEE = "EMP-01"


class Command(BaseCommand):
    help = (
        "Load the shop's five Excel files, the welding demo's workbooks and (in development) one demo "
        "user per role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-users", action="store_true", help="Only the data, no demo users.")
        parser.add_argument(
            "--history",
            action="store_true",
            help="Also spread made-up work orders, inspections, stock movements and equipment over "
            "the last 12 months (once; skipped when already loaded).",
        )

    def handle(self, *args, no_users, history=False, **options):
        for resource, filename in DEMO_FILES:
            self.load(resource, DEMO_DIR / filename)
        for resource, filename, data in demo_welding.workbooks():
            self.load(resource, DEMO_DIR / filename, data=data, once_by_name=True)
        if history:
            self.history()
        if no_users:
            return
        if not settings.DEBUG:
            raise CommandError("Demo users are for development only (DJANGO_DEBUG=true); use --no-users.")
        self.stdout.write("\nDemo logins (new passwords each run):")
        for role in ROLES:
            password = self.demo_user(role)
            self.stdout.write(f"  {role:<9} {role} / {password}")
        self.stdout.write("")

    def load(
        self, resource: str, path: Path, *, data: bytes | None = None, once_by_name: bool = False
    ) -> None:
        """Import one file (`data`: a workbook built here, named `path.name`), unless it was
        imported before: the same content, or (`once_by_name`: the welding demo, whose dates
        move with the day) a file of that name into that resource."""
        data = path.read_bytes() if data is None else data
        digest = hashlib.sha256(data).hexdigest()
        done = (
            ExcelImport.objects.filter(resource=resource, status=ImportStatus.SUCCEEDED, dry_run=False)
            .filter(**({"filename": path.name} if once_by_name else {"content_hash": digest}))
            .exists()
        )
        if done:
            self.stdout.write(f"{path.name}: already loaded")
            return
        try:
            record = store_import(upload=data, filename=path.name, run=ImportRun(resource=resource))
        except DomainError as exc:  # a refused file (with its row errors), the storage down …
            for problem in (exc.errors if isinstance(exc, Rejected) else None) or []:
                self.stderr.write(f"  row {problem['row']}, {problem['column']}: {problem['message']}")
            raise CommandError(f"{path.name}: {exc.detail}") from exc
        self.stdout.write(f"{path.name}: {record.rows_created} new, {record.rows_updated} updated")

    def history(self) -> None:
        counts = load_history()
        if counts is None:
            self.stdout.write("History of the last 12 months: already loaded")
            return
        self.stdout.write(
            f"History of the last 12 months: {counts.work_orders} work orders ({counts.completed} "
            f"completed), {counts.inspections} inspections, {counts.movements} stock movements of "
            f"{counts.items} items, {counts.equipment} equipment"
        )

    @transaction.atomic
    def demo_user(self, role: str) -> str:
        password = secrets.token_urlsafe(12)
        User = get_user_model()
        user = User.objects.filter(username=role).first()
        employee = Employee.objects.filter(employee_id=OPERATOR_EMPLOYEE, user__isnull=True).first()
        if user is None:
            user_create(
                username=role,
                password=password,
                role=role,
                email=f"{role}@example.com",
                employee=employee if role == "operator" else None,
            )
        else:
            user.set_password(password)
            user.is_active = True
            set_user_role(user, role)
            user.save()
        return password

"""Management commands around imports: scheduled imports, cleanup, import_excel, seed_demo."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from equipment.models import Equipment
from inspections.models import Inspection
from machines.models import WorkshopEntry
from staff.models import Employee
from tests.factories import ExcelImportFactory, ImportScheduleFactory, ImportTemplateFactory
from tests.workbooks import workbook_bytes
from tests.workshop.logs import rendered_log_lines
from workorders.models import WorkOrder
from workshop.imports.models import ExcelImport
from workshop.management.commands.run_scheduled_imports import is_due

DEMO = Path(__file__).resolve().parents[2] / "workshop" / "demo"


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_DROP_DIR = tmp_path / "drop"
    settings.IMPORT_DROP_DIR.mkdir()


def drop(settings, name: str, rows: list[list]) -> None:
    data = workbook_bytes(rows)
    if settings.STORAGE_BACKEND == "s3":
        if default_storage.exists(f"{settings.IMPORT_DROP_PREFIX}{name}"):
            default_storage.delete(f"{settings.IMPORT_DROP_PREFIX}{name}")
        default_storage.save(f"{settings.IMPORT_DROP_PREFIX}{name}", ContentFile(data))
    else:
        (settings.IMPORT_DROP_DIR / name).write_bytes(data)


def due_schedule(**kwargs):
    now = timezone.localtime()
    earlier = now - dt.timedelta(minutes=1)
    template = ImportTemplateFactory(mapping={"Date": "date", "Wire": "wire"})
    return ImportScheduleFactory(template=template, hour=earlier.hour, minute=earlier.minute, **kwargs)


@pytest.mark.django_db
class TestScheduledImports:
    def test_due_logic(self):
        schedule = ImportScheduleFactory.build(hour=6, minute=30, last_run_at=None)
        at = timezone.make_aware(dt.datetime(2026, 1, 5, 6, 29))
        assert not is_due(schedule, at)
        assert is_due(schedule, at + dt.timedelta(minutes=1))
        schedule.last_run_at = at + dt.timedelta(minutes=1)
        assert not is_due(schedule, at + dt.timedelta(hours=5))
        assert is_due(schedule, at + dt.timedelta(days=1, minutes=1))

    def test_runs_once_and_never_imports_the_same_content_twice(self, settings):
        schedule = due_schedule(source=f"robot-{timezone.now().timestamp()}.xlsx")
        drop(settings, schedule.source, [["Date", "Wire"], ["2025-01-01", 1], ["2025-01-02", 2]])
        call_command("run_scheduled_imports")
        schedule.refresh_from_db()
        assert schedule.last_status == "succeeded" and schedule.last_run_at is not None
        assert WorkshopEntry.objects.count() == 2
        record = ExcelImport.objects.get()
        assert record.template_id == schedule.template_id and record.rows_created == 2
        call_command("run_scheduled_imports")  # same minute: not due again
        assert ExcelImport.objects.count() == 1
        schedule.last_run_at = timezone.now() - dt.timedelta(days=1)
        schedule.save()
        call_command("run_scheduled_imports")  # due again, same content: skipped
        assert WorkshopEntry.objects.count() == 2 and ExcelImport.objects.count() == 1
        drop(settings, schedule.source, [["Date", "Wire"], ["2025-01-03", 3]])
        schedule.last_run_at = timezone.now() - dt.timedelta(days=1)
        schedule.save()
        call_command("run_scheduled_imports")  # new content: imported
        assert WorkshopEntry.objects.count() == 3 and ExcelImport.objects.count() == 2

    def test_missing_file_records_a_failed_run(self, capsys):
        schedule = due_schedule(source="nothing-here.xlsx")
        call_command("run_scheduled_imports")
        schedule.refresh_from_db()
        assert schedule.last_status == "failed"
        record = ExcelImport.objects.get()
        assert record.status == "failed" and "No file" in record.errors[0]["message"]
        assert not WorkshopEntry.objects.exists()

    def test_it_speaks_in_log_lines_only(self, caplog, capsys):
        due_schedule(source="nothing-here.xlsx")
        with caplog.at_level("INFO"):
            call_command("run_scheduled_imports")
        out = capsys.readouterr()
        assert out.out == "" and out.err == ""  # no plain text beside the JSON log
        events = {line["event"]: line for line in rendered_log_lines(caplog)}
        assert events["schedule.failed"]["source"] == "nothing-here.xlsx"
        assert events["schedules.finished"]["ran"] == 1
        call_command("run_scheduled_imports", verbosity=2)
        assert "Ran 0 schedule(s)." in capsys.readouterr().out

    def test_bad_content_records_a_failed_run_with_row_errors(self, settings):
        schedule = due_schedule(source="wrong-columns.xlsx")
        drop(settings, schedule.source, [["Something"], ["x"]])
        call_command("run_scheduled_imports")
        record = ExcelImport.objects.get()
        assert record.status == "failed" and record.errors[0]["column"] in ("Date", "Wire")
        assert not WorkshopEntry.objects.exists()

    def test_inactive_and_not_yet_due_schedules_do_not_run(self):
        due_schedule(source="a.xlsx", active=False)
        later = timezone.localtime() + dt.timedelta(hours=1)
        if later.date() == timezone.localdate():
            ImportScheduleFactory(hour=later.hour, minute=later.minute, source="b.xlsx")
        call_command("run_scheduled_imports")
        assert not ExcelImport.objects.exists()

    def test_source_outside_the_drop_folder_is_refused(self, settings, tmp_path):
        if settings.STORAGE_BACKEND == "s3":
            pytest.skip("symlinks exist only in local storage")
        secret = tmp_path / "secret.xlsx"
        secret.write_bytes(workbook_bytes([["Date", "Wire"], ["x", 1]]))
        (settings.IMPORT_DROP_DIR / "link.xlsx").symlink_to(secret)
        schedule = due_schedule(source="link.xlsx")
        call_command("run_scheduled_imports")
        schedule.refresh_from_db()
        assert schedule.last_status == "failed" and not WorkshopEntry.objects.exists()


@pytest.fixture
def command_at(monkeypatch):
    """`command_at(minutes, *args)`: call_command with Django's clock that many minutes ahead."""
    real_now = timezone.now

    def run(minutes: int, *args, **kwargs):
        monkeypatch.setattr(timezone, "now", lambda: real_now() + dt.timedelta(minutes=minutes))
        try:
            return call_command(*args, **kwargs)
        finally:
            monkeypatch.setattr(timezone, "now", real_now)

    return run


@pytest.mark.django_db
class TestCleanupUploads:
    def test_old_files_and_orphans_go_recent_ones_stay(self, command_at):
        old = ExcelImportFactory(file=ContentFile(b"old", name="old.xlsx"))
        ExcelImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
        recent = ExcelImportFactory(file=ContentFile(b"new", name="new.xlsx"))
        orphan = default_storage.save("imports/2020/01/orphan.xlsx", ContentFile(b"orphan"))
        old_name = old.file.name
        call_command("cleanup_uploads", "--older-than-days", "30", "--dry-run")
        assert default_storage.exists(old_name)
        call_command("cleanup_uploads", "--older-than-days", "0")
        old.refresh_from_db()
        assert not old.file and not default_storage.exists(old_name)
        assert default_storage.exists(orphan)  # minutes old: maybe an upload in flight
        command_at(2, "cleanup_uploads", "--older-than-days", "0", "--orphan-grace-minutes", "1")
        assert not default_storage.exists(orphan)
        recent.refresh_from_db()
        assert not recent.file  # older than 0 days
        assert ExcelImport.objects.count() == 2  # records stay

    def test_a_crashs_orphan_goes_after_an_hour_whatever_the_days(self, command_at):
        kept = ExcelImportFactory(file=ContentFile(b"kept", name="kept.xlsx"))
        orphan = default_storage.save("imports/2025/11/crash.xlsx", ContentFile(b"half an upload"))
        command_at(59, "cleanup_uploads", "--older-than-days", "365")
        assert default_storage.exists(orphan)
        command_at(61, "cleanup_uploads", "--older-than-days", "365")
        assert not default_storage.exists(orphan) and default_storage.exists(kept.file.name)

    def test_negative_days_is_refused(self):
        with pytest.raises(CommandError):
            call_command("cleanup_uploads", "--older-than-days", "-1")


@pytest.mark.django_db
class TestImportExcelCommand:
    def test_imports_a_file_and_reports(self, capsys, tmp_path):
        call_command("import_excel", "employees", str(DEMO / "03_Personnel.xlsx"))
        assert Employee.objects.count() == 3
        assert "Imported 3 rows" in capsys.readouterr().out
        call_command("import_excel", "employees", str(DEMO / "03_Personnel.xlsx"), "--dry-run")
        assert "Checked 3 rows from 03_Personnel.xlsx: 0 new, 0 updated" in capsys.readouterr().out

    def test_template_target(self, tmp_path):
        template = ImportTemplateFactory(mapping={"Date": "date"})
        path = tmp_path / "log.xlsx"
        path.write_bytes(workbook_bytes([["Date"], ["2025-01-01"]]))
        call_command("import_excel", f"template:{template.pk}", str(path))
        assert WorkshopEntry.objects.get().data == {"date": "2025-01-01"}

    @pytest.mark.parametrize(
        "args,message",
        [
            (["nothing", "x.xlsx"], "Unknown resource"),
            (["template:999", "{demo}"], "No template"),
            (["employees", "/no/such/file.xlsx"], "No file"),
            (["workorders", "{demo}"], "problem"),  # welders unknown: nothing imported
        ],
    )
    def test_refusals(self, args, message, tmp_path):
        real = tmp_path / "x.xlsx"
        shutil.copy(DEMO / "01_WorkOrders.xlsx", real)
        args = [a.replace("{demo}", str(real)) for a in args]
        if args[1] == "x.xlsx":
            args[1] = str(real)
        with pytest.raises(CommandError, match=message):
            call_command("import_excel", *args)
        assert not WorkOrder.objects.exists()


@pytest.mark.django_db
def test_seed_demo_loads_the_five_files_and_users_once(capsys, settings):
    settings.DEBUG = True  # development mode (pytest-django runs with DEBUG off)
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "admin / " in out and "operator / " in out
    counts = (
        Employee.objects.count(),
        Equipment.objects.count(),
        WorkOrder.objects.count(),
        Inspection.objects.count(),
    )
    assert counts == (3, 3, 5, 5 + 6)  # the shop's inspections and the welding demo's six on welds
    assert WorkOrder.objects.get(order_id="WO-1000").assigned_welder.employee_id == "EMP-01"
    assert Employee.objects.get(employee_id="EMP-01").user.username == "operator"
    call_command("seed_demo")
    assert "already loaded" in capsys.readouterr().out
    assert ExcelImport.objects.count() == 13  # the shop's five files and the welding demo's eight


@pytest.mark.django_db
def test_seed_demo_refuses_users_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        call_command("seed_demo")
    call_command("seed_demo", "--no-users")

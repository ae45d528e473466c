"""The welding demo (WELDING.md) for `seed_demo`: one workbook per resource — WPS, consumable
lots, qualifications, welds, calibrations, the weld log, the welds' inspections — in the shop's
own columns (§5), loaded through
the same import as the API, after the five files of the shop.

The dates are relative to the day it runs, so that whenever a new user loads the demo they
see what the product is for:
- John Doe (EMP-01): ISO 9606-1 135, last confirmed almost 6 months ago — expiring, due
  within days; one of his weld-log entries (a 25 mm weld, outside his 3–20 mm) went through
  on a manager's override;
- Jane Smith (EMP-02): ASME IX 141 kept alive by her weld log, and an ISO 9606-1 135 whose
  validity ends within the month — expiring;
- Mike Johnson (EMP-03): an ISO 9606-1 135 never confirmed — lapsed;
- lots of the shop's welding rods with their heat numbers, one expired (its entry carries the
  `LOT_EXPIRED` warning); a draft WPS beside two approved ones;
- machine EQ-02's validation ran out a month ago (its later entries warn
  `EQUIPMENT_VALIDATION`); the welds' NDT with ISO 6520 findings, so each weld status shows
  (accepted, rejected, repaired, welded) and the welding dashboard has repair figures.

The workbooks are built here (openpyxl) rather than kept in workshop/demo, because their dates
move with the day. Loaded once: a resource whose demo workbook was imported before is skipped.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from django.utils import timezone
from openpyxl import Workbook

from staff.welding_rules import add_months

ALL_POSITIONS = "PA, PB, PC, PD, PE, PF, PG, H-L045"
OVERRIDE = "Supervised trial weld on t25 while his t30 test is booked (IWE J. Berg)"


def _workbook(rows: list[list]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def wps(today: dt.date) -> list[list]:
    return [
        [
            "WPSID", "Status", "Process", "RootProcess", "ProductForms", "WeldTypes", "FillerGroup",
            "FillerDesignation", "ThicknessMin", "ThicknessMax", "DiameterMin", "DiameterMax", "Positions", "PQR",
        ],
        ["WPS-135-01", "approved", "135", None, "P, T", "BW, FW", "FM1", "ISO 14341-A G 42 4 M21 3Si1",
         3, 30, None, None, ALL_POSITIONS, "PQR-135-01"],
        ["WPS-141-01", "approved", "141", None, "T", "BW", "FM1", "ISO 636-A W 46 3 W3Si1",
         2, 12, 20, 170, "PA, PC, H-L045", "PQR-141-02"],
        ["WPS-111-01", "draft", "111", None, "P", "FW", "FM1", "ISO 2560-A E 42 4 B 42 H5",
         5, 40, None, None, "PA, PB, PF", None],
    ]  # fmt: skip


def lots(today: dt.date) -> list[list]:
    return [
        ["LotID", "ItemID", "Designation", "AWSClass", "FillerGroup", "HeatNumber", "CertificateType",
         "CertificateNo", "ExpiresOn"],
        ["LOT-4471", "INV-001", "ISO 2560-A E 42 4 B 42 H5", "E7018", "FM1", "4471", "3.1", "C-24-0117",
         today + dt.timedelta(days=540)],
        ["LOT-4502", "INV-001", "ISO 2560-A E 42 4 B 42 H5", "E7018", "FM1", "4502", "3.1", "C-24-0188",
         today + dt.timedelta(days=300)],
        ["LOT-3990", "INV-001", "ISO 2560-A E 38 2 B 32 H10", "E7016", "FM1", "3990", "2.2", "C-22-0951",
         today - dt.timedelta(days=30)],
    ]  # fmt: skip


def qualifications(today: dt.date) -> list[list]:
    months = add_months
    return [
        ["QualificationID", "EmployeeID", "Standard", "Process", "ProductForms", "WeldTypes", "FillerGroups",
         "ThicknessMin", "ThicknessMax", "DiameterMin", "DiameterMax", "Positions", "TestDate", "Method",
         "LastConfirmed"],
        # Confirmed 6 months less 10 days ago: due in about 10 days (expiring).
        ["ISO-135-01", "EMP-01", "ISO 9606-1", "135", "P", "BW, FW", "FM1, FM2", 3, 20, None, None,
         "PA, PB, PC, PF", months(today, -20), "9.3b", months(today, -6) + dt.timedelta(days=10)],
        # Continuity by the weld log (the entries below).
        ["ASME-141-02", "EMP-02", "ASME IX", "141", "P, T", "BW", None, 2, 12, 20, None,
         "PA, PC, H-L045", months(today, -8), None, None],
        # Route 9.3b without revalidation: valid 24 months, ending in about 20 days (expiring).
        ["ISO-135-04", "EMP-02", "ISO 9606-1", "135", "P", "FW", "FM1", 3, 15, None, None, "PA, PB",
         months(today, -24) + dt.timedelta(days=20), "9.3b", months(today, -2)],
        # Never confirmed after the first 6 months: lapsed.
        ["ISO-135-03", "EMP-03", "ISO 9606-1", "135", "P", "FW", "FM1", 3, 10, None, None, "PA, PB",
         months(today, -14), "9.3a", months(today, -13)],
    ]  # fmt: skip


def welds(today: dt.date) -> list[list]:
    return [
        ["WeldID", "OrderID", "WPSID", "JointType", "ProductForm", "Thickness", "Diameter", "Position", "Length",
         "NDT"],
        ["W-1000-01", "WO-1000", "WPS-141-01", "BW", "T", 6, 114.3, "H-L045", 359, "VT, RT"],
        ["W-1000-02", "WO-1000", "WPS-141-01", "BW", "T", 6, 114.3, "PC", 359, "VT, RT"],
        ["W-1003-01", "WO-1003", "WPS-135-01", "FW", "P", 10, None, "PB", 1200, "VT"],
        ["W-1003-02", "WO-1003", "WPS-135-01", "BW", "P", 25, None, "PF", 800, "VT, UT"],
        ["W-1002-01", "WO-1002", "WPS-111-01", "FW", "P", 8, None, "PA", 400, "VT"],
    ]  # fmt: skip


def weld_log(today: dt.date) -> list[list]:
    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    return [
        ["WeldID", "EmployeeID", "Process", "Layer", "WeldedOn", "LotID", "EquipmentID", "ArcSeconds",
         "OverrideReason"],
        ["W-1000-01", "EMP-02", "141", "root", ago(180), None, "EQ-02", 1500, None],
        ["W-1000-01", "EMP-02", "141", "fill", ago(120), None, "EQ-02", 2100, None],
        ["W-1000-01", "EMP-02", "141", "cap", ago(60), None, "EQ-02", 1800, None],
        ["W-1000-02", "EMP-02", "141", "root", ago(20), None, "EQ-02", 1400, None],
        ["W-1000-02", "EMP-02", "141", "cap", ago(10), None, "EQ-02", 1650, None],
        ["W-1003-01", "EMP-01", "135", "complete", ago(15), "LOT-4471", "EQ-01", 1800, None],
        ["W-1003-01", "EMP-01", "135", "repair", ago(3), "LOT-3990", "EQ-01", 300, None],
        ["W-1003-02", "EMP-01", "135", "root", ago(5), "LOT-4502", "EQ-01", 900, OVERRIDE],
    ]  # fmt: skip


def calibration_intervals(today: dt.date) -> list[list]:
    """The shop's two machines are validated yearly (an update of 05_Equipment's rows)."""
    return [
        ["EquipmentID", "Name", "CalibrationInterval"],
        ["EQ-01", "MIG Welder 3000", 365],
        ["EQ-02", "TIG Master", 365],
    ]


def calibrations(today: dt.date) -> list[list]:
    """EQ-01 validated this year; EQ-02's validation ran out 35 days ago, so the weld log's
    later entries on it carry `EQUIPMENT_VALIDATION` and the welding dashboard counts it."""

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    return [
        ["ID", "EquipmentID", "Kind", "Grade", "PerformedOn", "CertificateNo", "Result", "ValidUntil"],
        [None, "EQ-01", "validation", "standard", ago(200), "VAL-EQ01-1", "pass", ago(200) + dt.timedelta(days=365)],
        [None, "EQ-02", "validation", "standard", ago(400), "VAL-EQ02-1", "pass", ago(35)],
    ]  # fmt: skip


def weld_inspections(today: dt.date) -> list[list]:
    """The welds' NDT with ISO 6520 findings, so each R10 status shows: W-1000-01 accepted (VT,
    RT passed), W-1000-02 rejected (RT: gas pores, 2011), W-1003-01 repaired (VT: undercut,
    5011, then its repair entry), W-1003-02 welded (UT not done yet)."""

    def at(days: int, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour))

    return [
        ["InspectionID", "OrderID", "WeldID", "Inspector", "Result", "DefectType", "Method", "InspectedAt",
         "ReportNo", "ExaminedLength", "ISO6520", "FindingLength"],
        ["QC-W-001", "WO-1000", "W-1000-01", "Inspector A", "pass", None, "VT", at(58), None, None, None, None],
        ["QC-W-002", "WO-1000", "W-1000-01", "Inspector B", "pass", None, "RT", at(55), "RT-0101", 359, None, None],
        ["QC-W-003", "WO-1000", "W-1000-02", "Inspector A", "pass", None, "VT", at(9), None, None, None, None],
        ["QC-W-004", "WO-1000", "W-1000-02", "Inspector B", "fail", "porosity", "RT", at(8), "RT-0102", 359, 2011, 12],
        ["QC-W-005", "WO-1003", "W-1003-01", "Inspector A", "fail", "undercut", "VT", at(12), None, 1200, 5011, 40],
        ["QC-W-006", "WO-1003", "W-1003-02", "Inspector A", "pass", None, "VT", at(4), None, None, None, None],
    ]  # fmt: skip


# (resource, the workbook's name, its rows as of a day), in the order they load: the
# calibrations before the weld log, whose checks read them.
WORKBOOKS: list[tuple[str, str, Callable[[dt.date], list[list]]]] = [
    ("wps", "06_WPS.xlsx", wps),
    ("consumable-lots", "07_ConsumableLots.xlsx", lots),
    ("qualifications", "08_Qualifications.xlsx", qualifications),
    ("welds", "09_Welds.xlsx", welds),
    ("equipment", "11_CalibrationIntervals.xlsx", calibration_intervals),
    ("calibrations", "11_Calibrations.xlsx", calibrations),
    ("weld-log", "10_WeldLog.xlsx", weld_log),
    ("inspections", "12_WeldInspections.xlsx", weld_inspections),
]


def workbooks(today: dt.date | None = None) -> list[tuple[str, str, bytes]]:
    """Each demo workbook as (resource, file name, xlsx bytes), as of `today`."""
    today = today or timezone.localdate()
    return [(resource, name, _workbook(rows(today))) for resource, name, rows in WORKBOOKS]

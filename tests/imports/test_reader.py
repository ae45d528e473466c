"""Hostile and broken uploads to `POST /api/v1/<resource>/import/` (SPEC §3 "Imports and
exports", workshop/imports/reader.py): each one a clear 4xx in the SPEC's error format —
415 not Excel by content, 413 too big or a bomb, 422 readable but not importable — with
nothing written (no record, no ExcelImport, no stored file) and never a 5xx."""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile

import pytest

from inspections.models import Inspection
from inventory.models import Item, StockMovement
from staff.models import Employee
from tests.contract import assert_error
from tests.factories import WorkOrderFactory
from tests.imports import workbooks as wb
from workshop.imports.models import ExcelImport

URL = "/api/v1/items/import/"
HEADER = ["ItemID", "ItemName", "Quantity", "Unit", "ReorderLevel"]
ROW = ["INV-001", "Welding rods", 50, "kg", 10]
GOOD = wb.xlsx([HEADER, ROW])


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_ENABLE = False  # these tests send many files a minute


def stored_files(settings=None) -> list[str]:
    """Upload files in the configured storage (local folder or S3 bucket)."""
    from django.core.files.storage import default_storage

    from workshop.management.commands.cleanup_uploads import walk

    return list(walk(default_storage, "imports"))


def post(client, data: bytes, name: str = "items.xlsx", url: str = URL):
    return client.post(url, {"file": wb.upload(data, name)}, format="multipart")


def refused(response, status: int, error_code: str, settings, model=Item) -> dict:
    """The SPEC's error body with this status, and nothing written anywhere."""
    body = assert_error(response, status, error_code)
    assert not model.objects.exists()
    assert not ExcelImport.objects.exists()
    assert stored_files(settings) == []
    return body


def items_sheet(rows_xml: str, **kwargs) -> bytes:
    """A raw .xlsx whose sheet has the items header in row 1, then `rows_xml`."""
    return wb.package(wb.sheet_xml(wb.text_row(1, HEADER) + rows_xml, **kwargs))


def items_sheet_xml(rows_xml: str) -> str:
    return wb.sheet_xml(wb.text_row(1, HEADER) + rows_xml)


def good_row(number: int, item_id: str = "INV-001") -> str:
    return wb.row(
        number,
        wb.text(f"A{number}", item_id),
        wb.text(f"B{number}", "Rods"),
        wb.number(f"C{number}", 5),
        wb.text(f"D{number}", "kg"),
        wb.number(f"E{number}", 1),
    )


@pytest.mark.django_db
class TestRecognisedByContent:
    def test_a_good_workbook_imports_and_is_stored(self, api, settings):
        # The baseline the refusals below are measured against.
        response = post(api, GOOD)
        assert response.status_code == 201, response.json()
        assert response.json()["rows_created"] == 1
        assert Item.objects.get().item_name == "Welding rods"
        assert len(stored_files(settings)) == 1

    @pytest.mark.parametrize("name", ["items.csv", "items.pdf", "items", "items.xls"])
    def test_the_name_does_not_matter_for_a_real_workbook(self, api, name):
        response = post(api, GOOD, name=name)
        assert response.status_code == 201, response.json()
        assert Item.objects.count() == 1

    @pytest.mark.parametrize(
        ("content", "name"),
        [
            (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n", "items.xlsx"),
            (b"ItemID,ItemName,Quantity\nINV-001,Welding rods,50\n", "items.xlsx"),
            (b"ItemID,ItemName,Quantity\nINV-001,Welding rods,50\n", "items.csv"),
            (b"ItemID\tItemName\nINV-001\tRods\n", "items.xls"),
            (b"<html><body><table><tr><td>ItemID</td></tr></table></body></html>", "items.xls"),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "items.xlsx"),
            (b"\xef\xbb\xbfItemID;ItemName\r\n", "items.xlsx"),
        ],
        ids=["pdf-renamed", "csv-renamed", "csv", "tsv-as-xls", "html-as-xls", "png", "csv-with-bom"],
    )
    def test_not_excel_is_415(self, api, settings, content, name):
        body = refused(post(api, content, name=name), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "not an Excel workbook" in body["detail"]

    def test_an_empty_file_is_415(self, api, settings):
        body = refused(post(api, b""), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "empty" in body["detail"]

    def test_no_file_at_all_is_422(self, api, settings):
        body = refused(api.post(URL, {}, format="multipart"), 422, "VALIDATION_ERROR", settings)
        assert "file" in body["errors"]

    def test_a_json_body_is_415(self, api, settings):
        refused(api.post(URL, {"file": "x"}, format="json"), 415, "UNSUPPORTED_MEDIA_TYPE", settings)


@pytest.mark.django_db
class TestBrokenContainers:
    @pytest.mark.parametrize(
        "content",
        [
            b"PK\x03\x04" + bytes(range(256)) * 8,
            GOOD[: len(GOOD) // 2],
            GOOD[:-30],  # the end-of-central-directory record cut off
        ],
        ids=["garbage-after-magic", "first-half", "truncated-directory"],
    )
    def test_a_corrupt_zip_is_415(self, api, settings, content):
        body = refused(post(api, content), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "corrupt" in body["detail"] or "not a readable" in body["detail"]

    def test_a_corrupt_part_inside_a_good_zip_is_415(self, api, settings):
        # Flip bytes inside the compressed sheet: the zip directory is fine, the CRC is not.
        data = bytearray(GOOD)
        archive = zipfile.ZipFile(io.BytesIO(GOOD))
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        for offset in range(start + 10, start + 40):
            data[offset] ^= 0x5A
        refused(post(api, bytes(data)), 415, "UNSUPPORTED_MEDIA_TYPE", settings)

    def test_a_zip_that_is_not_a_workbook_is_415(self, api, settings):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("README.txt", "ItemID,ItemName\nINV-001,Rods\n")
            archive.writestr("word/document.xml", "<w:document/>")
        body = refused(post(api, buffer.getvalue()), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "not an Excel workbook" in body["detail"]

    @pytest.mark.parametrize(
        "content",
        [
            bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 8,
            bytes.fromhex("d0cf11e0a1b11ae1") + bytes(range(256)) * 4,
            wb.xls([HEADER, ROW])[:700],
        ],
        ids=["magic-only", "garbage-after-magic", "truncated"],
    )
    def test_a_corrupt_xls_is_415(self, api, settings, content):
        refused(post(api, content, name="items.xls"), 415, "UNSUPPORTED_MEDIA_TYPE", settings)

    def test_an_ole2_document_without_a_workbook_is_415(self, api, settings):
        # A Word 97 document has the same OLE2 signature as an .xls, but no Workbook stream.
        content = wb._ole2("WordDocument", b"\xec\xa5" + b"\x00" * 600)
        body = refused(post(api, content, name="items.xls"), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "not an Excel workbook" in body["detail"]

    def test_mangled_files_are_never_a_5xx(self, api):
        """Random byte damage to an .xlsx (stored, so the XML is hit) and an .xls: every answer
        is a 201 or a clear 4xx."""
        rng = random.Random(20251125)
        stored = wb.package(
            wb.sheet_xml(wb.text_row(1, HEADER) + good_row(2)), compression=zipfile.ZIP_STORED
        )
        legacy = wb.xls([HEADER, ROW])
        statuses = set()
        for original, name in ((stored, "items.xlsx"), (legacy, "items.xls")):
            for _ in range(40):
                data = bytearray(original)
                for _ in range(rng.randint(1, 8)):
                    data[rng.randrange(8, len(data))] = rng.randrange(256)
                response = post(api, bytes(data), name=name)
                assert response.status_code in {201, 413, 415, 422}, (response.status_code, response.content)
                statuses.add(response.status_code)
                StockMovement.objects.all().delete()
                Item.objects.all().delete()
        assert 415 in statuses


@pytest.mark.django_db
class TestSizeLimits:
    def test_an_11_mb_file_is_413(self, api, settings):
        content = b"PK\x03\x04" + bytes(11 * 1024 * 1024)
        body = refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)
        assert "10 MB" in body["detail"]

    def test_the_upload_limit_is_a_setting(self, api, settings):
        settings.UPLOAD_MAX_MB = 1
        rng = random.Random(2)
        # A column the import ignores, of random text that does not compress away.
        rows = [[*HEADER, "Remarks"]] + [
            [f"INV-{i:03d}", "Rods", i, "kg", 1, f"{rng.getrandbits(32_000 * 4):032000x}"] for i in range(80)
        ]
        content = wb.xlsx(rows)
        assert len(content) > 1024 * 1024
        refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)
        settings.UPLOAD_MAX_MB = 10
        assert post(api, content).status_code == 201

    def test_a_zip_bomb_is_413(self, api, settings):
        # 300 MB of zeros compress to about 300 KB: refused from the zip directory alone.
        buffer = io.BytesIO()
        source = zipfile.ZipFile(io.BytesIO(GOOD))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in source.infolist():
                archive.writestr(info.filename, source.read(info))
            megabyte = bytes(1024 * 1024)
            with archive.open("xl/media/image1.png", "w", force_zip64=True) as part:
                for _ in range(300):
                    part.write(megabyte)
        content = buffer.getvalue()
        assert len(content) < 1024 * 1024
        body = refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)
        assert "zip bomb" in body["detail"] or "unpacks to more than" in body["detail"]

    def test_the_uncompressed_size_is_capped(self, api, settings):
        # Ordinary compression (no suspicious ratio), but more XML than the cap allows.
        rng = random.Random(1)
        rows = "".join(
            wb.row(n, wb.text(f"A{n}", f"INV-{n}"), wb.text(f"B{n}", f"{rng.getrandbits(64):016x}"))
            for n in range(2, 20_000)
        )
        content = items_sheet(rows)
        settings.IMPORT_MAX_UNCOMPRESSED_MB = 1
        body = refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)
        assert "unpacks to more than 1 MB" in body["detail"]

    def test_too_many_zip_entries_is_413(self, api, settings):
        parts = {f"xl/media/image{i}.png": b"\x89PNG" for i in range(1001)}
        body = refused(
            post(api, wb.package(wb.sheet_xml(good_row(2)), parts=parts)), 413, "PAYLOAD_TOO_LARGE", settings
        )
        assert "parts" in body["detail"]

    def test_a_million_rows_is_413_before_the_workbook_is_opened(self, api, settings, monkeypatch):
        """Refused by the streaming scan: the sheet is never opened (python-calamine would
        build all its rows first). No clock: a loaded machine made a time bound flaky."""
        from workshop.imports import service

        def never(*args, **kwargs):
            raise AssertionError("the workbook was opened")

        monkeypatch.setattr(service, "open_sheet", never)
        rows = "".join([f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 1_000_002)])
        content = wb.package(wb.sheet_xml(wb.text_row(1, HEADER) + rows))
        assert len(content) < 10 * 1024 * 1024
        body = refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)
        assert "1000001" in body["detail"] and "200000" in body["detail"]

    def test_the_row_limit_is_exact(self, api, settings):
        settings.IMPORT_MAX_ROWS = 3
        three = items_sheet("".join(good_row(n, f"INV-{n}") for n in range(2, 5)))
        four = items_sheet("".join(good_row(n, f"INV-{n}") for n in range(2, 6)))
        refused(post(api, four), 413, "PAYLOAD_TOO_LARGE", settings)
        response = post(api, three)
        assert response.status_code == 201, response.json()
        assert response.json()["rows_created"] == 3

    def test_the_row_limit_holds_for_xls(self, api, settings):
        settings.IMPORT_MAX_ROWS = 3
        rows = [HEADER] + [[f"INV-{n}", "Rods", 5, "kg", 1] for n in range(4)]
        refused(post(api, wb.xls(rows), name="items.xls"), 413, "PAYLOAD_TOO_LARGE", settings)
        assert post(api, wb.xls(rows[:4]), name="items.xls").status_code == 201

    @pytest.mark.parametrize(
        "cell",
        [
            '<c r="XFD1048576"><v>1</v></c>',  # one cell, the last Excel allows: 17 billion in the grid
            '<c r="Z900000"><v>1</v></c>',  # under no row limit of its own, 23 million cells
            '<c r="AAA50000"><v>1</v></c>',  # 703 columns × 50,000 rows
        ],
    )
    def test_one_far_cell_is_413_not_a_crash(self, api, settings, cell):
        """python-calamine holds a sheet as a dense grid: without the check, this 1 KB file
        aborted the whole process (Rust's out-of-memory abort, not even an exception)."""
        content = items_sheet(good_row(2) + f'<row r="3">{cell}</row>')
        assert len(content) < 2048
        body = refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)
        assert "reaches row" in body["detail"] or "cells" in body["detail"]

    def test_a_far_cell_inside_a_near_row_is_measured(self, api, settings):
        # The cell's own reference places it, not the row it sits in.
        content = items_sheet('<row r="2"><c r="A1048000"><v>1</v></c></row>')
        refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)

    def test_cells_without_references_are_measured_too(self, api, settings):
        # No `r` attributes (allowed by the format): cells are placed one after the other, so
        # a row of 20,000 cells is 20,000 columns wide.
        wide = "<row>" + "<c><v>1</v></c>" * 20_000 + "</row>"
        settings.IMPORT_MAX_CELLS = 100_000
        content = wb.package(wb.sheet_xml(wide + "<row><c><v>2</v></c></row>" * 10))
        body = refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)
        assert "20000 columns" in body["detail"]

    @pytest.mark.parametrize(
        "sheet_bytes",
        [
            # Text before the XML: python-calamine's parser skips it and reads the sheet.
            b"not xml at all " + items_sheet_xml('<row r="2"><c r="A900000"><v>1</v></c></row>').encode(),
            # A decoy reference inside another attribute's value, the real one after it.
            items_sheet_xml("""<row r="2"><c foo='r="A2"' r="A900000"><v>1</v></c></row>""").encode(),
            # A row without a number, its cell far away (16,384 columns × 900 rows).
            items_sheet_xml('<row><c r="XFD900" t="n" ><v>1</v></c></row>').encode(),
        ],
        ids=["junk-before-xml", "decoy-reference", "late-reference-no-row-number"],
    )
    def test_irregular_sheets_are_measured_as_the_reader_would_place_cells(self, api, settings, sheet_bytes):
        settings.IMPORT_MAX_CELLS = 1_000_000
        content = wb.package(sheet_bytes)
        refused(post(api, content), 413, "PAYLOAD_TOO_LARGE", settings)

    def test_binary_parts_are_not_mistaken_for_bad_xml(self, api):
        # Excel keeps printer settings as UTF-16 text in a binary part, and images may be SVG
        # with a DOCTYPE: neither is a sheet, neither is refused.
        parts = {
            "xl/printerSettings/printerSettings1.bin": "Microsoft Print to PDF".encode("utf-16-le")
            + bytes(200),
            "xl/media/image1.svg": '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>',
            "xl/media/image2.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64,
        }
        content = wb.package(wb.sheet_xml(wb.text_row(1, HEADER) + good_row(2)), parts=parts)
        response = post(api, content)
        assert response.status_code == 201, response.json()
        assert Item.objects.get().item_id == "INV-001"

    def test_an_unusual_but_sane_sheet_still_imports(self, api):
        # A namespace prefix and no references (as some generators write): measured by the
        # exact parse, then read as usual.
        ns = wb.NS
        cells = lambda values: "".join(  # noqa: E731
            f'<x:c t="inlineStr"><x:is><x:t>{v}</x:t></x:is></x:c>'
            if isinstance(v, str)
            else f"<x:c><x:v>{v}</x:v></x:c>"
            for v in values
        )
        sheet = (
            f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{ns}"><x:sheetData>'
            f"<x:row>{cells(HEADER)}</x:row><x:row>{cells(ROW)}</x:row></x:sheetData></x:worksheet>"
        )
        response = post(api, wb.package(sheet))
        assert response.status_code == 201, response.json()
        assert Item.objects.get().quantity == 50

    @pytest.mark.parametrize(("row", "column"), [(65535, 255), (65535, 65535), (100, 300)])
    def test_one_far_cell_in_an_xls_is_413(self, api, settings, row, column):
        workbook = wb._biff8_workbook([HEADER, ROW], "Items")
        eof = struct.pack("<HH", 0x000A, 0)
        far = struct.pack("<HHHHHd", 0x0203, 14, row, column, 15, 1.0)
        content = wb._ole2("Workbook", workbook[: -len(eof)] + far + eof)
        settings.IMPORT_MAX_CELLS = 20_000
        refused(post(api, content, name="items.xls"), 413, "PAYLOAD_TOO_LARGE", settings)


@pytest.mark.django_db
class TestXmlBombs:
    def test_billion_laughs_in_the_sheet_is_415(self, api, settings):
        content = items_sheet(
            wb.row(2, '<c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c>'), doctype=wb.billion_laughs()
        )
        body = refused(post(api, content), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "DOCTYPE" in body["detail"]

    @pytest.mark.parametrize(
        "part",
        ["xl/workbook.xml", "xl/styles.xml", "docProps/core.xml", "xl/sharedStrings.xml", "_rels/.rels"],
    )
    def test_a_doctype_in_any_part_is_415(self, api, settings, part):
        xml = f'<?xml version="1.0"?>{wb.billion_laughs(3)}<root>&lol2;</root>'
        contents = {"xl/workbook.xml": wb.WORKBOOK, "xl/styles.xml": wb.STYLES, "_rels/.rels": wb.ROOT_RELS}
        original = contents.get(part)
        if original:  # keep the part itself valid, with the DOCTYPE before its root
            xml = original.replace("?>", "?>" + wb.billion_laughs(3), 1)
        content = wb.package(wb.sheet_xml(wb.text_row(1, HEADER) + good_row(2)), parts={part: xml})
        body = refused(post(api, content), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "DOCTYPE" in body["detail"]

    def test_a_doctype_after_a_long_comment_is_415(self, api, settings):
        # Found wherever it is, not only in the first few kilobytes.
        doctype = "<!--" + "padding " * 2000 + "-->" + wb.billion_laughs()
        content = items_sheet(good_row(2), doctype=doctype)
        body = refused(post(api, content), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "DOCTYPE" in body["detail"]

    def test_an_external_entity_is_415(self, api, settings):
        doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        content = items_sheet(wb.row(2, '<c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c>'), doctype=doctype)
        refused(post(api, content), 415, "UNSUPPORTED_MEDIA_TYPE", settings)

    def test_a_utf16_sheet_is_415(self, api, settings):
        xml = wb.sheet_xml(wb.text_row(1, HEADER) + good_row(2)).replace(
            'encoding="UTF-8"', 'encoding="UTF-16"'
        )
        body = refused(post(api, wb.package(xml.encode("utf-16"))), 415, "UNSUPPORTED_MEDIA_TYPE", settings)
        assert "UTF-8" in body["detail"]


@pytest.mark.django_db
class TestUnreadableSheets:
    def test_a_cell_over_excels_limit_is_422(self, api, settings):
        # openpyxl cuts texts at 32,767 characters when writing, so the sheet is written raw.
        content = items_sheet(wb.row(2, wb.text("A2", "INV-001"), wb.text("B2", "x" * 1_000_000)))
        body = refused(post(api, content), 422, "VALIDATION_ERROR", settings)
        assert body["detail"] == "Cell B2 holds more than 32767 characters."

    def test_a_cell_at_excels_limit_is_read_whole(self, api):
        order = WorkOrderFactory(order_id="WO-1000")
        notes = "n" * 32_767
        content = wb.xlsx(
            [["InspectionID", "OrderID", "Result", "Notes"], ["QC-100", order.order_id, "Pass", notes]]
        )
        response = post(api, content, url="/api/v1/inspections/import/")
        assert response.status_code == 201, response.json()
        assert Inspection.objects.get().notes == notes

    def test_merged_header_cells_are_422(self, api, settings):
        content = wb.xlsx([["ItemID", None, "Quantity"], ["INV-001", "Rods", 5]], merge=["A1:B1"])
        body = refused(post(api, content), 422, "VALIDATION_ERROR", settings)
        assert "merged" in body["detail"] and "A1:B1" in body["detail"]

    def test_merged_cells_below_the_header_are_read(self, api):
        content = wb.xlsx([HEADER, ["INV-001", "Rods", 5, "kg", 1], ["Note spanning", None]], merge=["A3:B3"])
        response = post(api, content)
        # Row 3 is read (its merged text sits in A3), and judged like any row: no item name.
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert {"row": 3, "column": "ItemName", "message": "This field is required."} in body["errors"]

    def test_an_empty_first_sheet_is_422_even_if_a_later_one_has_data(self, api, settings):
        content = wb.xlsx([], more_sheets={"Items": [HEADER, ROW]})
        body = refused(post(api, content), 422, "VALIDATION_ERROR", settings)
        assert "first sheet is empty" in body["detail"]

    def test_a_header_without_rows_is_422(self, api, settings):
        body = refused(post(api, wb.xlsx([HEADER])), 422, "VALIDATION_ERROR", settings)
        assert body["errors"] == [
            {"row": 2, "column": "", "message": "The sheet has a header row but no data rows."}
        ]


@pytest.mark.django_db
class TestLegacyXls:
    """.xls files are written here by a minimal BIFF8 writer (tests/imports/workbooks.py):
    no library on this stack writes them (xlwt is not a dependency)."""

    def test_personnel_as_xls_imports(self, api):
        rows = [
            ["EmployeeID", "Name", "Role", "CertificationExpiry"],
            ["EMP-01", "John Doe", "Senior Welder", dt.date(2025, 12, 31)],
            ["EMP-02", "Jane Smith", "Welder", "2025-06-30"],
            ["EMP-03", "Jöns Ågren", "Apprentice", None],
        ]
        response = post(api, wb.xls(rows), name="personnel.xls", url="/api/v1/employees/import/")
        assert response.status_code == 201, response.json()
        assert response.json()["rows_created"] == 3
        john, jane, jons = Employee.objects.order_by("employee_id")
        assert (john.name, john.role, john.certification_expiry) == (
            "John Doe",
            "Senior Welder",
            dt.date(2025, 12, 31),
        )
        assert jane.certification_expiry == dt.date(2025, 6, 30)
        assert (jons.name, jons.certification_expiry) == ("Jöns Ågren", None)

    def test_an_xls_named_xlsx_is_read_as_xls(self, api):
        response = post(api, wb.xls([HEADER, ROW]), name="items.xlsx")
        assert response.status_code == 201, response.json()
        assert Item.objects.get().quantity == 50

    def test_a_sheet_hidden_inside_another_record_is_measured(self, api, settings):
        """The reader seeks to each sheet's offset (BOUNDSHEET), which may point into the
        middle of another record: the check walks from there too, not only record by record."""
        bof = struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06)
        sheet = (
            wb._record(0x0809, bof)
            + wb._record(0x0204, struct.pack("<HHH", 0, 0, 15) + wb._biff_string("ItemID"))
            + wb._record(0x0203, struct.pack("<HHHd", 3000, 200, 15, 1.0))  # far: 3,001 × 201
            + wb._record(0x000A)
        )
        workbook = wb._biff8_workbook([HEADER], "Items")
        sheet_offset = workbook.index(struct.pack("<HH", 0x0809, 16), 4)  # the real sheet's BOF
        globals_part = workbook[:sheet_offset]
        boundsheet_at = globals_part.index(struct.pack("<H", 0x0085))
        hidden_at = len(globals_part)  # where the payload of a record put instead of the globals EOF starts
        patched = bytearray(globals_part[:-4])  # without the globals' EOF
        struct.pack_into("<I", patched, boundsheet_at + 4, hidden_at)
        stream = bytes(patched) + wb._record(0x1234, sheet) + wb._record(0x000A)
        settings.IMPORT_MAX_CELLS = 100_000
        refused(post(api, wb._ole2("Workbook", stream), name="items.xls"), 413, "PAYLOAD_TOO_LARGE", settings)

    def test_an_xls_in_the_mini_stream_imports(self, api):
        stream = wb._biff8_workbook([HEADER, ROW], "Items")
        response = post(api, mini_stream_ole2("Workbook", stream), name="items.xls")
        assert response.status_code == 201, response.json()
        assert Item.objects.get().item_id == "INV-001"

    def test_an_xls_in_the_mini_stream_is_checked_too(self, api, settings):
        # A stream under 4096 bytes lives in the compound file's mini stream; the writer pads
        # to 4096, so this one is built by hand with a far cell and no padding.
        workbook = wb._biff8_workbook([HEADER], "Items")
        eof = struct.pack("<HH", 0x000A, 0)
        far = struct.pack("<HHHHHd", 0x0203, 14, 65535, 255, 15, 1.0)
        stream = workbook[: -len(eof)] + far + eof
        settings.IMPORT_MAX_CELLS = 20_000
        refused(
            post(api, mini_stream_ole2("Workbook", stream), name="items.xls"),
            413,
            "PAYLOAD_TOO_LARGE",
            settings,
        )


def mini_stream_ole2(name: str, stream: bytes) -> bytes:
    """A compound file whose one stream (< 4096 bytes) is stored in the mini stream."""
    sector = 512
    assert len(stream) < 4096
    mini_count = (len(stream) + 63) // 64
    mini_data = stream.ljust(mini_count * 64, b"\x00")
    mini_sectors = (len(mini_data) + sector - 1) // sector
    # Layout: 0 FAT, 1 directory, 2 mini FAT, 3.. mini stream (the root entry's stream).
    fat = [0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE]
    fat += [4 + i if i < mini_sectors - 1 else 0xFFFFFFFE for i in range(mini_sectors)]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    minifat = [i + 1 if i < mini_count - 1 else 0xFFFFFFFE for i in range(mini_count)]
    minifat += [0xFFFFFFFF] * (128 - len(minifat))

    def entry(entry_name: str, kind: int, start: int, size: int, child: int = 0xFFFFFFFF) -> bytes:
        encoded = (entry_name + "\x00").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child)
            + b"\x00" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = (entry("Root Entry", 5, 3, len(mini_data), child=1) + entry(name, 2, 0, len(stream))).ljust(
        sector, b"\x00"
    )
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 2, 1, 0xFFFFFFFE, 0)
        + struct.pack("<109I", 0, *([0xFFFFFFFF] * 108))
    )
    return (
        header
        + struct.pack("<128I", *fat)
        + directory
        + struct.pack("<128I", *minifat)
        + mini_data.ljust(mini_sectors * sector, b"\x00")
    )

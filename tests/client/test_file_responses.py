"""A file answer is read as bytes by a generated client: every binary `200` lists
`application/octet-stream`, and no `text/…` type before it (openapi-python-client 0.29 reads
the first media type it knows, and reads `text/csv` as text: a `File` made of a `str`, which
fails mypy and breaks binary content)."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator

OCTET_STREAM = "application/octet-stream"


def test_every_file_answer_lists_bytes_first():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    files = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            binary = any(media.get("schema", {}).get("format") == "binary" for media in content.values())
            if binary and "application/json" not in content:  # (analytics: JSON, or CSV on request)
                files[f"{method.upper()} {path}"] = list(content)
    assert files, "no file answers found"
    assert "GET /api/v1/jobs/{id}/download/" in files
    assert "GET /api/v1/items/export/" in files
    wrong = {
        operation: types
        for operation, types in files.items()
        if OCTET_STREAM not in types or any(t.startswith("text/") for t in types[: types.index(OCTET_STREAM)])
    }
    assert not wrong, wrong

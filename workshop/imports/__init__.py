"""The Excel engine: one reader, one import engine and one exporter for every resource.

Each app describes its columns in `<app>/imports.py` (a `ResourceSpec`); `registry()`
collects them.
"""

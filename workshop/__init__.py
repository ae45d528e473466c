"""Weldshop: the project package and the shared core."""

__version__ = "0.1.0"

"""gunicorn's settings (read from the working directory, or with `-c gunicorn.conf.py`).

gunicorn's own lines ("Starting gunicorn", "Booting worker", worker timeouts and errors, the
access log when one is turned on) come out like the app's: one JSON object per line, rendered
by the app's structlog formatter (`workshop.logging`), or readable lines with
`LOG_FORMAT=console`. Only the format changes: they go wherever `--error-logfile` (stderr by
default) and `--access-logfile` (off by default; the app logs one line per request itself)
send them. Command-line flags still win over the values here.
"""

import os
import sys
from pathlib import Path

import environ
from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # workshop/, whichever directory gunicorn starts in

from workshop.logging import processor_formatter  # noqa: E402

# The same values the app reads (workshop/settings.py): the environment, then .env.
environ.Env.read_env(ROOT / ".env", overwrite=False)
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")


class StructlogLogger(Logger):
    """gunicorn's logger, with the app's formatter on each of its handlers."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(processor_formatter(LOG_FORMAT))


logger_class = StructlogLogger
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
# Nobody's X-Forwarded-For / X-Forwarded-Proto is trusted by the server itself: uvicorn's
# workers would otherwise let any client on loopback rewrite its address. The app reads
# X-Forwarded-For as TRUSTED_PROXY_HOPS allows, and X-Forwarded-Proto when
# DJANGO_SECURE_PROXY_SSL_HEADER is on.
forwarded_allow_ips = ""

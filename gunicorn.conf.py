"""gunicorn's settings (read from the working directory, or with `-c gunicorn.conf.py`).

gunicorn's own lines ("Starting gunicorn", "Booting worker", worker timeouts and errors, the
access log when one is turned on) come out like the app's: one JSON object per line, rendered
by the app's structlog formatter (`workshop.logging`), or readable lines with
`LOG_FORMAT=console`. Only the format changes: they go wherever `--error-logfile` (stderr by
default) and `--access-logfile` (off by default; the app logs one line per request itself)
send them. Command-line flags still win over the values here.

Metrics (workshop/metrics.py): with `PROMETHEUS_MULTIPROC_DIR` set in the environment before
gunicorn starts (the image sets it), every worker writes its metrics to files there and
`/metrics` reads them all. The master empties the folder of those files when it starts (the
last run's values would otherwise add up with this one's) and, when a worker exits, drops the
live gauges of that worker (open WebSockets); its counters stay, so totals never go down.
"""

import os
import re
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


# prometheus_client's files: <type>_<pid>.db (counter, histogram, gauge_<mode>, summary).
PROMETHEUS_FILE = re.compile(r"^(?:counter|histogram|summary|gauge_[a-z]+)_\d+\.db$")


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:  # /metrics then shows the one worker that answers it
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.iterdir():
        if PROMETHEUS_FILE.match(file.name):
            file.unlink(missing_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

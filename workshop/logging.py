"""Logging: structlog for our own events, and stdlib logging rendered through the same
processors, so every line on stdout is one JSON object (or a readable line with
`LOG_FORMAT=console`). gunicorn's own lines go through the same formatter
(`gunicorn.conf.py`)."""

import logging
import logging.config
import re

import structlog

SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


_TICKET = re.compile(r"(ticket=)[^&\s\"']+")


def redact_tickets(logger, method_name, event_dict):
    """A socket's `?ticket=…` never reaches a log line (uvicorn logs the paths of the
    WebSockets it accepts): single-use and short-lived, but a credential all the same."""
    event = event_dict.get("event")
    if isinstance(event, str) and "ticket=" in event:
        event_dict["event"] = _TICKET.sub(r"\1[redacted]", event)
    return event_dict


def processor_formatter(fmt: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every handler: a stdlib record (Django's, gunicorn's, a library's) or
    a structlog event becomes one JSON object, or a readable line with `fmt="console"`."""
    renderer = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_tickets,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_logging(*, level: str = "INFO", fmt: str = "json") -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"structlog": {"()": processor_formatter, "fmt": fmt}},
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "structlog",
                }
            },
            "root": {"handlers": ["stdout"], "level": level},
            "loggers": {
                # The request line is ours (workshop.middleware); these would repeat it.
                "django.server": {"level": "ERROR", "propagate": True},
                "django.request": {"level": "ERROR", "propagate": True},
                "django.db.backends": {"level": "INFO", "propagate": True},
                "botocore": {"level": "WARNING"},
                "boto3": {"level": "WARNING"},
                "urllib3": {"level": "WARNING"},
            },
        }
    )
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )

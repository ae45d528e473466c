import json
import logging


def rendered_log_lines(caplog) -> list[dict]:
    """The captured records as the stdout handler renders them: one JSON object each."""
    formatter = logging.getLogger().handlers[0].formatter
    return [json.loads(formatter.format(record)) for record in caplog.records]

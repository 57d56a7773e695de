"""A logging filter that masks personal numbers in every log line (issue 7 item 9, SEC-2).

Attached to every handler in ``settings.LOGGING``: a request line with a phone in its query
string, an IntegrityError naming a number, a debug message with an ID number — none of them
reaches a log file in full. Mobiles become 138****5678, ID numbers 4403**********1234.
"""

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from .masking import mask_text

_formatter = logging.Formatter()


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 – a broken format string is the handler's to report
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request being served ("-" outside one, issue 10)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .request_context import current_request_id

        if not getattr(record, "request_id", None):
            # django.request logs a 404/500 after the middleware finished; its record
            # carries the request, which carries the id.
            request = getattr(record, "request", None)
            record.request_id = current_request_id() or getattr(request, "request_id", None) or "-"
        return True


# What the request-summary line (``anju.request``) adds to a record, in this order.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "view", "user_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO, Asia/Shanghai), level, logger, message, request_id.

    A request-summary record adds ``REQUEST_FIELDS``; an exception adds ``exc``. The message
    and the exception were masked by ``MaskPersonalDataFilter`` on the handler; the path is
    masked here too (a mistyped URL may hold a number).
    """

    def __init__(self, *args, time_zone: str = "Asia/Shanghai", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, self.zone).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                value = getattr(record, name)
                line[name] = mask_text(value) if isinstance(value, str) else value
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(self.formatException(record.exc_info))
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)

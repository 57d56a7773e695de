"""A logging filter that masks personal numbers in every log line (issue 7 item 9, SEC-2).

Attached to every handler in ``settings.LOGGING``: a request line with a phone in its query
string, an IntegrityError naming a number, a debug message with an ID number — none of them
reaches a log file in full. Mobiles become 138****5678, ID numbers 4403**********1234.
"""

import logging

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

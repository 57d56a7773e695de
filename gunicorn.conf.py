"""gunicorn settings, read from the working directory (`gunicorn anju.wsgi`).

The access log writes the path without its query string (``%(U)s``, not ``%(r)s``): a
search for a phone number must not put the number in a log file (issue 7 item 9, SEC-2).
"""

# No request-line limit of gunicorn's own: its 414 would be an HTML page, while Django
# answers an over-long or over-full query in the API's error shape (400/422; at most
# DATA_UPLOAD_MAX_NUMBER_FIELDS parameters). Bound URL length at the reverse proxy
# (docs/operations.md).
limit_request_line = 0
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'

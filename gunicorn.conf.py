"""gunicorn settings, read from the working directory (`gunicorn anju.wsgi`).

The access log writes the path without its query string (``%(U)s``, not ``%(r)s``): a
search for a phone number must not put the number in a log file (issue 7 item 9, SEC-2).
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'

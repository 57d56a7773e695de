"""The error types services raise when they refuse a request (INT-1, issue 8 item 1).

Pages show the message (a form error or a flash message); the API turns every one into the
one error shape ``{"code", "detail", "field"?, "errors"?}`` with the status of its class
(``anju/api.py``), so a user never sees a server error for bad input.

Which class to raise:

=================  ======  =====================================================
class              status  when
=================  ======  =====================================================
ApplicationError   422     a value the request sent breaks a rule (name ``field``)
Conflict           409     the request clashes with the current state: protected
                           by a colleague, a duplicate, already done, an illegal
                           transition, a unit taken
NotPermitted       403     the user's role or scope does not allow it
NotFound           404     a row named in the request (a filter's id …) is not there
                           or not visible to the user (``Http404`` works as well)
RateLimited        429     too many of these in a while (``retry_after`` seconds)
BadRequest         400     the request itself cannot be read (not JSON, …)
=================  ======  =====================================================

``code`` is a stable machine code (snake_case) an integrator may branch on; the message is
for people, in the user's language. Codes are listed in docs/api.md.
"""


class ApplicationError(Exception):
    status_code = 422
    default_code = "invalid"

    def __init__(self, message, *, field=None, code=None, extra=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code or self.default_code
        self.extra = extra or {}

    def __str__(self):
        return str(self.message)


class Conflict(ApplicationError):
    """The request is well formed but clashes with the current state of the data."""

    status_code = 409
    default_code = "conflict"


class NotFound(ApplicationError):
    """Something the request names does not exist or is outside the user's scope."""

    status_code = 404
    default_code = "not_found"


class BadRequest(ApplicationError):
    """The request cannot be read at all (malformed JSON, wrong content type)."""

    status_code = 400
    default_code = "bad_request"


class TooLarge(ApplicationError):
    """The request body is larger than the server reads (413)."""

    status_code = 413
    default_code = "too_large"


class RateLimited(ApplicationError):
    """Too many requests of this kind; the API answers 429 with ``Retry-After``."""

    status_code = 429
    default_code = "rate_limited"

    def __init__(self, message, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))


class NotPermitted(ApplicationError):
    """The acting user lacks the permission (or the scope) for this action."""

    status_code = 403
    default_code = "forbidden"

    def __init__(self, message=None, **kwargs):
        from django.utils.translation import gettext

        super().__init__(message or gettext("You are not permitted to do this."), **kwargs)

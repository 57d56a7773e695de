"""The one error type services raise for a business-rule refusal.

Pages show its message (as a form error or a flash message) and the API turns it into a 4xx
with the same message, so a user never sees a server error for bad input.
"""


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message, *, field=None, code="invalid", extra=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
        self.extra = extra or {}

    def __str__(self):
        return str(self.message)


class NotPermitted(ApplicationError):
    """The acting user lacks the permission (or the scope) for this action."""

    status_code = 403

    def __init__(self, message=None, **kwargs):
        from django.utils.translation import gettext

        super().__init__(message or gettext("You are not permitted to do this."), **kwargs)

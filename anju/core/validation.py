"""Model-field validation for services: lengths, choices, digits, e-mail → ApplicationError.

SQLite ignores VARCHAR lengths and PostgreSQL rejects them with a server error, so every
service that writes user input checks the fields it sets through here first (SEC-4).
"""

from django.core.exceptions import ValidationError

from .errors import ApplicationError


def validate_fields(instance, fields) -> None:
    """Run the model's own field validators on ``fields`` of ``instance``."""
    fields = set(fields)
    exclude = [f.name for f in instance._meta.fields if f.name not in fields]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        label = instance._meta.get_field(field).verbose_name
        raise ApplicationError(f"{label}: {errors[0]}", field=field) from exc

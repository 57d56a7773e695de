"""How another app's API answer names a customer (ORG-2, the pages' rule: issue 9 items 3
and 4): by id and in full where the viewer may open the customer's file; else no id and
the name masked. A ticket, a deal or a message of his may be about another project's
customer; the record is his to handle, that customer's file is not.

Decided from the loaded row (``sees_loaded``), no query: select the customer with the row.
"""

from anju.core.masking import mask_name
from anju.core.scope import sees_loaded

HIDDEN_ID = "null where you may not open the customer's file"


def viewer(context):
    """The user an answer is for (a ninja resolver's ``context``)."""
    return context["request"].user


def seen(context, customer) -> bool:
    return customer is not None and sees_loaded(viewer(context), customer)


def customer_id_for(context, customer) -> int | None:
    return customer.pk if seen(context, customer) else None


def text_about(user, customer, text: str) -> str:
    """A text written to or about the customer (a message greets him by name): his name
    masked in it where ``user`` may not open his file."""
    if not text or customer is None or len(customer.name or "") < 2:
        return text  # a one-character "name" would mask that character everywhere
    if sees_loaded(user, customer):
        return text
    return text.replace(customer.name, mask_name(customer.name))


def customer_name_for(context, customer) -> str:
    """In full where seen, else masked (李*)."""
    if customer is None:
        return ""
    return customer.name if seen(context, customer) else mask_name(customer.name)

"""``{% text_about message.body message.customer as body %}``: a text that names a customer,
his name masked where the viewer may not open his file (``customers.refs``)."""

from django import template

from ..refs import text_about as _text_about

register = template.Library()


@register.simple_tag(takes_context=True)
def text_about(context, text, customer):
    return _text_about(context["request"].user, customer, text)

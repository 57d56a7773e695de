"""Hooks for capabilities that come later. Today: sending the thank-you SMS (SAL-2).

The reception app renders the SMS text and stores it on the follow-up task. Sending is not
its business: the messaging app, when it lands, registers a sender from its AppConfig.ready()::

    from anju.reception.hooks import register_sms_sender

    def send_followup_sms(task) -> bool:
        ...  # queue task.message to task.customer.phone
        return True  # True: sent (reception then marks the task done)

    register_sms_sender(send_followup_sms)

Senders run in a background task after the call's transaction commits
(``reception.tasks.offer_sms_task``). With no sender registered (the default) nothing is sent
and the task stays open on the consultant's list, with the text ready to copy.
"""

from collections.abc import Callable

SmsSender = Callable[[object], bool]

_SMS_SENDERS: list[SmsSender] = []


def register_sms_sender(sender: SmsSender) -> None:
    if sender not in _SMS_SENDERS:
        _SMS_SENDERS.append(sender)


def unregister_sms_sender(sender: SmsSender) -> None:
    if sender in _SMS_SENDERS:
        _SMS_SENDERS.remove(sender)


def sms_senders() -> list[SmsSender]:
    return list(_SMS_SENDERS)


def send_sms_for_task(task) -> bool:
    """Offer the task's SMS to the registered senders; True if one of them sent it."""
    return any(sender(task) for sender in sms_senders())

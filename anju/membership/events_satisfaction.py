"""满意度 An attendee's satisfaction with an event (MEM-4): two questions and a comment.

Kept in this one module (the questions, the service, the summary) so the later survey engine
replaces it without touching the rest of events: the pages and the API read ``QUESTIONS`` and
call ``feedback_record`` / ``feedback_summary`` only.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.validation import validate_fields

from .events_models import EventFeedback, RegistrationStatus
from .events_services import _require_manager


@dataclass(frozen=True)
class Question:
    name: str
    label: object
    required: bool


QUESTIONS = (
    Question("overall", gettext_lazy("How satisfied were you with the event?"), True),
    Question("usefulness", gettext_lazy("How useful was what you heard?"), False),
)
SCORES = (1, 2, 3, 4, 5)


def _score(value, question):
    if value in (None, ""):
        if question.required:
            raise ApplicationError(_("Give a score from 1 to 5."), field=question.name)
        return None
    try:
        score = int(value)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Give a score from 1 to 5."), field=question.name) from exc
    if score not in SCORES:
        raise ApplicationError(_("Give a score from 1 to 5."), field=question.name)
    return score


@transaction.atomic
def feedback_record(*, by, registration, overall, usefulness=None, comment: str = ""):
    """One attendee's answers, recorded by the event's staff (after a call or on paper).
    Only an attendee answers; once per attendee."""
    _require_manager(by, registration.event)
    if registration.status != RegistrationStatus.ATTENDED:
        raise Conflict(_("Only an attendee can rate the event."), code="not_attended")
    feedback = EventFeedback(
        company_id=registration.company_id,
        project_id=registration.project_id,
        registration=registration,
        overall=_score(overall, QUESTIONS[0]),
        usefulness=_score(usefulness, QUESTIONS[1]),
        comment=(comment or "").strip(),
        recorded_by=by,
    )
    validate_fields(feedback, ["overall", "usefulness", "comment"])
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError as exc:
        raise Conflict(
            _("This attendee's satisfaction is already recorded."), code="feedback_exists"
        ) from exc
    record_event(
        by=by,
        verb="membership.event_feedback",
        target=registration,
        subject=registration.customer,
        details={"event": registration.event_id, "overall": feedback.overall},
    )
    return feedback


def feedback_summary(event) -> dict:
    """SYSTEM READ of an event the caller shows: answers and the average of each question
    (figures, no person)."""
    row = (
        EventFeedback.objects.unscoped("figures of an event the caller checked")
        .filter(registration__event=event)
        .aggregate(answers=Count("pk"), overall=Avg("overall"), usefulness=Avg("usefulness"))
    )
    return {
        "answers": row["answers"],
        "overall": round(row["overall"], 1) if row["overall"] is not None else None,
        "usefulness": round(row["usefulness"], 1) if row["usefulness"] is not None else None,
    }

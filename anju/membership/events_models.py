"""Community events and lectures of the club (MEM-4): 社区活动, 讲座 such as a decoration lecture.

The flow of seed 004 (装修知识讲座): the club invites customers (a list or a customer filter),
each answers yes or no (RSVP: taken by staff from a call, or through the API), those who said
yes are on the registered list up to the event's capacity and on a waiting list after it, they
get a reminder of the time before the event, are checked in on the day (from a phone), earn
points for attending, and give their satisfaction.

One ``EventRegistration`` per (event, customer) carries the person through all of it; its
``status`` says where he is. Seats are the registered and the attended rows; every change of
them locks the event row first (``events_services``), so concurrent answers never put more
people on the registered list than the capacity.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.core.models import ProjectOwned
from anju.core.scope import ScopedQuerySet, ScopeSpec
from anju.core.validation import NOTE_LENGTH, NOTE_MAX_LENGTH

MAX_CAPACITY = 10_000
MAX_EVENT_POINTS = 100_000
MAX_REMINDER_HOURS = 14 * 24


class EventKind(models.TextChoices):
    LECTURE = "lecture", _("Lecture")  # 讲座, e.g. 装修知识讲座
    COMMUNITY = "community", _("Community event")  # 社区活动


class ClubEvent(ProjectOwned):
    """活动 One community event or lecture of one project's club, with a capacity."""

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=12, choices=EventKind.choices, default=EventKind.LECTURE
    )
    description = models.TextField(
        _("description"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )
    venue = models.CharField(_("venue"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(
        _("capacity"), validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    attendance_points = models.PositiveIntegerField(
        _("points for attending"),
        default=0,
        validators=[MaxValueValidator(MAX_EVENT_POINTS)],
        help_text=_("Credited once to each attendee at check-in; 0 for none."),
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder this many hours before"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REMINDER_HOURS)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A cancelled event (events_services.event_cancel) keeps its lists as history; nothing
    # more is recorded on it and its registrants were told.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.CharField(_("reason for the cancellation"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            # the list, newest first, at every scope level (as the other lists, issue 10)
            models.Index(fields=["-starts_at", "-id"], name="clubevent_newest_all"),
            models.Index(fields=["company", "-starts_at", "-id"], name="clubevent_newest_co"),
            models.Index(fields=["project", "-starts_at", "-id"], name="clubevent_newest_pr"),
            # the reminder task: events about to start
            models.Index(fields=["starts_at"], name="clubevent_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="clubevent_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="clubevent_capacity_positive"
            ),
        ]
        verbose_name = _("club event")
        verbose_name_plural = _("club events")

    def __str__(self):
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class RegistrationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")  # 已邀请, no answer yet
    REGISTERED = "registered", _("Signed up")  # 已报名, has a seat
    WAITING = "waiting", _("Waiting list")  # 候补, said yes when the event was full
    DECLINED = "declined", _("Declined")  # 不参加
    CANCELLED = "cancelled", _("Cancelled")  # 取消报名
    ATTENDED = "attended", _("Attended")  # 已签到


# The statuses that hold a seat: never more of them than the event's capacity.
SEATED = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)


class AnswerChannel(models.TextChoices):
    """How the customer's answer reached us (seed 004: the consultant calls, 回复是否参加)."""

    CALL = "call", _("Phone call")
    IN_PERSON = "in_person", _("In person")
    API = "api", _("API")
    WALK_IN = "walk_in", _("Walk-in at the event")


class EventRegistration(ProjectOwned):
    """One customer on one event's lists: invited → registered / waiting / declined →
    attended (or cancelled). Company and project are the event's; a consultant sees the
    rows of his own customers, the event's staff all of them."""

    event = models.ForeignKey(
        ClubEvent, verbose_name=_("event"), on_delete=models.PROTECT, related_name="registrations"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="event_registrations",
    )
    status = models.CharField(_("status"), max_length=12, choices=RegistrationStatus.choices)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_via = models.CharField(
        _("answered by"), max_length=10, choices=AnswerChannel.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The waiting list's order: when he joined it (first come, first promoted).
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    walk_in = models.BooleanField(_("walk-in"), default=False)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="customer__owner")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["event", "id"]
        constraints = [
            # one row per person and event: a second RSVP is a clear message, not a second row
            models.UniqueConstraint(fields=["event", "customer"], name="uniq_event_customer"),
        ]
        indexes = [
            # the event's lists by status (and the waiting list in its order), the counts
            models.Index(fields=["event", "status", "waiting_since", "id"], name="eventreg_list"),
            # the customer's events (360°, merge, PIPL)
            models.Index(fields=["customer", "-created_at"], name="eventreg_customer"),
        ]
        verbose_name = _("event registration")
        verbose_name_plural = _("event registrations")

    def __str__(self):
        return f"{self.customer_id} @ {self.event_id}: {self.status}"

    @property
    def consultant_id(self):
        """The customer's consultant, who may record his answer (the authz matrix asks)."""
        return self.customer.owner_id

    @property
    def holds_seat(self) -> bool:
        return self.status in SEATED


class EventFeedback(ProjectOwned):
    """满意度 One attendee's satisfaction with the event (see ``events_satisfaction``).

    Kept to the questions of ``events_satisfaction.QUESTIONS`` (1–5 each) and a comment, one
    per attendee; the later survey engine replaces this table and that module.
    """

    registration = models.OneToOneField(
        EventRegistration,
        verbose_name=_("registration"),
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    overall = models.PositiveSmallIntegerField(
        _("overall satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    usefulness = models.PositiveSmallIntegerField(
        _("usefulness"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(
        _("comment"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = ScopeSpec(company="company", project="project", owner="registration__customer__owner")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall__gte=1, overall__lte=5), name="feedback_overall_1_5"
            ),
            models.CheckConstraint(
                condition=Q(usefulness__isnull=True) | Q(usefulness__gte=1, usefulness__lte=5),
                name="feedback_usefulness_1_5",
            ),
        ]
        verbose_name = _("event feedback")
        verbose_name_plural = _("event feedback")

    def __str__(self):
        return f"{self.registration_id}: {self.overall}/5"

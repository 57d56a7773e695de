"""Scheduled care (MSG-4): a company's care settings and the record of each day's run.

Imported by ``models.py`` so Django finds the models; the rules live in ``care.py``.
"""

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned

from .models import BODY_MAX_LENGTH


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival (春节)")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival (中秋)")
    NATIONAL_DAY = "national_day", _("National Day (国庆)")
    VISIT_REMINDER = "visit_reminder", _("Reminder of a booked visit")


class Audience(models.TextChoices):
    # SPEC MSG-4 greets owners; a company may widen greetings to every customer it knows.
    BUYERS = "buyers", _("Customers who signed (and owners)")
    ALL = "all", _("All customers")


# The texts a company starts from; fields as in message templates (MSG-1). Greetings are
# marketing, so the system appends 回T退订 (care.py explains why).
DEFAULT_TEXTS = {
    Occasion.BIRTHDAY: "{称呼}，今天是您的生日，{公司}祝您生日快乐，幸福安康！",
    Occasion.SPRING_FESTIVAL: "{称呼}，新春快乐！{公司}恭祝您和家人新年吉祥，万事如意！",
    Occasion.MID_AUTUMN: "{称呼}，中秋快乐！{公司}祝您花好月圆，阖家团圆！",
    Occasion.NATIONAL_DAY: "{称呼}，国庆快乐！{公司}祝您假期愉快，出行平安！",
    Occasion.VISIT_REMINDER: "{称呼}，提醒您明天{时间}到{项目}销售中心看房，{顾问}恭候您的光临。",
}


def _text_field(occasion):
    return models.TextField(_("text"), max_length=BODY_MAX_LENGTH, default=DEFAULT_TEXTS[occasion])


class CareSettings(CompanyOwned):
    """A company's scheduled care (MSG-4): which occasions it sends, their texts, the hour.

    No row means care is off (nothing is sent until a manager turns an occasion on on the
    settings page, which writes the row).
    """

    birthday_enabled = models.BooleanField(_("birthday greetings"), default=False)
    birthday_text = _text_field(Occasion.BIRTHDAY)
    spring_festival_enabled = models.BooleanField(_("Spring Festival greetings"), default=False)
    spring_festival_text = _text_field(Occasion.SPRING_FESTIVAL)
    mid_autumn_enabled = models.BooleanField(_("Mid-Autumn greetings"), default=False)
    mid_autumn_text = _text_field(Occasion.MID_AUTUMN)
    national_day_enabled = models.BooleanField(_("National Day greetings"), default=False)
    national_day_text = _text_field(Occasion.NATIONAL_DAY)
    visit_reminder_enabled = models.BooleanField(_("reminders of booked visits"), default=False)
    visit_reminder_text = _text_field(Occasion.VISIT_REMINDER)
    send_hour = models.PositiveSmallIntegerField(
        _("send at (hour)"), default=10, validators=[MaxValueValidator(23)]
    )
    audience = models.CharField(
        _("greet"), max_length=10, choices=Audience.choices, default=Audience.BUYERS
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company"], name="uniq_care_settings_company")
        ]
        verbose_name = _("care settings")
        verbose_name_plural = _("care settings")

    def __str__(self):
        return f"care settings {self.company_id}"

    def enabled(self, occasion) -> bool:
        return bool(getattr(self, f"{occasion}_enabled"))

    def text(self, occasion) -> str:
        return getattr(self, f"{occasion}_text")


class CareRun(CompanyOwned):
    """One company's sends of one occasion on one day.

    The messages' idempotency keys make a second run send nothing twice; this row lets the
    hourly task skip a finished day without touching its customers again (at 1M customers a
    festival is a long walk). A run that died midway has no ``finished_at`` and is resumed.
    """

    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    on_date = models.DateField(_("date"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    queued = models.PositiveIntegerField(_("messages queued"), default=0)
    # customers whose text could not be filled in (a field without a value for them)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)

    class Meta:
        ordering = ["-on_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "occasion", "on_date"], name="uniq_care_run_day"
            )
        ]
        verbose_name = _("care run")
        verbose_name_plural = _("care runs")

    def __str__(self):
        return f"care {self.occasion} {self.on_date} @{self.company_id}"

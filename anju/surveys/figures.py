"""SUR-3: the figures of the answers — satisfaction rate, loyalty rate, net promoter score.

- 满意率 satisfaction rate: the share of the top two answers (4–5 of 5, 9–10 of 10) to the
  overall-satisfaction question; an indicator's rate likewise, per indicator.
- 忠诚度 loyalty rate: the share of respondents who would buy again *and* recommend.
- NPS: the share answering 9–10 minus the share answering 1–6 to the likelihood question.

Counted in the database per (touchpoint, company, year), two queries whatever the number of
answers; a group figure adds the companies' counts (never averages their rates). The rows
are the surveys the user sees; the rank of a company is among all the group's companies
(aggregates only, as the group publishes its ranking).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from anju.core.shares import percent

from .models import (
    Measure,
    QuestionKind,
    ResponseStatus,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

_TOP_TWO = Q(question__kind=QuestionKind.SCALE_5, score__gte=4) | Q(
    question__kind=QuestionKind.SCALE_10, score__gte=9
)


@dataclass
class Counts:
    asked: int = 0
    answered: int = 0
    satisfaction_total: int = 0
    satisfaction_top: int = 0
    loyalty_total: int = 0
    loyal: int = 0
    nps_total: int = 0
    promoters: int = 0
    detractors: int = 0

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def satisfaction_rate(self):
        return percent(self.satisfaction_top, self.satisfaction_total)

    @property
    def loyalty_rate(self):
        return percent(self.loyal, self.loyalty_total)

    @property
    def nps(self):
        if not self.nps_total:
            return None
        return percent(self.promoters - self.detractors, self.nps_total)

    @property
    def response_rate(self):
        return percent(self.answered, self.asked)


def _answers(responses):
    return SurveyAnswer.objects.filter(
        response__in=responses.values("pk"), response__status=ResponseStatus.ANSWERED
    )


def seen_responses(user, *, years, project=None):
    """The responses the figures count for ``user``: the ones he sees — by the customer's
    project, so a project's people count the company-wide surveys' answers of their project
    — of the years asked, of one project if chosen."""
    responses = SurveyResponse.objects.visible_to(user).filter(survey__year__in=years)
    return responses.filter(project=project) if project is not None else responses


def counts_by(responses) -> dict[tuple, Counts]:
    """(touchpoint, company id, year) → Counts, for the given responses (a queryset)."""
    table: dict[tuple, Counts] = {}
    keys = ("response__survey__touchpoint", "response__company_id", "response__survey__year")
    answers = (
        _answers(responses)
        .values(*keys)
        .annotate(
            satisfaction_total=Count("pk", filter=Q(question__measure=Measure.SATISFACTION)),
            satisfaction_top=Count(
                "pk", filter=Q(question__measure=Measure.SATISFACTION) & _TOP_TWO
            ),
            nps_total=Count("pk", filter=Q(question__measure=Measure.NPS)),
            promoters=Count("pk", filter=Q(question__measure=Measure.NPS, score__gte=9)),
            detractors=Count("pk", filter=Q(question__measure=Measure.NPS, score__lte=6)),
        )
        .order_by()
    )
    for row in answers:
        key = tuple(row[k] for k in keys)
        counts = table.setdefault(key, Counts())
        for name in ("satisfaction_total", "satisfaction_top", "nps_total"):
            setattr(counts, name, row[name])
        counts.promoters, counts.detractors = row["promoters"], row["detractors"]

    def said(measure, yes=None):
        answers = SurveyAnswer.objects.filter(response=OuterRef("pk"), question__measure=measure)
        return Exists(answers.filter(score=1) if yes else answers)

    loyal = said(Measure.BUY_AGAIN, yes=True) & said(Measure.RECOMMEND, yes=True)
    both = said(Measure.BUY_AGAIN) & said(Measure.RECOMMEND)
    answered = Q(status=ResponseStatus.ANSWERED)
    responses = (
        responses.values("survey__touchpoint", "company_id", "survey__year")
        .annotate(
            asked=Count("pk"),
            answered=Count("pk", filter=answered),
            loyalty_total=Count("pk", filter=answered & Q(both)),
            loyal=Count("pk", filter=answered & Q(loyal)),
        )
        .order_by()
    )
    for row in responses:
        key = (row["survey__touchpoint"], row["company_id"], row["survey__year"])
        counts = table.setdefault(key, Counts())
        counts.asked, counts.answered = row["asked"], row["answered"]
        counts.loyalty_total, counts.loyal = row["loyalty_total"], row["loyal"]
    return table


@dataclass
class CompanyLine:
    company_id: int
    name: str
    counts: Counts
    last_year: Counts | None
    rank: int | None = None  # by satisfaction rate among the group's companies

    @property
    def change(self):
        """Year-on-year change of the satisfaction rate, in points."""
        now, before = (
            self.counts.satisfaction_rate,
            getattr(self.last_year, "satisfaction_rate", None),
        )
        return None if now is None or before is None else now - before


@dataclass
class TouchpointFigures:
    touchpoint: str
    label: str
    group: Counts  # everything the user sees
    group_last_year: Counts
    companies: list[CompanyLine] = field(default_factory=list)
    whole_group: Counts = field(default_factory=Counts)  # every company: the 集团 figure

    @property
    def change(self):
        now, before = self.group.satisfaction_rate, self.group_last_year.satisfaction_rate
        return None if now is None or before is None else now - before


def yearly_figures(user, *, year: int, project=None) -> list[TouchpointFigures]:
    """Per touchpoint: the figures of the year and the last, per company the user sees (with
    its rank among all companies) and for everything he sees together."""
    from anju.org.models import Company

    from .models import Touchpoint

    table = counts_by(seen_responses(user, years=(year, year - 1), project=project))
    everyone = counts_by(
        SurveyResponse.objects.unscoped("the group's ranking: aggregate figures only").filter(
            survey__year=year
        )
    )
    names = dict(Company.objects.unscoped("company names of the figures").values_list("pk", "name"))
    result = []
    for touchpoint, label in Touchpoint.choices:
        group, before = Counts(), Counts()
        lines = []
        for (tp, company_id, y), counts in table.items():
            if tp != touchpoint:
                continue
            (group if y == year else before).add(counts)
            if y == year:
                last = table.get((tp, company_id, year - 1))
                lines.append(CompanyLine(company_id, names.get(company_id, ""), counts, last))
        if not lines and not before.asked:
            continue
        ranking = sorted(
            (
                (counts.satisfaction_rate, company_id)
                for (tp, company_id, _y), counts in everyone.items()
                if tp == touchpoint and counts.satisfaction_rate is not None
            ),
            reverse=True,
        )
        rank_of = {company_id: n for n, (_rate, company_id) in enumerate(ranking, start=1)}
        for line in lines:  # a company's rank, not a project's: none for one project
            line.rank = rank_of.get(line.company_id) if project is None else None
        lines.sort(key=lambda line: (line.rank or 10**6, line.name))
        whole = Counts()
        for (tp, _company, _y), counts in everyone.items():
            if tp == touchpoint:
                whole.add(counts)
        result.append(TouchpointFigures(touchpoint, str(label), group, before, lines, whole))
    return result


def indicator_rates(user, *, year: int, touchpoint: str, project=None):
    """(question text, answers, satisfaction rate) of each indicator of the touchpoint's
    questionnaires in the year, in questionnaire order (one query)."""
    responses = seen_responses(user, years=(year,), project=project).filter(
        survey__touchpoint=touchpoint
    )
    rows = (
        _answers(responses)
        .filter(question__measure__in=(Measure.INDICATOR, Measure.SATISFACTION))
        .values("question__text")
        .annotate(total=Count("pk"), top=Count("pk", filter=_TOP_TWO))
        .order_by("question__text")
    )
    order = {}
    questions = SurveyQuestion.objects.filter(template__touchpoint=touchpoint)
    for text, position in questions.values_list("text", "position"):
        order.setdefault(text, position)
    lines = [
        (row["question__text"], row["total"], percent(row["top"], row["total"])) for row in rows
    ]
    return sorted(lines, key=lambda line: order.get(line[0], 999))


def _rate(value):
    return "" if value is None else float(value)


def workbook_sheets(user, *, year: int, project=None):
    """The figures as (sheet title, lines) for ``core.exports.xlsx_book_file``."""
    from django.utils.translation import gettext as _

    head = [
        _("Touchpoint"),
        _("Company"),
        _("Rank"),
        _("Satisfaction rate"),
        _("Change on last year"),
        _("Loyalty rate"),
        "NPS",
        _("Answers received"),
        _("Asked"),
    ]
    lines = [
        [f"{_('Satisfaction and loyalty')} {year}" + (f" · {project.name}" if project else "")]
    ]
    lines.append(head)
    for tp in yearly_figures(user, year=year, project=project):
        rows = [(line.name, line.rank, line.counts, line.change) for line in tp.companies]
        rows.append((_("All you see"), None, tp.group, tp.change))
        for name, rank, counts, change in rows:
            lines.append(
                [
                    tp.label,
                    name,
                    rank or "",
                    _rate(counts.satisfaction_rate),
                    _rate(change),
                    _rate(counts.loyalty_rate),
                    _rate(counts.nps),
                    counts.answered,
                    counts.asked,
                ]
            )
    indicators = [[_("Touchpoint"), _("Indicator"), _("Satisfaction rate"), _("Answers")]]
    from .models import Touchpoint

    for value, label in Touchpoint.choices:
        for text, total, rate in indicator_rates(
            user, year=year, touchpoint=value, project=project
        ):
            indicators.append([str(label), text, _rate(rate), total])
    return [(_("Satisfaction and loyalty"), lines), (_("Indicators"), indicators)]

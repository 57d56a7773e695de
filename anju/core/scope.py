"""Data scope (ORG-2): the one place that decides which rows a user may see.

Every business model declares how it belongs to the organisation::

    class Unit(models.Model):
        scope = ScopeSpec(company="company", project="project")
        objects = ScopedQuerySet.as_manager()

and every page, search, export, report and API endpoint reads through
``Model.objects.visible_to(user)`` (usually inside a selector). An out-of-scope row is simply
not in the queryset, so a direct URL answers 404 exactly like a missing id.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.http import Http404

from .roles import ROLE_SCOPE, ScopeLevel


@dataclass(frozen=True)
class ScopeSpec:
    """Field paths from a model to its company, project and owning user (None: not applicable)."""

    company: str = "company"
    project: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Grant:
    level: ScopeLevel
    company_id: int | None
    project_id: int | None


def grants_for(user) -> list[Grant]:
    """The user's role assignments as scope grants, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_anju_grants", None)
    if cached is None:
        if user.is_superuser:
            cached = [Grant(ScopeLevel.ALL, None, None)]
        else:
            cached = [
                Grant(ROLE_SCOPE[a.role], a.company_id, a.project_id)
                for a in user.role_assignments.all()
            ]
        user._anju_grants = cached
    return cached


def forget_grants(user) -> None:
    """Call after changing a user's roles so the next check reads them again."""
    user.__dict__.pop("_anju_grants", None)


def sees_everything(user) -> bool:
    return any(g.level == ScopeLevel.ALL for g in grants_for(user))


def scope_filter(spec: ScopeSpec, user) -> Q | None:
    """A Q selecting what ``user`` may see of a model with ``spec``; None means everything."""
    grants = grants_for(user)
    if any(g.level == ScopeLevel.ALL for g in grants):
        return None
    companies, projects, owned_in = set(), set(), set()
    for g in grants:
        if g.level == ScopeLevel.COMPANY:
            companies.add(g.company_id)
        elif g.level == ScopeLevel.OWN and spec.owner:
            owned_in.add(g.company_id)
        elif spec.project and g.project_id:
            projects.add(g.project_id)  # project roles, and own-roles on records without owner
        else:
            companies.add(g.company_id)  # the record has no project: the company is the unit
    q = Q(pk__in=[])
    if companies:
        q |= Q(**{f"{spec.company}__in": sorted(companies)})
    if projects:
        q |= Q(**{f"{spec.project}__in": sorted(projects)})
    if owned_in:
        q |= Q(**{spec.owner: user.pk, f"{spec.company}__in": sorted(owned_in)})
    return q


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        spec = getattr(self.model, "scope", None)
        if spec is None:
            raise TypeError(f"{self.model.__name__} declares no scope = ScopeSpec(...)")
        q = scope_filter(spec, user)
        if q is None:
            return self.all()
        if not grants_for(user):
            return self.none()
        return self.filter(q)


def get_visible_or_404(queryset, user, **lookup):
    """Fetch one row the user may see, or raise Http404 (out of scope looks like missing)."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset.objects.all()
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("not found") from exc


def can_see(user, obj) -> bool:
    return type(obj).objects.visible_to(user).filter(pk=obj.pk).exists()

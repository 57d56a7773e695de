"""Data scope (ORG-2): the one place that decides which rows a user may see.

Every business model declares how it belongs to the organisation::

    class Unit(models.Model):
        scope = ScopeSpec(company="company", project="project")
        objects = ScopedQuerySet.as_manager()

and every page, search, export, report and API endpoint reads through
``Model.objects.visible_to(user)`` (usually inside a selector). An out-of-scope row is simply
not in the queryset, so a direct URL answers 404 exactly like a missing id.

Scope is structural (issue 7 item 6, like NetBox's restricted querysets): inside a request
(``ScopeMiddleware`` switches *strict mode* on) a ``ScopedQuerySet`` refuses to be read unless
a scope decision was made — ``visible_to(user)``, or ``unscoped("why")`` for system work
(numbering, event writing, a service locking a row its caller already scoped). A forgotten
``visible_to`` is a ``ScopeNotDecided`` error in every test that opens the page, not a leak.
Reads through a parent's related manager (``customer.phones.all()``, ``prefetch_related``)
count as decided: the parent was read through a decision. A queryset used only as a subquery
(``pk__in=qs``, ``Exists(qs)``) is never fetched on its own, so it needs no decision; the
outer query does. Outside requests (management commands, tasks, migrations, test set-up)
strict mode is off unless ``strict_scope()`` turns it on. A forward foreign key
(``call.customer``) and the audit log's diff read through Django's base manager: the row
holding the key was itself read through a decision.
"""

from contextlib import contextmanager
from contextvars import ContextVar
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
    getattr(user, "_prefetched_objects_cache", {}).pop("role_assignments", None)


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


_strict = ContextVar("anju_scope_strict", default=False)

VISIBLE_TO = "visible_to"


class ScopeNotDecided(RuntimeError):
    """A scoped model was read in strict mode without visible_to(user) or unscoped('why')."""


def scope_is_strict() -> bool:
    return _strict.get()


@contextmanager
def strict_scope(on: bool = True):
    """Require a scope decision for every scoped read inside the block (or lift it: on=False).

    ``ScopeMiddleware`` wraps every request in it; tests use it directly, and so may a
    background task acting for one user.
    """
    token = _strict.set(on)
    try:
        yield
    finally:
        _strict.reset(token)


@contextmanager
def unscoped_reads(reason: str):
    """System work a framework does through the default manager, inside a request.

    For code we do not own that reads ``Model._default_manager`` (uniqueness validation,
    the session's user); our own code says ``.unscoped("why")`` on the queryset instead.
    """
    _require_reason(reason)
    with strict_scope(False):
        yield


def _require_reason(reason) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise TypeError("unscoped() needs the reason as a non-empty string")


class ScopedQuerySet(models.QuerySet):
    """A queryset that, in strict mode, is read only after a scope decision (issue 7 item 6)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_decision = None

    def _clone(self):
        clone = super()._clone()
        clone._scope_decision = self._scope_decision
        return clone

    def visible_to(self, user):
        spec = getattr(self.model, "scope", None)
        if spec is None:
            raise TypeError(f"{self.model.__name__} declares no scope = ScopeSpec(...)")
        q = scope_filter(spec, user)
        if q is None:
            qs = self.all()
        elif not grants_for(user):
            qs = self.none()
        else:
            qs = self.filter(q)
        qs._scope_decision = VISIBLE_TO
        return qs

    def unscoped(self, reason: str):
        """Every row, on purpose: system work, named so review and grep find it."""
        _require_reason(reason)
        qs = self.all()
        qs._scope_decision = reason
        return qs

    def none(self):
        qs = super().none()
        qs._scope_decision = qs._scope_decision or "none(): there is nothing to read"
        return qs

    @property
    def scope_decision(self):
        """None, "visible_to", or the reason given to unscoped()."""
        if self._scope_decision is None and self._hints.get("instance") is not None:
            return "related manager of a row already read"
        return self._scope_decision

    def _check_scope(self):
        if self.scope_decision is None and _strict.get():
            name = self.model.__name__
            raise ScopeNotDecided(
                f"{name} read without visible_to(user) or unscoped('why') (issue 7 item 6)"
            )

    # Every way a queryset reaches the database goes through one of these.
    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def _iterator(self, *args, **kwargs):
        self._check_scope()
        return super()._iterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._check_scope()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def explain(self, *args, **kwargs):
        self._check_scope()
        return super().explain(*args, **kwargs)

    def raw(self, raw_query, params=(), translations=None, using=None):
        # Raw SQL cannot be scoped by visible_to: only ever as unscoped("why").raw(...).
        self._check_scope()
        return super().raw(raw_query, params, translations, using)

    def update(self, **kwargs):
        self._check_scope()
        return super().update(**kwargs)

    update.alters_data = True

    def _update(self, values):
        self._check_scope()
        return super()._update(values)

    _update.alters_data = True
    _update.queryset_only = True

    def delete(self):
        self._check_scope()
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        # Like save(): the caller holds the rows, so no read of anyone else's happens here.
        qs = self.all()
        qs._scope_decision = "bulk_update of rows the caller holds"
        return super(ScopedQuerySet, qs).bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


class ScopedModel:
    """Mixin for every scoped model (before ``models.Model``): validation sees every row.

    Uniqueness and constraint checks (``full_clean``, every ModelForm) read the default
    manager; whether a code or a name is taken is decided across the whole table, whoever
    asks — the same system work a service's ``.unscoped("…").exists()`` check does.
    """

    def validate_unique(self, exclude=None):
        with unscoped_reads("uniqueness is checked across every row"):
            super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude=None):
        with unscoped_reads("constraints are checked across every row"):
            super().validate_constraints(exclude=exclude)


def get_visible_or_404(queryset, user, **lookup):
    """Fetch one row the user may see, or raise Http404 (out of scope looks like missing)."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset.objects.all()
    try:
        obj = queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("not found") from exc
    _seen_by(obj)[getattr(user, "pk", None)] = True  # read through visible_to just now
    return obj


def relock_or_404(queryset, row):
    """``row`` read again through ``queryset`` (a ``select_for_update`` one), or Http404 when
    it was deleted between the caller's scoped read and this lock: a concurrent delete (two
    administrators, or an API client with two connections) is a missing row, not a 500."""
    try:
        return queryset.get(pk=row.pk)
    except queryset.model.DoesNotExist as exc:
        raise Http404("deleted meanwhile") from exc


def can_see(user, obj, *, remember=False) -> bool:
    """Does ``visible_to(user)`` include ``obj``?

    A row read through ``get_visible_or_404`` is known to be visible: no query (issue 10,
    the 360° page asked three times). ``remember=True`` keeps the answer on the row for the
    rest of the request — for reads; a service deciding a write asks the database afresh.
    """
    seen = _seen_by(obj)
    key = getattr(user, "pk", None)
    if key in seen:
        return seen[key]
    visible = type(obj).objects.visible_to(user).filter(pk=obj.pk).exists()
    if remember:
        seen[key] = visible
    return visible


def _seen_by(obj) -> dict:
    """{user id: visible?} remembered on the loaded row (dies with the row, i.e. the request)."""
    return obj.__dict__.setdefault("_seen_by", {})


def sees_loaded(user, obj) -> bool:
    """Would ``visible_to(user)`` include ``obj``? Decided from the row already loaded.

    The same rule as ``scope_filter``, evaluated in Python on the ids the row carries, so a
    list can decide per row whether to link to a record without one query per row (issue 9
    item 4: never render a link the viewer cannot follow). Paths through a relation
    (``customer__project``) read that relation: select it with the row.
    """
    spec = getattr(type(obj), "scope", None)
    if obj is None or spec is None:
        return False
    grants = grants_for(user)
    if any(g.level == ScopeLevel.ALL for g in grants):
        return True
    company = _id_at(obj, spec.company)
    project = _id_at(obj, spec.project)
    owner = _id_at(obj, spec.owner)
    for g in grants:
        if g.level == ScopeLevel.COMPANY:
            seen = company == g.company_id
        elif g.level == ScopeLevel.OWN and spec.owner:
            seen = owner == user.pk and company == g.company_id
        elif spec.project and g.project_id:
            seen = project == g.project_id
        else:
            seen = company == g.company_id
        if seen:
            return True
    return False


def _id_at(obj, path):
    """The id at the end of a ``scope`` field path ("customer__project" → customer.project_id)."""
    if not path:
        return None
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None) if last != "pk" else obj.pk

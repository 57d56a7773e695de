"""The Django admin reads scoped models through an explicit decision too (issue 7 item 6).

The admin is a privileged system path, but it still runs inside a request, so strict scope
applies: every ``ModelAdmin`` of a scoped model inherits ``ScopedModelAdmin`` (inlines and
other bases: ``ScopedAdminMixin`` first). Its rows, the choices of its foreign keys and the choices of its
list filters are what ``visible_to(request.user)`` returns — for the administrator that is
everything, for any other staff account its own scope. Form validation (uniqueness across
every row, a raw-id field's label) is the framework's system work and is said so.
"""

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.filters import FieldListFilter, RelatedFieldListFilter

from .scope import ScopedQuerySet, unscoped_reads


def is_scoped(model) -> bool:
    return isinstance(model._default_manager.all(), ScopedQuerySet)


class _UnscopedLabelRawIdWidget(widgets.ForeignKeyRawIdWidget):
    def label_and_url_for_value(self, value):
        with unscoped_reads("the admin labels the id stored on a row it showed"):
            return super().label_and_url_for_value(value)


def _validating_everywhere(form_class):
    """The form class, with validation (uniqueness: every row) as declared system work."""

    def full_clean(self):
        with unscoped_reads("admin form validation: uniqueness is checked across every row"):
            super(form, self).full_clean()

    form = type(form_class.__name__, (form_class,), {"full_clean": full_clean})
    return form


class ScopedAdminMixin:
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if is_scoped(db_field.remote_field.model):
            if "queryset" not in kwargs:
                kwargs["queryset"] = self._choices(db_field, request, kwargs.get("using"))
            if "widget" not in kwargs and db_field.name in self.raw_id_fields:
                kwargs["widget"] = _UnscopedLabelRawIdWidget(
                    db_field.remote_field, self.admin_site, using=kwargs.get("using")
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and is_scoped(db_field.remote_field.model):
            kwargs["queryset"] = self._choices(db_field, request, kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _choices(self, db_field, request, using):
        """What the user may see, in the related admin's ordering as Django would use."""
        queryset = self.get_field_queryset(using, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(using)
        return queryset.visible_to(request.user)

    def get_form(self, request, obj=None, **kwargs):  # ModelAdmin
        return _validating_everywhere(super().get_form(request, obj, **kwargs))

    def get_formset(self, request, obj=None, **kwargs):  # inlines
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _validating_everywhere(formset.form)
        return formset


class ScopedModelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A list filter on a relation to a scoped model offers only rows the user may see."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        queryset = field.remote_field.model._default_manager.visible_to(request.user)
        limit = field.get_limit_choices_to()
        if limit:
            queryset = queryset.complex_filter(limit)
        if ordering:
            queryset = queryset.order_by(*ordering)
        to_field = field.remote_field.get_related_field().attname
        return [(getattr(row, to_field), str(row)) for row in queryset]


FieldListFilter.register(
    lambda f: (
        bool(getattr(f, "remote_field", None))
        and not f.auto_created
        and is_scoped(f.remote_field.model)
    ),
    ScopedRelatedFieldListFilter,
    take_priority=True,
)

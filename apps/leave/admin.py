"""Leave in the Django admin: requests (asked for through the service, decided by Approve /
Reject / Cancel buttons and bulk actions through the one transition path, their log inline and
read-only), entitlements (written through the services), the read-only leave log, and the leave
calendar (employees × weeks of an org unit's subtree) linked from the requests' list.

HR admins (staff, role admin, or superusers) see and do everything here. Managers who are
staff see the requests and entitlements of their scope and decide requests in it; the
transition path decides every transition anyway (a manager does not decide their own)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from rest_framework.exceptions import APIException

from apps.core.admin import RecordedHistoryMixin
from apps.demand.admin import is_hr_admin
from apps.fsm.admin import ReadOnlyLogAdmin, TransitionAdminMixin
from apps.leave import services
from apps.leave.admin_views import (
    apply_transition,
    leave_calendar_decide_view,
    leave_calendar_view,
    refusal_text,
)
from apps.leave.models import LeaveEntitlement, LeaveRequest, LeaveTransitionLog
from apps.users.models import User
from apps.users.permissions import acting_user

REQUEST_FIELDS = ("employee", "kind", "start_date", "end_date", "hours", "note")
SHOWN_FIELDS = (
    "employee",
    "kind",
    "start_date",
    "end_date",
    "hours",
    "hours_given",
    "note",
    "state",
    "balance",
    "ledger_entry",
    "created_by",
    "created_at",
    "updated_at",
)
ENTITLEMENT_FIELDS = ("employee", "year", "kind", "hours", "note")


def is_staff_manager(user: User | AnonymousUser) -> bool:
    """A manager who may log in to the admin: sees the leave of their scope."""
    return bool(user.is_active and user.is_staff and getattr(user, "is_manager", False))


def may_use_leave_admin(user: User | AnonymousUser) -> bool:
    return is_hr_admin(user) or is_staff_manager(user)


def scoped(queryset: QuerySet[Any], user: User | AnonymousUser) -> QuerySet[Any]:
    """What `user` may see of `queryset` (superusers everything)."""
    return queryset if user.is_superuser else queryset.visible_to(user)  # type: ignore[attr-defined]


class ServiceRefused(Exception):
    """A service refused an admin's save after the form was valid (a race the form could not
    see): shown as a message on the form page, the transaction rolled back."""


class ServiceSaveMixin:
    """Turns ServiceRefused from save_model / delete_model into an error message instead of a
    500; the admin's changeform transaction rolls back whatever was begun."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc, no-any-return]
        except ServiceRefused as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path())


def _refused(exc: APIException) -> ServiceRefused:
    return ServiceRefused(refusal_text("save", exc).replace("save failed: ", "Not saved: ", 1))


# --- leave requests ----------------------------------------------------------------------------


class LeaveRequestAddForm(forms.ModelForm):  # type: ignore[type-arg]
    """Asking for leave in the admin: what `leave_request_create` takes. The hours default to
    what the contract delivers over the days; leave that starts in the past needs a reason."""

    hours = forms.DecimalField(
        required=False,
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Empty: what the employee's contract delivers over these days.",
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for leave that starts before today (HR admins only).",
    )

    class Meta:
        model = LeaveRequest
        fields = ("employee", "kind", "start_date", "end_date", "note")

    def clean(self) -> dict[str, Any]:
        """The service's checks of dates, employment and hours, as form errors (the overlap
        with other requests is checked when saving, under the employee's lock)."""
        data = super().clean() or {}
        employee, start, end = data.get("employee"), data.get("start_date"), data.get("end_date")
        if employee is None or start is None or end is None:
            return data
        if start < timezone.localdate() and not data.get("reason", "").strip():
            self.add_error("reason", "A reason is required to record leave in the past.")
        try:
            services.validated_request(
                employee, {name: data.get(name) for name in REQUEST_FIELDS if name in data}
            )
        except APIException as exc:
            raise forms.ValidationError(str(exc.detail)) from None
        return data


class LeaveTransitionLogInline(admin.TabularInline):  # type: ignore[type-arg]
    """The request's lifecycle, newest first; read-only (the log is append-only)."""

    model = LeaveTransitionLog
    fk_name = "subject"
    extra = 0
    can_delete = False
    fields = ("at", "transition", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields
    ordering = ("-at", "-id")
    verbose_name_plural = "history"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_leave_admin(request.user)  # whoever sees the request sees its log

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LeaveRequest)
class LeaveRequestAdmin(
    ServiceSaveMixin,
    RecordedHistoryMixin,
    TransitionAdminMixin,
    admin.ModelAdmin,  # type: ignore[type-arg]
):
    """Requests are asked for through `leave_request_create` and change state only through
    the transition path: no field is edited after the request."""

    list_display = (
        "id",
        "employee",
        "employee_number",
        "kind",
        "start_date",
        "end_date",
        "hours",
        "state",
    )
    list_filter = ("state", "kind", "employee__org_unit")
    search_fields = ("employee__first_name", "employee__last_name", "employee__employee_number")
    list_select_related = ("employee",)
    date_hierarchy = "start_date"
    autocomplete_fields = ("employee",)
    inlines = (LeaveTransitionLogInline,)
    actions = ("approve_selected", "reject_selected", "cancel_selected")
    change_list_template = "admin/leave/leaverequest/change_list.html"

    # --- who may do what

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_leave_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_leave_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing is edited; "change" is what the transition buttons and actions need.
        return may_use_leave_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_hr_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a request is cancelled, never deleted (its log refers to it)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LeaveRequest]:
        return scoped(super().get_queryset(request), request.user)

    # --- pages

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "calendar/",
                wrap(self.calendar_view),
                name="leave_leaverequest_calendar",
            ),
            path(
                "calendar/decide/",
                wrap(self.calendar_decide_view),
                name="leave_leaverequest_calendar_decide",
            ),
            *super().get_urls(),
        ]

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return leave_calendar_view(request, model_admin=self)

    def calendar_decide_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return leave_calendar_decide_view(request)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = LeaveRequestAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*REQUEST_FIELDS, "reason") if obj is None else SHOWN_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else SHOWN_FIELDS

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Only the transition buttons: there is nothing to save.
        context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description="employee number", ordering="employee__employee_number")
    def employee_number(self, obj: LeaveRequest) -> str:
        return obj.employee.employee_number

    @admin.display(description="balance (this kind, this year)")
    def balance(self, obj: LeaveRequest) -> str:
        figures = services.leave_balance(employee=obj.employee, year=obj.year, kind=obj.kind)
        return (
            f"entitled {figures['entitled']} h, approved {figures['approved']} h, "
            f"requested {figures['requested']} h, remaining {figures['remaining']} h"
        )

    # --- writes, through the services

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return  # every field is read-only: a change page only runs transitions
        data = form.cleaned_data
        fields = {name: data[name] for name in REQUEST_FIELDS if name in data}
        if fields.get("hours") is None:
            fields.pop("hours", None)
        try:
            saved = services.leave_request_create(
                actor=acting_user(request), reason=data.get("reason", ""), **fields
            )
        except APIException as exc:
            raise _refused(exc) from exc
        obj.pk = saved.pk
        obj.hours = saved.hours

    def _apply_fsm_transition(
        self, *, obj: Any, transition_name: str, request: HttpRequest, kwargs: Any = None
    ) -> bool:
        data = dict(kwargs or {})
        return apply_transition(
            request,
            obj,
            transition_name,
            reason=data.get("reason", ""),
            override=bool(data.get("override", False)),
        )

    def _decide(self, request: HttpRequest, queryset: QuerySet[LeaveRequest], name: str) -> None:
        verb = {"approve": "Approved", "reject": "Rejected", "cancel": "Cancelled"}[name]
        for leave in queryset.order_by("start_date", "id"):
            apply_transition(request, leave, name, reason=f"{verb} in the Django admin")

    @admin.action(description="Approve the selected requests", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[LeaveRequest]) -> None:
        self._decide(request, queryset, "approve")

    @admin.action(description="Reject the selected requests", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[LeaveRequest]) -> None:
        self._decide(request, queryset, "reject")

    @admin.action(description="Cancel the selected requests", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[LeaveRequest]) -> None:
        self._decide(request, queryset, "cancel")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "calendar_url": reverse("admin:leave_leaverequest_calendar"),
        }
        return super().changelist_view(request, context)


# --- entitlements ------------------------------------------------------------------------------


@admin.register(LeaveEntitlement)
class LeaveEntitlementAdmin(ServiceSaveMixin, RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Entitlements are written through the services (HR admins); staff managers read their
    scope's."""

    list_display = ("employee", "year", "kind", "hours", "updated_at")
    list_filter = ("year", "kind", "employee__org_unit")
    search_fields = ("employee__first_name", "employee__last_name", "employee__employee_number")
    list_select_related = ("employee",)
    autocomplete_fields = ("employee",)
    fields = ENTITLEMENT_FIELDS

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_leave_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_leave_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_hr_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_hr_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_hr_admin(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LeaveEntitlement]:
        return scoped(super().get_queryset(request), request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = acting_user(request)
        data = form.cleaned_data
        try:
            if change:
                changed = {n: data[n] for n in form.changed_data if n in ENTITLEMENT_FIELDS}
                saved = services.entitlement_update(entitlement=obj, actor=actor, **changed)
            else:
                fields = {n: data[n] for n in ENTITLEMENT_FIELDS if n in data}
                saved = services.entitlement_create(actor=actor, **fields)
        except APIException as exc:
            raise _refused(exc) from exc
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: LeaveEntitlement) -> None:
        services.entitlement_delete(entitlement=obj, actor=acting_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[LeaveEntitlement]) -> None:
        for entitlement in queryset.order_by("id"):
            services.entitlement_delete(entitlement=entitlement, actor=acting_user(request))


# --- the log -----------------------------------------------------------------------------------


@admin.register(LeaveTransitionLog)
class LeaveTransitionLogAdmin(ReadOnlyLogAdmin):
    """Read-only: who moved which request from which state to which."""

    search_fields = (  # type: ignore[assignment]
        *ReadOnlyLogAdmin.search_fields,
        "subject__employee__employee_number",
        "subject__employee__last_name",
    )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_leave_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_leave_admin(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[LeaveTransitionLog]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(subject__in=scoped(LeaveRequest.objects.all(), request.user))

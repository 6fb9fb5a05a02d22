"""Admin pieces shared by every lifecycle: transition buttons through the one transition path,
and the read-only admin of every log (and of pages that only report)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django_fsm.admin import FSMAdminMixin
from rest_framework.exceptions import APIException

from apps.core.admin import ReadOnlyAdmin
from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.services import transition_apply


class TransitionForm(forms.Form):
    """Why the transition is made; HR admins may override blocking business rules."""

    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    override = forms.BooleanField(
        required=False, help_text="Override business-rule errors (HR admins; reason required)."
    )


class TransitionAdminMixin(FSMAdminMixin):
    """django-fsm-2's buttons, but every transition runs through `transition_apply` with the
    admin as the actor, so it is checked, rule-evaluated and logged like an API transition."""

    fsm_fields = ["state"]

    def get_fsm_transition_form(self, transition: Any) -> type[forms.Form]:
        return TransitionForm

    def get_help_text(self, transition: Any) -> str:
        # Shown on the transition page and as the button's tooltip (else the text "None").
        return transition.custom.get("help_text") or f"New state: {transition.target}."

    def _apply_fsm_transition(
        self,
        *,
        obj: Any,
        transition_name: str,
        request: HttpRequest,
        kwargs: Any = None,
    ) -> bool:
        data = dict(kwargs or {})
        try:
            transition_apply(
                subject=obj,
                transition=transition_name,
                actor=request.user,
                reason=data.get("reason", ""),
                override=bool(data.get("override", False)),
            )
        except APIException as exc:
            text = f"{transition_name} failed: {exc.detail}"
            violations = getattr(exc, "violations", None)
            if violations:
                text += " — " + "; ".join(v.get("message", "") for v in violations)
            self.message_user(request, text, level=messages.ERROR)
            return False
        self.message_user(request, f"{transition_name} done.", level=messages.SUCCESS)
        return True


class ReadOnlyLogAdmin(ReadOnlyAdmin):
    """A transition log (TransitionLog): who moved which subject from which state to which."""

    list_display = ("at", "subject", "transition", "from_state", "to_state", "actor", "reason")
    list_filter = ("transition", "to_state", "from_state")
    search_fields = ("reason", "request_id", "hash")
    date_hierarchy = "at"
    list_select_related = ("subject", "actor")


@admin.register(EmployeeTransitionLog)
class EmployeeTransitionLogAdmin(ReadOnlyLogAdmin):
    search_fields = (  # type: ignore[assignment]
        *ReadOnlyLogAdmin.search_fields,
        "subject__employee_number",
        "subject__last_name",
    )

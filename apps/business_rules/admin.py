"""Business rules in the Django admin, with parameters validated against the kind."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from rest_framework import serializers

from apps.business_rules.kinds import kinds
from apps.business_rules.models import BusinessRule
from apps.business_rules.serializers import GUARDABLE
from apps.core.admin import RecordedHistoryMixin


class BusinessRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    kind = forms.ChoiceField(choices=[])

    class Meta:
        model = BusinessRule
        fields = ("code", "name", "kind", "params", "severity", "enabled", "scope", "transitions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, k) for k in sorted(kinds())]  # type: ignore[attr-defined]

    def clean_transitions(self) -> list[str]:
        value: list[str] = self.cleaned_data.get("transitions") or []
        unknown = sorted(set(value) - set(GUARDABLE))
        if unknown:
            raise forms.ValidationError(
                f"Unknown transition(s): {', '.join(unknown)}; known: {', '.join(GUARDABLE)}."
            )
        return sorted(set(value))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind in kinds():
            try:
                data["params"] = kinds()[kind].validate_params(data.get("params") or {})
            except serializers.ValidationError as exc:
                self.add_error("params", _messages(exc.detail))
        return data


def _messages(detail: Any) -> list[str]:
    """DRF error details as readable sentences ("max_hours: This field is required.")."""
    if isinstance(detail, dict):
        return [f"{name}: {text}" for name, sub in detail.items() for text in _messages(sub)]
    if isinstance(detail, list):
        return [text for item in detail for text in _messages(item)]
    return [str(detail)]


@admin.register(BusinessRule)
class BusinessRuleAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    form = BusinessRuleForm
    list_display = ("code", "name", "kind", "severity", "enabled", "scope")
    list_filter = ("kind", "severity", "enabled")
    search_fields = ("code", "name")
    autocomplete_fields = ("scope",)

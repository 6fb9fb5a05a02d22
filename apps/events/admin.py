"""Events and webhooks in the Django admin: the event outbox (read-only), subscriptions (written
through the services, so their changes are recorded with the admin as actor; the secret shown
once after a create or a rotation), deliveries with their attempts (dead letters filtered, retried
in bulk), a replay of a time range, and per-unit gap thresholds. A webhook disabled after a day
of failures is announced on every webhook page until someone turns it back on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from apps.core.admin import RecordedHistoryMixin
from apps.core.exceptions import ProblemError
from apps.events import services
from apps.events.models import Attempt, Delivery, Event, GapThreshold, Webhook

WEBHOOK_FIELDS = ("url", "description", "event_types", "org_unit", "active")


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "time", "type", "subject", "org_unit_id")
    list_filter = ("entity_type",)
    search_fields = ("uid", "type", "subject")
    date_hierarchy = "time"
    show_full_result_count = False


class WebhookForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.JSONField(
        required=False,
        initial=list,
        help_text='A JSON list of event types or prefixes ending in ".*"; [] for every event.',
    )

    class Meta:
        model = Webhook
        fields = WEBHOOK_FIELDS

    def clean(self) -> dict[str, Any]:
        """The API's checks: the SSRF guard on a new URL, and known event types."""
        data = super().clean() or {}
        try:
            if "url" in data and data["url"] != self.instance.url:
                services.check_url(data["url"])
            services.check_event_types(list(data.get("event_types") or []))
        except ProblemError as exc:
            raise forms.ValidationError(_problem_text(exc)) from None
        return data


class ReplayForm(forms.Form):
    since = forms.SplitDateTimeField(widget=AdminSplitDateTime)
    until = forms.SplitDateTimeField(widget=AdminSplitDateTime)


def _problem_text(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    return str(detail or exc)


@admin.register(Webhook)
class WebhookAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookForm
    list_display = (
        "id",
        "url",
        "active",
        "org_unit",
        "failing_since",
        "disabled_reason",
        "created_at",
    )
    list_filter = ("active",)
    search_fields = ("url", "description")
    readonly_fields = (
        "failing_since",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_by",
        "created_at",
        "links",
    )
    actions = ("rotate_secret", "send_test_ping")

    @admin.display(description="Deliveries")
    def links(self, obj: Webhook) -> Any:
        from django.utils.html import format_html

        if obj.pk is None:
            return "-"
        deliveries = reverse("admin:events_delivery_changelist")
        return format_html(
            '<a href="{}?webhook__id__exact={}">deliveries</a> · '
            '<a href="{}?webhook__id__exact={}&amp;state__exact=dead">dead letters</a> · '
            '<a href="{}">replay a time range</a>',
            deliveries,
            obj.pk,
            deliveries,
            obj.pk,
            reverse("admin:events_webhook_replay", args=[obj.pk]),
        )

    def _announce_disabled(self, request: HttpRequest) -> None:
        for webhook in Webhook.objects.filter(active=False).exclude(disabled_reason=""):
            messages.warning(
                request, f"Webhook {webhook.pk} ({webhook.url}) is off. {webhook.disabled_reason}"
            )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "GET":
            self._announce_disabled(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        fields = {n: form.cleaned_data[n] for n in WEBHOOK_FIELDS if n in form.cleaned_data}
        fields["event_types"] = fields.get("event_types") or []
        if change:
            saved = services.webhook_update(webhook=obj, actor=request.user, **fields)
        else:
            saved, secret = services.webhook_create(actor=request.user, **fields)
            messages.warning(request, f"The signing secret, shown this once: {secret}")
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Webhook) -> None:
        services.webhook_delete(webhook=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for webhook in queryset:
            services.webhook_delete(webhook=webhook, actor=request.user)

    @admin.action(description="Rotate the signing secret (the old one signs 24 h more)")
    def rotate_secret(self, request: HttpRequest, queryset: Any) -> None:
        for webhook in queryset:
            _, secret = services.webhook_rotate_secret(webhook=webhook, actor=request.user)
            messages.warning(
                request, f"Webhook {webhook.pk}: the new secret, shown this once: {secret}"
            )

    @admin.action(description="Send a test ping")
    def send_test_ping(self, request: HttpRequest, queryset: Any) -> None:
        for webhook in queryset:
            outcome = services.webhook_test(webhook=webhook)
            level = messages.SUCCESS if outcome.ok else messages.ERROR
            answer = outcome.status_code or outcome.error
            messages.add_message(
                request, level, f"Webhook {webhook.pk}: {answer} in {outcome.duration_ms} ms"
            )

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<int:pk>/replay/",
                self.admin_site.admin_view(self.replay_view),
                name="events_webhook_replay",
            )
        ]
        return own + super().get_urls()

    def replay_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Deliver again the events of a time range that the webhook takes."""
        webhook = self.get_object(request, str(pk))
        if webhook is None or not self.has_change_permission(request, webhook):
            return HttpResponseRedirect(reverse("admin:events_webhook_changelist"))
        now = timezone.now()
        form = ReplayForm(
            request.POST or None, initial={"since": now - dt.timedelta(days=1), "until": now}
        )
        if request.method == "POST" and form.is_valid():
            try:
                queued = services.webhook_replay(
                    webhook=webhook, actor=request.user, **form.cleaned_data
                )
            except ProblemError as exc:
                form.add_error(None, _problem_text(exc))
            else:
                messages.success(request, f"{queued} deliveries queued for webhook {webhook.pk}.")
                return HttpResponseRedirect(
                    reverse("admin:events_delivery_changelist")
                    + f"?webhook__id__exact={webhook.pk}"
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Replay events to {webhook.url}",
            "form": form,
            "webhook": webhook,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/events/replay.html", context)


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Attempt
    fields = ("at", "status_code", "duration_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Every delivery; `state: dead` lists the dead letters, retried with the action."""

    list_display = (
        "id",
        "webhook",
        "event",
        "subject",
        "state",
        "attempts",
        "last_status",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("state", "webhook")
    search_fields = ("subject", "event__uid", "event__type")
    list_select_related = ("webhook", "event")
    inlines = (AttemptInline,)
    actions = ("retry",)
    show_full_result_count = False

    @admin.action(description="Deliver again now (a fresh retry window)")
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        count = 0
        for row in queryset:
            try:
                services.delivery_retry(delivery_row=row, actor=request.user)
            except ProblemError as exc:
                messages.error(request, f"Delivery {row.pk}: {_problem_text(exc)}")
            else:
                count += 1
        messages.success(request, f"{count} deliveries queued again.")


@admin.register(GapThreshold)
class GapThresholdAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("org_unit", "hours")
    list_select_related = ("org_unit",)

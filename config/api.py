"""The v1 API router: every app's viewsets, and the history/ routes the audit read side adds to
the resources whose changes are logged."""

from django.urls import URLPattern, re_path
from rest_framework.routers import DefaultRouter

from apps.assignments.views import AssignmentViewSet
from apps.audit_log.views import AuditLogViewSet, HistoryAction
from apps.business_rules.views import BusinessRuleViewSet
from apps.calendars.views import CalendarDayViewSet, CalendarViewSet
from apps.core.viewsets import detail_action_view
from apps.demand.views import RequirementViewSet
from apps.events.views import EventFeedViewSet, WebhookViewSet
from apps.imports.views import ImportViewSet
from apps.leave.views import EntitlementViewSet, LeaveBalanceAction, LeaveRequestViewSet
from apps.offer.views import LedgerEntryViewSet
from apps.org.views import EmployeeViewSet, OrgUnitViewSet, PositionViewSet
from apps.tags.views import (
    CandidatesAction,
    EmployeeTagViewSet,
    PositionTagViewSet,
    TagChangeViewSet,
    TagViewSet,
)
from apps.users.views import UserViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("calendars", CalendarViewSet, basename="calendar")
router.register("calendar-days", CalendarDayViewSet, basename="calendar-day")
router.register("positions", PositionViewSet, basename="position")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("business-rules", BusinessRuleViewSet, basename="business-rule")
router.register("coverage-requirements", RequirementViewSet, basename="coverage-requirement")
router.register("hours-ledger", LedgerEntryViewSet, basename="ledger-entry")
router.register("audit-log", AuditLogViewSet, basename="audit-log")
router.register("tags", TagViewSet, basename="tag")
router.register("employee-tags", EmployeeTagViewSet, basename="employee-tag")
router.register("position-tags", PositionTagViewSet, basename="position-tag")
router.register("tag-changes", TagChangeViewSet, basename="tag-change")
router.register("leave-requests", LeaveRequestViewSet, basename="leave-request")
router.register("leave-entitlements", EntitlementViewSet, basename="leave-entitlement")
router.register("imports", ImportViewSet, basename="import")
router.register("events", EventFeedViewSet, basename="event")
router.register("webhooks", WebhookViewSet, basename="webhook")

# GET actions that higher apps add to lower apps' resources (apps.core.viewsets.
# detail_action_view): prefix -> [(action name, its mixin)]. The audit read side adds history/
# to each resource whose changes are logged; the tags app adds the candidates of a position,
# the leave app an employee's leave balance.
DETAIL_ACTIONS: dict[str, list[tuple[str, type]]] = {
    "users": [("history", HistoryAction)],
    "org-units": [("history", HistoryAction)],
    "calendars": [("history", HistoryAction)],
    "positions": [("history", HistoryAction), ("candidates", CandidatesAction)],
    "employees": [("history", HistoryAction), ("leave-balance", LeaveBalanceAction)],
    "assignments": [("history", HistoryAction)],
    "business-rules": [("history", HistoryAction)],
    "coverage-requirements": [("history", HistoryAction)],
    "tags": [("history", HistoryAction)],
    "employee-tags": [("history", HistoryAction)],
    "position-tags": [("history", HistoryAction)],
    "webhooks": [("history", HistoryAction)],
    "leave-requests": [("history", HistoryAction)],
    "leave-entitlements": [("history", HistoryAction)],
}

detail_action_urls: list[URLPattern] = [
    re_path(
        rf"^{prefix}/(?P<pk>[^/.]+)/{name}/$",
        detail_action_view(viewset, action, name),
        name=f"{basename}-{name}",
    )
    for prefix, viewset, basename in router.registry
    for name, action in DETAIL_ACTIONS.get(prefix, [])
]

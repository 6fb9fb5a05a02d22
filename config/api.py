"""The v1 API router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from apps.assignments.views import AssignmentViewSet
from apps.audit_log.views import AuditLogViewSet
from apps.business_rules.views import BusinessRuleViewSet
from apps.demand.views import RequirementViewSet
from apps.offer.views import LedgerEntryViewSet
from apps.org.views import EmployeeViewSet, OrgUnitViewSet, PositionViewSet
from apps.tags.views import EmployeeTagViewSet, PositionTagViewSet, TagChangeViewSet, TagViewSet
from apps.users.views import UserViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
router.register("org-units", OrgUnitViewSet, basename="org-unit")
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

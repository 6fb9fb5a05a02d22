from django.apps import AppConfig


class AuditLogConfig(AppConfig):
    """The read side of the audit trail: one stream over every log, and chain verification."""

    name = "apps.audit_log"
    label = "audit_log"

from django.apps import AppConfig


class LeaveConfig(AppConfig):
    """Leave requests with their lifecycle and log, entitlements and balances."""

    name = "apps.leave"
    label = "leave"

    def ready(self) -> None:
        from apps.business_rules.engine import register_subject
        from apps.fsm.lifecycles import Lifecycle, lifecycle_for, register
        from apps.leave.models import LeaveRequest, LeaveTransitionLog
        from apps.leave.rules import LeaveContext
        from apps.leave.selectors import leave_request_list, may_transition_leave
        from apps.leave.services import (
            REQUEST,
            cancel_leave_of_terminated,
            leave_employee_lock,
            reverse_ledger_entry,
            write_ledger_entry,
        )
        from apps.org.models import Employee

        lifecycle = register(
            Lifecycle(
                model=LeaveRequest,
                log_model=LeaveTransitionLog,
                visible_to=lambda user: leave_request_list(user=user),
                may_transition=may_transition_leave,
                lock_first=leave_employee_lock,
                logged_outside=(REQUEST,),
            )
        )
        lifecycle.on("approve", write_ledger_entry)
        lifecycle.on("cancel", reverse_ledger_entry)
        # Rules guard a request's approval: leave_balance and leave_opens_gap (apps.leave.rules).
        register_subject(LeaveRequest, LeaveContext)
        lifecycle_for(Employee).on("terminate", cancel_leave_of_terminated)

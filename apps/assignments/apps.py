from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    """Assignments of employees to positions, with their lifecycle and log."""

    name = "apps.assignments"
    label = "assignments"

    def ready(self) -> None:
        from apps.assignments.models import Assignment, AssignmentTransitionLog
        from apps.assignments.rules import AssignmentContext
        from apps.assignments.selectors import assignment_list, may_transition_assignment
        from apps.assignments.services import (
            assignment_employee_lock,
            end_open_assignments_of_terminated,
        )
        from apps.business_rules.engine import register_subject
        from apps.fsm.lifecycles import Lifecycle, lifecycle_for, register
        from apps.org.models import Employee

        register(
            Lifecycle(
                model=Assignment,
                log_model=AssignmentTransitionLog,
                visible_to=lambda user: assignment_list(user=user),
                may_transition=may_transition_assignment,
                lock_first=assignment_employee_lock,
                logged_outside=("propose", "update"),
            )
        )
        # Rules guard assignments: the hours and state kinds in apps.assignments.rules read them.
        register_subject(Assignment, AssignmentContext)
        lifecycle_for(Employee).on("terminate", end_open_assignments_of_terminated)

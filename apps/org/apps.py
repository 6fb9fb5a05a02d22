from django.apps import AppConfig


class OrgConfig(AppConfig):
    """The organisation: org-unit tree, positions and employees."""

    name = "apps.org"
    label = "org"

    def ready(self) -> None:
        from apps.fsm.lifecycles import Lifecycle, register
        from apps.fsm.models import EmployeeTransitionLog
        from apps.org.models import Employee
        from apps.org.selectors import employee_list, may_transition_employee

        register(
            Lifecycle(
                model=Employee,
                log_model=EmployeeTransitionLog,
                visible_to=lambda user: employee_list(user=user),
                may_transition=may_transition_employee,
            )
        )

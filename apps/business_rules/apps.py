from django.apps import AppConfig


class BusinessRulesConfig(AppConfig):
    """The rule catalogue, the evaluator kinds and the engine the transition path consults."""

    name = "apps.business_rules"
    label = "business_rules"

    def ready(self) -> None:
        from apps.business_rules.engine import transition_rule_hook
        from apps.fsm.lifecycles import register_rule_hook

        register_rule_hook(transition_rule_hook)

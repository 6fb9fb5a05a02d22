from django.apps import AppConfig


class TagsConfig(AppConfig):
    """Skills and certifications: the catalogue, who holds what, what positions need, the log."""

    name = "apps.tags"
    label = "tags"

    def ready(self) -> None:
        from apps.business_rules import context
        from apps.tags.rules import required_tag_violations

        # The rule engine's `required_tags` kind asks this hook; without the tags app it is a no-op.
        context.required_tags_checker = required_tag_violations

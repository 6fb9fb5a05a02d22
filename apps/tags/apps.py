from django.apps import AppConfig


class TagsConfig(AppConfig):
    """Skills and certifications: the catalogue, who holds what, what positions need, the log."""

    name = "apps.tags"
    label = "tags"

    def ready(self) -> None:
        from apps.org.serializers import employee_contributions
        from apps.tags import rules  # noqa: F401  (registers the `required_tags` rule kind)
        from apps.tags.selectors import employee_tag_summaries
        from apps.tags.serializers import EmployeeTagSummarySerializer

        # Every employee row (list and detail) shows the employee's tags, one query per page.
        employee_contributions.register(
            "tags",
            field=lambda: EmployeeTagSummarySerializer(many=True, read_only=True),
            load=employee_tag_summaries,
        )

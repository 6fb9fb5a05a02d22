from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "apps.imports"
    verbose_name = "Imports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every list with an import kind answers ?format=csv in that kind's columns.
        from apps.imports.exports import register_exports

        register_exports()

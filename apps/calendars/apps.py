from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "apps.calendars"
    verbose_name = "Working calendars"
    default_auto_field = "django.db.models.BigAutoField"

"""The organisation in the Django admin."""

from django.contrib import admin

from apps.org.models import OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "parent", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")
    readonly_fields = ("path",)

"""Demo working calendars for `manage.py seed_demo`: an office week (8 h Monday to Friday) with
the public holidays of Germany (Bavaria) for last, this and next year, and a round-the-clock
ward week; idempotent. They are not yet named by any org unit (hours are spread over calendar
days until reports follow calendars: issue 17)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from apps.calendars import services
from apps.calendars.models import WorkCalendar

COUNTRY, SUBDIVISION = "DE", "BY"


def seed_calendars() -> list[WorkCalendar]:
    year = timezone.localdate().year
    office = WorkCalendar.objects.filter(code="office").first() or services.calendar_create(
        code="office", name="Office (Mon-Fri, 8 h)"
    )
    services.holidays_generate(
        calendar=office,
        country=COUNTRY,
        subdivision=SUBDIVISION,
        from_year=year - 1,
        to_year=year + 1,
    )
    ward = WorkCalendar.objects.filter(code="ward-24-7").first() or services.calendar_create(
        code="ward-24-7", name="Ward (24/7)", week_hours=[Decimal("24")] * 7
    )
    return [office, ward]

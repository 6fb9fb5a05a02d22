"""Which webhooks an event goes to: active ones created before it, of a matching type (a type, a
prefix ending in `.*`, or all), about a subject in the webhook's org-unit subtree when it names
one (org-wide subjects, such as users, only to webhooks without a unit)."""

from __future__ import annotations

import pytest

from apps.events import services
from apps.events.models import Delivery, DispatchCursor, Event
from tests.events.conftest import dispatch_all
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "https://hooks.example.test/"


def _types(webhook) -> list[str]:
    return sorted(
        Event.objects.filter(
            id__in=Delivery.objects.filter(webhook=webhook).values("event_id")
        ).values_list("type", flat=True)
    )


def _subjects(webhook) -> set[str]:
    return set(Delivery.objects.filter(webhook=webhook).values_list("subject", flat=True))


def test_a_webhook_with_a_unit_gets_the_events_of_its_subtree_only(admin_user):
    top, other = make_unit("TOP"), make_unit("OTHER")
    child = make_unit("CHILD", parent=top)
    scoped, _ = services.webhook_create(url=URL, org_unit=top, actor=admin_user)
    everything, _ = services.webhook_create(url=URL + "all", actor=admin_user)
    inside = make_employee(child)
    outside = make_position(other)
    UserFactory()
    dispatch_all()
    assert f"employee/{inside.pk}" in _subjects(scoped)
    assert f"position/{outside.pk}" not in _subjects(scoped)
    assert not any(s.startswith("user/") for s in _subjects(scoped))
    assert {f"employee/{inside.pk}", f"position/{outside.pk}"} <= _subjects(everything)
    assert any(s.startswith("user/") for s in _subjects(everything))


def test_types_and_prefixes_choose_the_events(admin_user):
    exact, _ = services.webhook_create(
        url=URL, event_types=["coveris.position.created"], actor=admin_user
    )
    prefix, _ = services.webhook_create(
        url=URL, event_types=["coveris.org_unit.*"], actor=admin_user
    )
    unit = make_unit()
    make_position(unit)
    dispatch_all()
    assert _types(exact) == ["coveris.position.created"]
    assert set(_types(prefix)) == {"coveris.org_unit.created"}


def test_events_before_a_webhook_existed_or_while_it_is_off_are_not_sent(admin_user):
    make_unit("BEFORE")
    webhook, _ = services.webhook_create(url=URL, actor=admin_user)
    services.webhook_update(webhook=webhook, active=False, actor=admin_user)
    make_unit("WHILE_OFF")
    dispatch_all()
    assert not Delivery.objects.filter(webhook=webhook, subject__startswith="org_unit/").exists()
    services.webhook_update(webhook=webhook, active=True, actor=admin_user)
    after = make_unit("AFTER")
    dispatch_all()
    units = {s for s in _subjects(webhook) if s.startswith("org_unit/")}
    assert units == {f"org_unit/{after.pk}"}


def test_each_event_is_delivered_once_per_webhook_even_if_dispatched_twice(admin_user):
    webhook, _ = services.webhook_create(url=URL, actor=admin_user)
    make_unit()
    dispatch_all()
    count = Delivery.objects.filter(webhook=webhook).count()
    DispatchCursor.objects.update(xid=0, event_id=0)  # a dispatcher that lost its place
    dispatch_all()
    assert Delivery.objects.filter(webhook=webhook).count() == count

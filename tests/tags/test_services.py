"""The tag services called directly (as the admin does): employee and position tags share one
add / change / remove path, so each refusal below holds for both kinds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import Conflict, ProblemError
from apps.tags import services
from apps.tags.models import EmployeeTag, PositionTag, TagChangeLog
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag, need_tag

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 1)


@pytest.fixture
def unit():
    return make_unit()


@pytest.fixture
def forklift():
    return make_tag("forklift", category="licence")


def test_a_level_outside_one_to_five_is_refused_for_both_kinds(unit, forklift):
    employee, position = make_employee(unit), make_position(unit)
    with pytest.raises(ProblemError) as caught:
        services.employee_tag_add(
            employee=employee, tag=forklift, level=6, valid_from=JAN, actor=None
        )
    assert (caught.value.code, caught.value.extra["errors"]) == (
        "invalid_level",
        {"level": ["Levels run from 1 to 5."]},
    )
    row = need_tag(position, forklift)
    with pytest.raises(ProblemError) as caught:
        services.position_tag_change(position_tag=row, min_level=0, actor=None)
    assert caught.value.extra["errors"] == {"min_level": ["Levels run from 1 to 5."]}
    assert not EmployeeTag.objects.exists()
    assert PositionTag.objects.get().min_level == 1


def test_the_subject_and_the_tag_cannot_be_changed(unit, forklift):
    row = give_tag(make_employee(unit), forklift)
    with pytest.raises(ProblemError) as caught:
        services.employee_tag_change(employee_tag=row, tag=make_tag("sql"), actor=None)
    assert caught.value.code == "immutable"
    assert caught.value.extra["errors"] == {
        "tag": ["The employee and the tag of an employee tag cannot be changed."]
    }


def test_validity_ending_before_it_starts_is_refused_on_valid_until(unit, forklift):
    employee = make_employee(unit)
    with pytest.raises(ValidationError) as caught:
        services.employee_tag_add(
            employee=employee,
            tag=forklift,
            level=3,
            valid_from=JAN,
            valid_until=JAN - dt.timedelta(days=1),
            actor=None,
        )
    assert caught.value.message_dict == {"valid_until": ["valid_until is before valid_from."]}
    row = give_tag(employee, forklift, valid_from=JAN)
    with pytest.raises(ValidationError):
        services.employee_tag_change(
            employee_tag=row, valid_until=JAN - dt.timedelta(days=1), actor=None
        )
    assert EmployeeTag.objects.get().valid_until is None
    assert TagChangeLog.objects.count() == 1  # the add only


def test_moving_a_tag_onto_a_day_the_employee_already_holds_it_from_is_a_conflict(unit, forklift):
    employee = make_employee(unit)
    give_tag(employee, forklift, valid_from=JAN)
    later = give_tag(employee, forklift, valid_from=JAN + dt.timedelta(days=365))
    with pytest.raises(Conflict) as caught:
        services.employee_tag_change(employee_tag=later, valid_from=JAN, actor=None)
    assert caught.value.code == "duplicate_tag"
    assert str(caught.value.detail) == "The employee already holds forklift from 2026-01-01."
    assert EmployeeTag.objects.get(pk=later.pk).valid_from == JAN + dt.timedelta(days=365)


def test_a_row_gone_meanwhile_is_not_found_on_change_and_logged_once_on_removal(unit, forklift):
    row = need_tag(make_position(unit), forklift)
    services.position_tag_remove(position_tag=row, actor=None)
    services.position_tag_remove(position_tag=row, actor=None)
    assert [log.action for log in TagChangeLog.objects.order_by("id")] == ["add", "remove"]
    with pytest.raises(PositionTag.DoesNotExist):
        services.position_tag_change(position_tag=row, min_level=2, actor=None)

"""The write plumbing every service shares: model_update writes only what changed, and date
ranges are the models' own constraints, reported on the end field and held by the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.migrations.state import ModelState

from apps.core.constraints import DateRangeConstraint
from apps.core.services import model_update, model_validate
from apps.org.models import Employee, Position
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 5)


def unsaved_employee(**fields: object) -> Employee:
    defaults: dict[str, object] = {
        "employee_number": "E-1",
        "first_name": "Ann",
        "last_name": "Lee",
        "org_unit": make_unit(),
        "contract_hours": Decimal("20"),
        "hire_date": JAN,
    }
    return Employee(**{**defaults, **fields})


@pytest.fixture
def position() -> Position:
    return make_position(make_unit(), title="Nurse", start_date=JAN)


def test_nothing_changed_writes_nothing(position, django_assert_num_queries):
    stamp = position.updated_at
    with django_assert_num_queries(0):
        changed = model_update(instance=position, data={"title": "Nurse", "start_date": JAN})
    assert changed == []
    assert Position.objects.get(pk=position.pk).updated_at == stamp


def test_only_the_changed_fields_are_saved(position):
    # Someone else changes the hours meanwhile: saving the title must not write them back.
    Position.objects.filter(pk=position.pk).update(weekly_hours=Decimal("12.00"))
    stamp = position.updated_at

    changed = model_update(instance=position, data={"title": "Head nurse", "code": position.code})

    assert changed == ["title"]
    fresh = Position.objects.get(pk=position.pk)
    assert (fresh.title, fresh.weekly_hours) == ("Head nurse", Decimal("12.00"))
    assert fresh.updated_at > stamp


def test_fields_limits_what_may_change(position):
    changed = model_update(
        instance=position, fields=("title",), data={"title": "Porter", "active": False}
    )
    assert changed == ["title"]
    assert Position.objects.get(pk=position.pk).active is True


def test_a_state_field_is_not_settable():
    employee = make_employee(make_unit())
    with pytest.raises(TypeError, match="state"):
        model_update(instance=employee, data={"state": "active"})
    assert Employee.objects.get(pk=employee.pk).state == "candidate"


def test_an_invalid_change_is_not_saved(position):
    with pytest.raises(ValidationError) as caught:
        model_update(instance=position, data={"end_date": JAN - dt.timedelta(days=1)})
    assert caught.value.message_dict == {"end_date": ["The end date is before the start date."]}
    assert caught.value.error_dict["end_date"][0].code == "end_before_start"
    assert Position.objects.get(pk=position.pk).end_date is None


def test_field_errors_and_date_ranges_are_reported_together():
    employee = unsaved_employee(
        employee_number="", contract_hours=Decimal("200"), termination_date=JAN - dt.timedelta(1)
    )
    with pytest.raises(ValidationError) as caught:
        model_validate(employee)
    assert set(caught.value.message_dict) == {
        "employee_number",
        "contract_hours",
        "termination_date",
    }
    assert caught.value.message_dict["termination_date"] == [
        "The termination date is before the hire date."
    ]


def test_an_open_end_and_a_one_day_range_pass(position):
    assert model_update(instance=position, data={"end_date": JAN}) == ["end_date"]
    assert model_update(instance=position, data={"end_date": None}) == ["end_date"]


def test_the_database_refuses_a_range_the_services_would_refuse(position):
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.filter(pk=position.pk).update(end_date=JAN - dt.timedelta(days=1))


def test_migrations_see_a_plain_check_constraint():
    [constraint] = [c for c in Position._meta.constraints if isinstance(c, DateRangeConstraint)]
    path, args, kwargs = constraint.deconstruct()
    assert path == "django.db.models.CheckConstraint"
    assert kwargs["violation_error_code"] == "end_before_start"
    assert models.CheckConstraint(*args, **kwargs) == constraint
    state = ModelState.from_model(Position)
    assert constraint in state.options["constraints"]


def test_a_date_already_in_error_is_not_compared_again():
    employee = unsaved_employee(hire_date=None, termination_date=JAN)
    with pytest.raises(ValidationError) as caught:
        model_validate(employee)
    assert list(caught.value.message_dict) == ["hire_date"]

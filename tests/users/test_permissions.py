"""acting_user hands services the signed-in user of a request, never an anonymous one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from apps.users.permissions import RolePermission, acting_user

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().post("/api/v1/assignments/")
    request.user = user
    return request


def test_the_acting_user_of_a_signed_in_request_is_its_user(admin_user):
    assert acting_user(_request(admin_user)) == admin_user


def test_an_anonymous_request_has_no_acting_user():
    with pytest.raises(NotAuthenticated):
        acting_user(_request(AnonymousUser()))


def test_role_permission_never_lets_an_anonymous_user_write():
    request = Request(_request(AnonymousUser()))
    request.user = AnonymousUser()

    class View:
        action = "create"
        manager_actions = ("create",)

    assert RolePermission().has_object_permission(request, View(), object()) is False

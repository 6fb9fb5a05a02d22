"""users/: HR admins create accounts, give roles and manager scopes, and deactivate accounts."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.org.models import OrgUnit
from apps.users.models import Role, User
from tests.conftest import bearer
from tests.factories.users import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
STRONG = "plum-orchard-velvet-42"


def detail(user: User) -> str:
    return f"{USERS}{user.pk}/"


def org_unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.create(code=code, name=f"Unit {code}")
    unit.path = f"/{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def token_login(email: str, password: str = PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )


# --- Who may use users/ ----------------------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["as_manager", "as_auditor", "as_employee"])
def test_only_admins_may_list_users(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = client.get(USERS)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("client_fixture", ["as_manager", "as_auditor", "as_employee"])
def test_only_admins_may_create_users(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = client.post(
        USERS, {"email": "sneaky@example.test", "password": STRONG, "role": "admin"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="sneaky@example.test").exists()


@pytest.mark.parametrize("client_fixture", ["as_manager", "as_auditor", "as_employee"])
def test_only_admins_may_change_or_deactivate_users(request, client_fixture, admin_user):
    client = request.getfixturevalue(client_fixture)
    me = User.objects.exclude(pk=admin_user.pk).get()
    assert client.patch(detail(me), {"role": "admin"}).status_code == 403
    assert client.post(f"{detail(admin_user)}deactivate/").status_code == 403
    me.refresh_from_db()
    admin_user.refresh_from_db()
    assert me.role != Role.ADMIN
    assert admin_user.is_active


def test_anonymous_gets_401():
    response = APIClient().get(USERS)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_admin_by_cookie_needs_csrf_to_create(api_client, admin_user):
    from tests.conftest import cookie_login, csrf_header

    cookie_login(api_client, admin_user.email)
    payload = {"email": "c@example.test", "password": STRONG, "role": "employee"}
    assert api_client.post(USERS, payload, format="json").status_code == 403
    response = api_client.post(USERS, payload, format="json", **csrf_header(api_client))
    assert response.status_code == 201


# --- Create ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_admin_creates_a_user_with_a_role_who_can_then_log_in(as_admin, role):
    response = as_admin.post(
        USERS,
        {"email": "New.Person@Example.test", "password": STRONG, "role": role, "full_name": "N P"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "new.person@example.test"
    assert body["role"] == role
    assert body["full_name"] == "N P"
    assert body["is_active"] is True
    assert body["scope"] == []
    assert "password" not in body
    user = User.objects.get(pk=body["id"])
    assert user.is_staff is (role == Role.ADMIN)  # admins may use the Django admin
    assert not user.is_superuser
    login = token_login("new.person@example.test", STRONG)
    assert login.status_code == 200, login.json()


def test_duplicate_email_is_400_case_insensitive(as_admin, employee_user):
    response = as_admin.post(
        USERS, {"email": employee_user.email.upper(), "password": STRONG, "role": "employee"}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["email"] == ["A user with this email exists."]
    assert User.objects.filter(email__iexact=employee_user.email).count() == 1


@pytest.mark.parametrize(
    "password",
    ["short", "12345678901234", "password123", "new.person@example.test"],
    ids=["too-short", "numeric", "common", "like-the-email"],
)
def test_weak_password_is_400(as_admin, password):
    response = as_admin.post(
        USERS, {"email": "new.person@example.test", "password": password, "role": "employee"}
    )
    assert response.status_code == 400, response.json()
    assert response.json()["errors"]["password"]
    assert not User.objects.filter(email="new.person@example.test").exists()


def test_password_is_required_on_create(as_admin):
    response = as_admin.post(USERS, {"email": "n@example.test", "role": "employee"})
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


# --- Manager scope ---------------------------------------------------------------------------


def test_manager_is_created_with_a_scope(as_admin):
    north, south = org_unit("N"), org_unit("S")
    response = as_admin.post(
        USERS,
        {
            "email": "boss@example.test",
            "password": STRONG,
            "role": "manager",
            "scope": [north.pk, south.pk],
        },
    )
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["scope"]) == sorted([north.pk, south.pk])
    manager = User.objects.get(email="boss@example.test")
    assert set(manager.scope.all()) == {north, south}


@pytest.mark.parametrize("role", ["admin", "auditor", "employee"])
def test_scope_is_refused_for_other_roles(as_admin, role):
    unit = org_unit("N")
    response = as_admin.post(
        USERS, {"email": "x@example.test", "password": STRONG, "role": role, "scope": [unit.pk]}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["scope"] == ["Only managers have a scope."]
    assert not User.objects.filter(email="x@example.test").exists()


def test_scope_with_an_unknown_org_unit_is_400(as_admin):
    response = as_admin.post(
        USERS, {"email": "x@example.test", "password": STRONG, "role": "manager", "scope": [9999]}
    )
    assert response.status_code == 400
    assert "scope" in response.json()["errors"]


def test_patch_changes_a_managers_scope(as_admin, manager_user):
    north, south = org_unit("N"), org_unit("S")
    manager_user.scope.set([north])
    response = as_admin.patch(detail(manager_user), {"scope": [south.pk]})
    assert response.status_code == 200, response.json()
    assert response.json()["scope"] == [south.pk]
    assert list(manager_user.scope.all()) == [south]


def test_patch_scope_of_a_non_manager_is_400(as_admin, employee_user):
    unit = org_unit("N")
    response = as_admin.patch(detail(employee_user), {"scope": [unit.pk]})
    assert response.status_code == 400
    assert employee_user.scope.count() == 0


# --- Change role -----------------------------------------------------------------------------


def test_patch_role_to_admin_grants_django_admin_access(as_admin, employee_user):
    response = as_admin.patch(detail(employee_user), {"role": "admin"})
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "admin"
    employee_user.refresh_from_db()
    assert employee_user.role == Role.ADMIN
    assert employee_user.is_staff


def test_patch_role_away_from_manager_drops_the_scope(as_admin, manager_user):
    manager_user.scope.set([org_unit("N")])
    response = as_admin.patch(detail(manager_user), {"role": "employee"})
    assert response.status_code == 200, response.json()
    assert response.json()["scope"] == []
    manager_user.refresh_from_db()
    assert manager_user.role == Role.EMPLOYEE
    assert manager_user.scope.count() == 0


def test_patch_role_from_admin_removes_django_admin_access(as_admin):
    other_admin = UserFactory(role=Role.ADMIN)
    assert other_admin.is_staff
    response = as_admin.patch(detail(other_admin), {"role": "auditor"})
    assert response.status_code == 200
    other_admin.refresh_from_db()
    assert not other_admin.is_staff


def test_patch_with_an_unknown_role_is_400(as_admin, employee_user):
    response = as_admin.patch(detail(employee_user), {"role": "owner"})
    assert response.status_code == 400
    employee_user.refresh_from_db()
    assert employee_user.role == Role.EMPLOYEE


def test_patch_password_lets_the_user_log_in_with_it(as_admin, employee_user):
    response = as_admin.patch(detail(employee_user), {"password": STRONG})
    assert response.status_code == 200
    assert token_login(employee_user.email, STRONG).status_code == 200
    assert token_login(employee_user.email, PASSWORD).status_code == 401


def test_patch_email_to_one_in_use_is_400(as_admin, employee_user, auditor_user):
    response = as_admin.patch(detail(employee_user), {"email": auditor_user.email})
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


# --- Deactivate ------------------------------------------------------------------------------


def test_deactivated_user_cannot_log_in_and_their_tokens_stop_working(as_admin, employee_user):
    login = token_login(employee_user.email)
    assert login.status_code == 200
    tokens = login.json()
    still_open = bearer(APIClient(), employee_user)
    assert still_open.get("/api/v1/auth/me/").status_code == 200

    response = as_admin.post(f"{detail(employee_user)}deactivate/")

    assert response.status_code == 200, response.json()
    assert response.json()["is_active"] is False
    employee_user.refresh_from_db()
    assert not employee_user.is_active
    # Every refresh token the user held is blacklisted ...
    outstanding = OutstandingToken.objects.filter(user=employee_user)
    assert outstanding.exists()
    assert BlacklistedToken.objects.filter(token__in=outstanding).count() == outstanding.count()
    # ... so neither a new login, nor a refresh, nor the access token still in hand works.
    assert token_login(employee_user.email).status_code == 401
    refresh = APIClient().post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refresh.status_code == 401
    assert still_open.get("/api/v1/auth/me/").status_code == 401


def test_deactivate_by_patch_also_revokes_tokens(as_admin, employee_user):
    RefreshToken.for_user(employee_user)
    response = as_admin.patch(detail(employee_user), {"is_active": False})
    assert response.status_code == 200
    employee_user.refresh_from_db()
    assert not employee_user.is_active
    assert BlacklistedToken.objects.filter(token__user=employee_user).count() == 1
    assert token_login(employee_user.email).status_code == 401


def test_deactivated_user_can_be_reactivated(as_admin, employee_user):
    as_admin.post(f"{detail(employee_user)}deactivate/")
    response = as_admin.patch(detail(employee_user), {"is_active": True})
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert token_login(employee_user.email).status_code == 200


def test_deactivating_an_unknown_user_is_404(as_admin):
    response = as_admin.post(f"{USERS}999999/deactivate/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_users_cannot_be_deleted(as_admin, employee_user):
    response = as_admin.delete(detail(employee_user))
    assert response.status_code == 405
    assert User.objects.filter(pk=employee_user.pk).exists()


# --- List: pagination, filters, search -------------------------------------------------------


def test_list_is_paginated_25_by_default(as_admin):
    UserFactory.create_batch(30)  # and the admin: 31
    response = as_admin.get(USERS)
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 31
    assert len(page["results"]) == 25
    assert page["previous"] is None
    assert page["next"].endswith(f"{USERS}?page=2")

    second = as_admin.get(page["next"]).json()
    assert len(second["results"]) == 6
    assert second["next"] is None
    assert second["previous"] is not None
    ids = [u["id"] for u in page["results"] + second["results"]]
    assert len(set(ids)) == 31  # every user exactly once, in a stable order
    assert ids == sorted(ids)


def test_page_size_is_capped_at_100(as_admin):
    User.objects.bulk_create(
        User(email=f"bulk{n}@example.test", role=Role.EMPLOYEE) for n in range(110)
    )
    page = as_admin.get(USERS, {"page_size": 500}).json()
    assert page["count"] == 111
    assert len(page["results"]) == 100
    assert page["next"] is not None
    assert len(as_admin.get(USERS, {"page_size": 7}).json()["results"]) == 7


def test_filter_by_role(as_admin):
    UserFactory.create_batch(3, role=Role.MANAGER)
    UserFactory.create_batch(2, role=Role.AUDITOR)
    page = as_admin.get(USERS, {"role": "manager"}).json()
    assert page["count"] == 3
    assert {u["role"] for u in page["results"]} == {"manager"}


def test_filter_by_active(as_admin, employee_user):
    as_admin.post(f"{detail(employee_user)}deactivate/")
    page = as_admin.get(USERS, {"is_active": "false"}).json()
    assert [u["email"] for u in page["results"]] == [employee_user.email]


def test_search_by_email_or_name(as_admin):
    UserFactory(email="grace.hopper@example.test", full_name="Grace Hopper")
    UserFactory(email="alan@example.test", full_name="Alan Turing")
    by_name = as_admin.get(USERS, {"search": "hopper"}).json()
    assert [u["email"] for u in by_name["results"]] == ["grace.hopper@example.test"]
    by_email = as_admin.get(USERS, {"search": "alan@"}).json()
    assert [u["full_name"] for u in by_email["results"]] == ["Alan Turing"]


def test_ordering_by_email(as_admin):
    UserFactory(email="zed@example.test")
    UserFactory(email="amy@example.test")
    emails = [u["email"] for u in as_admin.get(USERS, {"ordering": "-email"}).json()["results"]]
    assert emails == sorted(emails, reverse=True)


def test_retrieve_one_user(as_admin, manager_user):
    unit = org_unit("N")
    manager_user.scope.set([unit])
    response = as_admin.get(detail(manager_user))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == manager_user.email
    assert body["role"] == "manager"
    assert body["scope"] == [unit.pk]
    assert body["employee"] is None


@pytest.mark.parametrize("page_size", [1, 100])
def test_list_query_count_does_not_grow_with_page_size(
    as_admin, django_assert_max_num_queries, page_size
):
    units = [org_unit(f"U{n}") for n in range(3)]
    for n in range(40):
        user = UserFactory(role=Role.MANAGER if n % 2 else Role.EMPLOYEE)
        if user.role == Role.MANAGER:
            user.scope.set(units[: 1 + n % 3])
    as_admin.get(USERS)  # warm-up: the first request may create throttle rows in the cache
    # auth user, count, page, scopes, employees, throttle cache read/write: the same for any size.
    with django_assert_max_num_queries(10):
        response = as_admin.get(USERS, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, 41)


# --- ETag and If-Match, as on every other updatable resource -----------------------------------


def test_a_users_detail_has_an_etag_that_every_change_moves(as_admin, manager_user):
    etag = as_admin.get(detail(manager_user))["ETag"]
    assert etag
    renamed = as_admin.patch(detail(manager_user), {"full_name": "New"}, format="json")
    assert renamed["ETag"] != etag
    assert as_admin.get(detail(manager_user))["ETag"] == renamed["ETag"]
    moved = as_admin.patch(
        detail(manager_user), {"scope": [org_unit("ETAG-SCOPE").pk]}, format="json"
    )
    assert moved["ETag"] != renamed["ETag"]
    password = as_admin.patch(detail(manager_user), {"password": STRONG}, format="json")
    assert password["ETag"] != moved["ETag"]


def test_a_stale_or_weak_if_match_on_a_user_is_412_and_changes_nothing(as_admin, employee_user):
    etag = as_admin.get(detail(employee_user))["ETag"]
    as_admin.patch(detail(employee_user), {"full_name": "First"}, format="json")
    stale = as_admin.patch(
        detail(employee_user), {"full_name": "Lost"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412, stale.content
    current = as_admin.get(detail(employee_user))["ETag"]
    weak = as_admin.patch(
        detail(employee_user), {"full_name": "Lost"}, format="json", HTTP_IF_MATCH=f"W/{current}"
    )
    assert weak.status_code == 412
    assert User.objects.get(pk=employee_user.pk).full_name == "First"
    ok = as_admin.patch(
        detail(employee_user), {"full_name": "Kept"}, format="json", HTTP_IF_MATCH=current
    )
    assert ok.status_code == 200, ok.content
    assert User.objects.get(pk=employee_user.pk).full_name == "Kept"


# --- Sessions end when they must (issue 16, item 3) ---------------------------------------------


def _refresh(raw: str):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": raw}, format="json")


def _stolen(user: User) -> str:
    response = token_login(user.email)
    assert response.status_code == 200, response.content
    return response.json()["refresh"]


CHANGES = {
    "password by the API": lambda as_admin, user: as_admin.patch(
        detail(user), {"password": STRONG}, format="json"
    ),
    "role by the API": lambda as_admin, user: as_admin.patch(
        detail(user), {"role": "auditor"}, format="json"
    ),
    "password by the ORM": lambda as_admin, user: (user.set_password(STRONG), user.save()),
    "deactivation by an update()": lambda as_admin, user: User.objects.filter(pk=user.pk).update(
        is_active=False
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_credentials_change_blacklists_every_outstanding_refresh_token(
    as_admin, employee_user, change
):
    stolen = [_stolen(employee_user), _stolen(employee_user)]
    CHANGES[change](as_admin, employee_user)
    for raw in stolen:
        response = _refresh(raw)
        assert response.status_code == 401, (change, response.content)


def test_an_admin_password_reset_in_the_django_admin_ends_the_sessions(
    admin_client_, employee_user
):
    stolen = _stolen(employee_user)
    response = admin_client_.post(
        f"/admin/users/user/{employee_user.pk}/password/",
        {"password1": STRONG, "password2": STRONG, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert _refresh(stolen).status_code == 401
    assert _refresh(_stolen_with(employee_user, STRONG)).status_code == 200


def _stolen_with(user: User, password: str) -> str:
    response = token_login(user.email, password)
    assert response.status_code == 200, response.content
    return response.json()["refresh"]


def test_a_scope_change_ends_a_managers_sessions(as_admin, manager_user):
    stolen = _stolen(manager_user)
    response = as_admin.patch(
        detail(manager_user), {"scope": [org_unit("SESSIONS").pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert _refresh(stolen).status_code == 401


def test_other_changes_leave_the_sessions_alone(as_admin, employee_user):
    kept = _stolen(employee_user)
    as_admin.patch(detail(employee_user), {"full_name": "Renamed"}, format="json")
    assert _refresh(kept).status_code == 200

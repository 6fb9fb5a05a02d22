"""Jobs are visible in the admin (procrastinate's own pages): an HR admin sees what is queued,
what ran and what failed."""

from __future__ import annotations

import pytest

from apps.jobs.tasks import ping

pytestmark = pytest.mark.django_db


def test_queued_jobs_are_listed_in_the_admin(admin_client_):
    job_id = ping.defer(note="shown in the admin")
    listed = admin_client_.get("/admin/procrastinate/procrastinatejob/")
    assert listed.status_code == 200
    text = listed.content.decode()
    assert "ping" in text
    detail = admin_client_.get(f"/admin/procrastinate/procrastinatejob/{job_id}/change/")
    assert detail.status_code == 200
    assert "shown in the admin" in detail.content.decode()

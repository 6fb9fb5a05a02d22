"""Health checks for load balancers and orchestrators."""

from __future__ import annotations

from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from apps.core import cache as shared_cache


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up (no dependency is checked)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers, every migration is applied and the cache stores and returns a
    value; 503 otherwise, naming what is down."""
    cache_problem = shared_cache.check()
    cache_state = {"cache": "ok"} if cache_problem is None else {"cache": "unreachable"}
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        connection.close_if_unusable_or_obsolete()
        return JsonResponse(
            {
                "status": "unavailable",
                "database": "unreachable",
                "error": type(exc).__name__,
                **cache_state,
            },
            status=503,
        )
    if pending:
        return JsonResponse(
            {
                "status": "unavailable",
                "database": "ok",
                "pending_migrations": len(pending),
                **cache_state,
            },
            status=503,
        )
    if cache_problem is not None:
        return JsonResponse(
            {"status": "unavailable", "database": "ok", **cache_state, "error": cache_problem},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", **cache_state})


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any URL under /api/ that nothing else serves: a 404 problem document (under DEBUG too,
    where Django would answer its HTML page listing every URL pattern)."""
    from apps.core.exceptions import handler404

    return handler404(request)

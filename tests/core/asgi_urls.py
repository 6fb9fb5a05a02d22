"""A URLconf for tests/core/test_asgi.py: views that show which thread served them, and whether
two requests were running at the same time."""

from __future__ import annotations

import threading

from django.http import HttpRequest, JsonResponse
from django.urls import path

from apps.core import views as core_views

# Two requests that reach `meet` at the same time both pass it; a request alone waits `timeout`
# seconds and gives up. The tests put in a fresh one with `reset`.
barrier = threading.Barrier(2, timeout=1)


def reset(timeout: float) -> None:
    global barrier
    barrier = threading.Barrier(2, timeout=timeout)


def meet(request: HttpRequest) -> JsonResponse:
    """Wait for one other request: `together` says whether it came while this one waited."""
    try:
        barrier.wait()
        together = True
    except threading.BrokenBarrierError:
        together = False
    return JsonResponse({"together": together, "thread": threading.current_thread().name})


# Set by a test to let `slow` finish.
release = threading.Event()


def slow(request: HttpRequest) -> JsonResponse:
    """Holds its thread until `release` is set (at most 10 s): a slow report."""
    released = release.wait(timeout=10)
    return JsonResponse({"released": released})


# The views `whoami` ran, in order (a test clears it).
seen: list[str] = []


def whoami(request: HttpRequest) -> JsonResponse:
    seen.append("whoami")
    return JsonResponse({"thread": threading.current_thread().name})


urlpatterns = [
    path("healthz", core_views.healthz),
    path("slow", slow),
    path("meet", meet),
    path("whoami", whoami),
]

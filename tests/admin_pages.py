"""For tests that drive Django admin pages (the superuser's client is `admin_client_` in
tests/conftest.py)."""

from __future__ import annotations

from typing import Any


def form_data(page: Any) -> dict[str, Any]:
    """What the browser would post back unchanged: the main form and every inline formset."""
    assert page.status_code == 200, page.content[:500]

    def put(data: dict[str, Any], form: Any, name: str) -> None:
        value = form[name].value()
        if value is None or value is False:
            return
        data[form.add_prefix(name)] = "on" if value is True else value

    data: dict[str, Any] = {}
    form = page.context["adminform"].form
    for name in form.fields:
        put(data, form, name)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            put(data, formset.management_form, name)
        for inline_form in formset.initial_forms:
            for name in inline_form.fields:
                put(data, inline_form, name)
    return data

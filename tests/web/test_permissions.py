"""Every write endpoint, tried by every role and anonymously: a role that may not gets 403 and changes
nothing; no account gets the sign-in page (401 under /api); a role that may is let through.

The endpoints are found in the app's URL map, so a new write endpoint is tried without editing this test;
it fails if that endpoint is not behind ``fm.web.auth.writes``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fm.accounts.roles import ROLES, may_write
from fm.model import metadata

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OPEN = {"auth.sign_in", "auth.sign_out"}
"""Writes any visitor may make (they change only their own session)."""


def _write_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS), key=lambda rule: rule.rule
    )


def _fingerprint(app) -> dict[str, tuple]:
    """Row count, and the sum of versions where kept, of every table: any write changes it."""
    found = {}
    with app.extensions["fm.database"].engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [sa.func.count()] + (
                [sa.func.coalesce(sa.func.sum(table.c.version), 0)] if "version" in table.c else []
            )
            found[table.name] = tuple(connection.execute(sa.select(*columns).select_from(table)).one())
    return found


def _values(app) -> dict[str, object]:
    """An existing record for each kind of URL argument."""
    with app.extensions["fm.database"].engine.connect() as connection:
        first = lambda sql: connection.execute(sa.text(sql)).scalar()  # noqa: E731
        return {
            "asset": first("SELECT code FROM assets ORDER BY id LIMIT 1"),
            "parcel": first("SELECT code FROM land_parcels ORDER BY id LIMIT 1"),
            "plan": first("SELECT code FROM individual_plans ORDER BY id LIMIT 1"),
            "work_order": first("SELECT code FROM work_orders WHERE status = 'planned' ORDER BY id LIMIT 1"),
            "inspection": first("SELECT id FROM inspections ORDER BY id LIMIT 1"),
            "work_order_id": first("SELECT id FROM work_orders WHERE status = 'planned' ORDER BY id LIMIT 1"),
            "username": "demo-viewer",
            "year": 2024,
            "token": "0" * 32,
            "token_id": 999_999,  # none such: every role may revoke its own tokens, so 404 rather than 403
            "ledger_no": "L-0001",  # the demo has no ledger: a settlement of no row, refused after the role check
            "name": "no such scenario",  # a portfolio scenario: none in the demo, 404 after the role check
            "action_id": 999_999,
        }


def _url(rule, values: dict[str, object]) -> str:
    arguments = {}
    for name in rule.arguments:
        if name == "code":
            kind = (
                "work_order"
                if "work-order" in rule.rule
                else "parcel"
                if "/parcels" in rule.rule
                else "plan"
                if "/plans" in rule.rule or "/budgets" in rule.rule
                else "asset"
            )
            arguments[name] = values[kind]
        elif name in ("id", "record_id", "inspection_id", "work_order_id"):
            arguments[name] = values[
                "work_order_id" if "work-order" in rule.rule or name == "work_order_id" else "inspection"
            ]
        elif name in values:
            arguments[name] = values[name]
        else:
            raise AssertionError(f"{rule.rule}: no test value for <{name}>; add one to _values()")
    return rule.build(arguments)[1]


def _anonymous_with_a_token(app):
    """No account, but a valid CSRF token: the sign-in check, not CSRF, must stop it."""
    from webauth import SignedInClient

    app.test_client_class = SignedInClient
    client = app.test_client()
    client.refresh_token()
    return client


def test_every_write_endpoint_checks_the_role(app):
    unguarded = [
        rule.rule
        for rule in _write_rules(app)
        if rule.endpoint not in OPEN and not hasattr(app.view_functions[rule.endpoint], "fm_writes")
    ]
    assert unguarded == [], "wrap these views in fm.web.auth.writes(...)"
    assert len(_write_rules(app)) > len(OPEN)


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
def test_each_role_writes_only_what_it_may(demo_url, app, client_as, role):
    client = client_as(role) if role else _anonymous_with_a_token(app)
    values = _values(app)
    tried = 0
    for rule in _write_rules(app):
        if rule.endpoint in OPEN:
            continue
        subjects = app.view_functions[rule.endpoint].fm_writes
        url = _url(rule, values)
        for method in sorted(rule.methods & WRITE_METHODS):
            before = _fingerprint(app)
            response = client.open(url, method=method, data={})
            tried += 1
            if role is None:
                expected = 401 if url.startswith("/api/") else 302
                assert response.status_code == expected, f"{method} {url} anonymously"
                assert _fingerprint(app) == before, f"{method} {url} anonymously changed the database"
            elif not any(may_write(role, s) for s in subjects):
                assert response.status_code == 403, f"{method} {url} as {role}: {response.status_code}"
                assert _fingerprint(app) == before, f"{method} {url} as {role} changed the database"
            else:
                assert response.status_code != 403, f"{method} {url} as {role} was refused"
    assert tried

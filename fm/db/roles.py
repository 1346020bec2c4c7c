"""PostgreSQL roles for a deployment: the app's role may read and write rows, never change the schema, and
only add to the audit log.

The tables belong to the role that runs ``fm db upgrade`` (the migration role); ``fm db grant-app ROLE``, run
as that role after each upgrade, gives the app's role (the one in ``fm serve``'s ``FM_DATABASE_URL``):

- ``USAGE`` on the schema (not ``CREATE``), so it can create no table and, not owning any, alter none;
- ``SELECT, INSERT, UPDATE, DELETE`` on fm's tables, ``USAGE, SELECT`` on their sequences;
- on ``audit_log`` only ``SELECT, INSERT``: the trail can be added to but not changed or emptied;
- on ``alembic_version`` only ``SELECT`` (fm checks the schema it runs on).

PostgreSQL's default privileges give every role ``TEMPORARY`` on the database, which the importer's
``CREATE TEMP TABLE`` needs.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from fm.errors import DatabaseError, ValidationError

APPEND_ONLY = ("audit_log",)
READ_ONLY = ("alembic_version",)
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _rights(table: str) -> str:
    if table in APPEND_ONLY:
        return "SELECT, INSERT"
    return "SELECT" if table in READ_ONLY else "SELECT, INSERT, UPDATE, DELETE"


def grant_app(connection: sa.Connection, role: str) -> list[str]:
    """Give ``role`` the app's rights on every fm table (see the module); the statements run, in order."""
    if connection.dialect.name != "postgresql":
        raise DatabaseError("database roles are PostgreSQL's: SQLite has none (protect the file instead)")
    if not _ROLE.match(role):
        raise ValidationError(f"role: {role!r} is not a plain PostgreSQL role name (a-z, 0-9, _)")
    exists = connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if not exists:
        raise ValidationError(f"role: no PostgreSQL role {role!r}; CREATE ROLE {role} LOGIN PASSWORD '…' first")
    tables = sorted(sa.inspect(connection).get_table_names())
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"REVOKE CREATE ON SCHEMA public FROM {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        *(f'GRANT {_rights(t)} ON TABLE public."{t}" TO {role}' for t in tables),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]
    for statement in statements:
        connection.execute(sa.text(statement))
    connection.commit()
    return statements

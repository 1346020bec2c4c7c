"""Migrations build the model's schema on both backends, and every unfit database says why."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pgserver import create_database

from fm.db import Database, migrate
from fm.errors import DatabaseError


def test_migrations_and_models_agree(empty_db_url):
    database = Database(empty_db_url)
    with database.connect() as connection:
        migrate.upgrade(connection)
        assert migrate.current_revision(connection) == migrate.head_revision()
        assert migrate.schema_differences(connection) == []
    database.check()
    database.dispose()


def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds(empty_db_url):
    database = Database(empty_db_url)
    with database.connect() as connection:
        migrate.upgrade(connection)
        migrate.downgrade(connection, "base")
        left = set(sa.inspect(connection).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
        assert left == set()
        migrate.upgrade(connection)
        assert migrate.schema_differences(connection) == []
        categories = connection.execute(sa.text("SELECT count(*) FROM asset_categories")).scalar()
        assert categories == 19
    database.dispose()


def test_spatial_index_exists_on_each_backend(db_url):
    database = Database(db_url)
    with database.connect() as connection:
        if connection.dialect.name == "postgresql":
            methods = connection.execute(
                sa.text(
                    "SELECT indexname, am.amname FROM pg_indexes JOIN pg_class c ON c.relname = indexname "
                    "JOIN pg_am am ON am.oid = c.relam WHERE indexname LIKE '%_geom'"
                )
            ).all()
            assert sorted(methods) == [
                ("ix_assets_geom", "gist"),
                ("ix_districts_geom", "gist"),
                ("ix_land_parcels_geom", "gist"),
                ("ix_network_lines_geom", "gist"),
            ]
        else:
            names = connection.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING rtree%'")
            ).scalars()
            assert sorted(names) == [
                "rtree_assets_geom",
                "rtree_districts_geom",
                "rtree_land_parcels_geom",
                "rtree_network_lines_geom",
            ]
    database.dispose()


def test_database_without_schema_says_run_upgrade(empty_db_url):
    with pytest.raises(DatabaseError, match=r"no fm schema yet: run `fm db upgrade`"):
        Database(empty_db_url).check()


def test_head_known_without_alembic_is_the_migrations_head():
    assert migrate.HEAD == migrate.head_revision(), "a new migration: set fm.db.migrate.HEAD to its revision"


def test_schema_behind_says_run_upgrade(db_url, monkeypatch):
    head = migrate.head_revision()
    monkeypatch.setattr(migrate, "HEAD", "9000")
    with pytest.raises(DatabaseError, match=rf"at revision {head}, fm needs 9000: run `fm db upgrade`"):
        Database(db_url).check()


def test_schema_from_a_newer_fm_says_upgrade_fm(db_url):
    database = Database(db_url)
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match="newer fm"):
        database.check()
    database.dispose()


@pytest.mark.postgis
def test_postgresql_without_postgis(postgres_admin_url):
    url = create_database(postgres_admin_url, postgis=False)
    with pytest.raises(DatabaseError, match="has no PostGIS extension: run `fm db upgrade`"):
        Database(url).check()
    # A superuser's upgrade installs it.
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)
    database.check()
    database.dispose()


@pytest.mark.postgis
def test_postgis_cannot_be_created_by_an_ordinary_user(postgres_admin_url):
    url = create_database(postgres_admin_url, postgis=False)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            sa.text("DO $$ BEGIN CREATE ROLE fm_clerk LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        )
        connection.execute(sa.text("GRANT ALL ON SCHEMA public TO fm_clerk"))
    admin.dispose()
    clerk = Database(sa.make_url(url).set(username="fm_clerk"))
    with pytest.raises(DatabaseError, match="cannot create the PostGIS extension .* as a superuser"):
        with clerk.connect() as connection:
            migrate.upgrade(connection)
    clerk.dispose()


@pytest.mark.postgis
def test_unreachable_server_is_one_line(postgres_admin_url):
    url = sa.make_url(postgres_admin_url).set(port=1)
    with pytest.raises(DatabaseError) as caught:
        Database(url).check()
    message = str(caught.value)
    assert "cannot connect to the database" in message and "Is PostgreSQL running" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "is not a database URL"),
        ("mysql://u@h/db", "not 'mysql'"),
        ("sqlite:////no/such/folder/fm.sqlite3", "folder /no/such/folder does not exist"),
    ],
)
def test_bad_urls_are_explained(url, message):
    with pytest.raises(DatabaseError, match=message):
        Database(url)


def test_upgrading_a_register_with_data_keeps_rows_and_spatial_index(empty_db_url):

    from shapely import Point

    from fm.io import store
    from fm.model import Asset, Inspection

    database = Database(empty_db_url)
    with database.connect() as connection:
        migrate.upgrade(connection, "0003")
        connection.execute(
            sa.text(
                "INSERT INTO assets (id, code, name, category, geom, status, "
                "is_evacuation_shelter, on_emergency_road, needs_individual_plan) "
                "VALUES (1, 'B-1', '橋', 'bridge', NULL, 'in_service', false, false, false)"
            )
        )
        connection.execute(
            sa.text("INSERT INTO inspections (asset_id, inspected_on, soundness) VALUES (1, '2024-05-01', 2)")
        )
        connection.commit()
        migrate.upgrade(connection)
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1
        session.get(Asset, 1).geom = Point(139.55, 35.31)  # the R*Tree triggers still work
        session.flush()
        assert list(store.read_assets(session, columns=("code",), bbox=(139.5, 35.3, 139.6, 35.4))["code"]) == ["B-1"]
    database.dispose()


def test_0011_moves_facility_usage_into_services_and_keeps_it_readable(empty_db_url):
    """Each building's yearly usage becomes a service housed in it; ``facility_usage`` reads the same rows
    as before (now a view), and the downgrade gives the table back with them."""
    database = Database(empty_db_url)
    rows = [(1, 2023, 120, 3_000_000), (1, 2024, 130, 3_100_000), (2, 2024, 7, 12_345_678_901)]
    read = "SELECT asset_id, fiscal_year, users, operating_cost FROM facility_usage ORDER BY asset_id, fiscal_year"
    with database.connect() as connection:
        migrate.upgrade(connection, "0007")
        for n, (code, category) in enumerate((("BL-1", "library"), ("BL-2", "hall")), start=1):
            connection.execute(
                sa.text(
                    "INSERT INTO assets (id, code, name, category, status, floor_area_m2, is_evacuation_shelter, "
                    "on_emergency_road, needs_individual_plan) "
                    f"VALUES ({n}, '{code}', '館{n}', '{category}', 'in_service', 812.5, false, false, false)"
                )
            )
        for row in rows:
            connection.execute(
                sa.text(f"INSERT INTO facility_usage (asset_id, fiscal_year, users, operating_cost) VALUES {row}")
            )
        connection.commit()
        migrate.upgrade(connection)
        assert [tuple(r) for r in connection.execute(sa.text(read))] == rows
        services = connection.execute(sa.text("SELECT code, name, kind FROM services ORDER BY code")).all()
        assert [tuple(s) for s in services] == [("BL-1", "館1", "library"), ("BL-2", "館2", "culture")]
        assert connection.scalar(sa.text("SELECT count(*) FROM service_usage")) == 3
        migrate.downgrade(connection, "0007")
        assert [tuple(r) for r in connection.execute(sa.text(read))] == rows
        assert "services" not in sa.inspect(connection).get_table_names()
        connection.commit()
    database.dispose()

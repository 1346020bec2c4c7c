"""The N-asset registers the page benches measure: generated once, loaded and scored into SQLite and PostGIS.

``arguments`` adds the options they share; ``registers`` yields ``(label, url)`` for SQLite, then for
PostGIS (a throwaway server from tests/pgserver.py, or ``--postgres-url``), each loaded and scored by
bench/register.py's ``prepare`` (reused when ``--folder`` or the PostGIS database holds it already).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from register import prepare  # noqa: I001

from fm.demo.scale import generate_scaled


def arguments(parser: argparse.ArgumentParser) -> None:
    """The options every page bench takes."""
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, help="keep the data and the SQLite database here, and reuse them")
    parser.add_argument("--postgres-url", help="a PostGIS database (default: a throwaway server)")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true", help="PostGIS only (the data folder is still made)")


def registers(args: argparse.Namespace) -> Iterator[tuple[str, str, Path]]:
    """``(label, url, folder)`` of the register on SQLite unless ``--no-sqlite``, then on PostGIS unless
    ``--no-postgis``."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / f"data-{args.assets}"
        if not (data / "assets.csv").exists():
            generate_scaled(args.assets, data)
        if not args.no_sqlite:
            url = f"sqlite:///{folder / f'register-{args.assets}.sqlite3'}"
            prepare(url, data, args.assets)
            yield f"SQLite, {args.assets:,} assets", url, folder
        if args.no_postgis:
            return
        server = None
        postgres = args.postgres_url
        if postgres is None:
            import pgserver

            server = pgserver.start()
            postgres = pgserver.create_database(server.url())
        try:
            prepare(postgres, data, args.assets)
            yield f"PostGIS, {args.assets:,} assets", postgres, folder
        finally:
            if server is not None:
                server.stop()

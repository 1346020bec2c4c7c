"""Scoring speed: fm's vectorised pass with bulk writes against a naive per-row ORM loop.

Makes an N-asset register with the demo generator (``--scale``), loads it, then times
``risk.compute_risk`` (read, fit the deterioration models, score, write back), the same step by step,
the whole ``fm score`` command in a new process (models fitted, then reused: nothing changed) beside
issue 19's goal and reference and the floor (a bare interpreter, one importing pandas), and a naive
implementation of the same formula that walks the assets one ORM object at a time (on a sample,
extrapolated, and said so).

    python bench/risk.py --assets 10000 [--postgres-url URL] [--naive-sample 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import sqlalchemy as sa

# bench/command_server.py, beside this script
from command_server import answers, cached_bytecode, children_cpu, idle_children

import fm
from fm.app import risk
from fm.cli.client import fingerprint
from fm.db import Database, migrate
from fm.demo.load import load
from fm.demo.scale import generate_scaled
from fm.domain.risk import markov
from fm.domain.risk.config import load_config
from fm.io import risk as risk_store
from fm.model import Asset, AssetCategory, District, Inspection, RiskRun, RiskScore

AS_OF = date(2026, 4, 1)


def naive(database: Database, sample: int, models: dict) -> float:
    """Seconds per asset of a per-row ORM loop computing the same probability × consequence."""
    config = load_config()
    started = time.perf_counter()
    with database.session() as session:
        run_id = session.execute(
            sa.insert(RiskRun).values(computed_on=date(2000, 1, 1), config={}, model={}).returning(RiskRun.id)
        ).scalar()
        if database.dialect == "postgresql":  # the run's scores go to a partition of their own (fm.io.risk)
            partition = risk_store.partition_name(run_id)
            session.execute(sa.text(f"CREATE TABLE {partition} PARTITION OF risk_scores FOR VALUES IN ({run_id})"))
        categories = {c.code: c for c in session.scalars(sa.select(AssetCategory))}
        populations = {d.id: d.population for d in session.scalars(sa.select(District))}
        biggest = max(populations.values())
        for asset in session.scalars(sa.select(Asset).order_by(Asset.id).limit(sample)):
            latest = session.scalars(
                sa.select(Inspection)
                .where(Inspection.asset_id == asset.id)
                .order_by(Inspection.inspected_on.desc())
                .limit(1)
            ).first()
            scale = categories[asset.category].condition_scale
            state = (latest.soundness if scale == "soundness" else latest.condition_score) if latest else 1
            since = latest.inspected_on if latest else asset.acquisition_date
            years = max((AS_OF - since).days / 365.25, 0)
            theta = np.array(models[asset.category]["theta"])
            now = markov.transition(theta, years)[state - 1]
            p_condition = (now @ markov.transition(theta, float(config.horizon_years)))[-1]
            life = asset.useful_life_years or categories[asset.category].useful_life_years
            p_age = min(max((AS_OF - asset.acquisition_date).days / 365.25 / life, 0), 1)
            probability = 0.8 * p_condition + 0.2 * p_age
            parts = {
                "category": config.criticality[asset.category],
                "users": min(np.log10(1 + (asset.annual_users or 0)) / 7, 1),
                "replacement_cost": min(np.log10(1 + (asset.replacement_cost or 0)) / 10.5, 1),
                "evacuation_shelter": float(asset.is_evacuation_shelter),
                "emergency_road": float(asset.on_emergency_road),
                "railway": 0.0,
                "district_population": populations.get(asset.district_id, 0) / biggest,
            }
            weights = config.consequence
            consequence = sum(weights[k] * v for k, v in parts.items()) / sum(weights.values())
            session.add(
                RiskScore(
                    run_id=run_id,
                    asset_id=asset.id,
                    probability=probability,
                    consequence=consequence,
                    score=probability * consequence,
                    risk_class="?",
                    likelihood_class=0,
                    consequence_class=0,
                    state=state,
                    inspected_on=latest and latest.inspected_on,
                    years_since=years,
                    p_condition=p_condition,
                    p_age=p_age,
                    remaining_years=float(markov.expected_years_to_worst(theta, now)),
                    **{f"c_{k}": v for k, v in parts.items()},
                )
            )
        session.flush()
        session.rollback()
    return (time.perf_counter() - started) / sample


def floor() -> str:
    """What any Python command of fm costs before doing anything: a new interpreter, and one importing pandas
    (which every fm command needs), each the best of three."""
    spent = {}
    for label, code in (("python -c pass", "pass"), ("python -c 'import pandas'", "import pandas")):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - started)
        spent[label] = min(times)
    return ", ".join(f"{label} {seconds:.2f} s" for label, seconds in spent.items())


GOALS = {10_000: 0.3, 1_000_000: 10.0}  # issue 19: the whole command at 10,000; read + fit + score + write at 1 M
REFERENCE = {10_000: "0.8–0.9 s (issue 19)", 1_000_000: "26.7 s on PostGIS (issue 19)"}


def whole_command(url: str, label: str, assets: int, runs: int = 5) -> None:
    """``fm score`` as a user runs it: in its own process (start-up, imports, read, fit, score, write, commit),
    first with the models fitted afresh (a run of another day's inputs is removed first), then again with nothing
    changed (the models reused); then ``runs`` times through the command server (fm/cli/commandserver.py: the
    client, and the server's child that has everything imported), models reused. Wall and CPU seconds (the
    processes' user + system: the client's and the child's), beside the goal and the reference."""
    environment = {**os.environ, "FM_DATABASE_URL": url, "FM_COMMAND_SERVER": "0"}
    database = Database(url)
    with database.session() as session:
        risk_store.delete_runs(session)  # nothing to reuse: the first run fits
    database.dispose()
    goal = GOALS.get(assets)
    beside = f" (goal {goal:g} s; reference {REFERENCE[assets]})" if goal else ""
    for case in ("models fitted", "models reused"):
        spent, cpu, said = _fm_score(environment)
        print(f"{label}: fm score, whole command, {case}: {spent:.2f} s, {cpu:.2f} s CPU{beside} [{said}…]", flush=True)
    print(f"{label}: floor of any command: {floor()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fm-bench-", dir="/tmp") as runtime:  # a short path: a Unix socket's
        served = {**environment, "FM_COMMAND_SERVER": "1", "XDG_RUNTIME_DIR": runtime}
        path = os.path.join(runtime, "fm", f"{fingerprint()}.sock")
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-P", "-m", "fm.cli.commandserver", path], env=served)
        while not answers(path):
            time.sleep(0.05)
        print(f"{label}: command server answering {time.perf_counter() - started:.2f} s after its start", flush=True)
        try:
            for run in range(1, runs + 1):
                spares = idle_children(server.pid)  # a spare forked ahead: its CPU so far is not the command's
                children = children_cpu(server.pid, wait=False)
                spent, client, said = _fm_score(served)
                child = children_cpu(server.pid, spares) - children - sum(spares.values())
                print(
                    f"{label}: fm score through the command server, models reused, run {run}: {spent:.2f} s, "
                    f"{client + child:.2f} s CPU (client {client:.2f}, command {child:.2f}){beside} [{said}…]",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()


def _fm_score(environment: dict[str, str]) -> tuple[float, float, str]:
    """``fm score`` in a new process: wall seconds, its CPU seconds (and its children's), its last line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("fm")), "score", "--as-of", AS_OF.isoformat()],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    spent = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return spent, cpu, done.stdout.strip().splitlines()[-1][:60]


def breakdown(url: str, label: str) -> None:
    """Where ``fm score``'s time goes in-process: reading (one row per asset: the latest inspection and restoring
    work computed by the database), the models (reused, or fitted after reading every inspection and work
    order), scoring and writing (a part scored while the write takes the one before, as ``fm score`` does)."""
    config = load_config()
    database = Database(url)
    with database.session() as session:
        steps = {}
        started = time.perf_counter()
        inputs = risk.score_inputs(session, as_of=AS_OF, config=config)
        steps["read"] = time.perf_counter() - started
        started = time.perf_counter()
        models, _, reused = risk.scoring_models(session, inputs, as_of=AS_OF, config=config)
        steps["models (reused)" if reused else "models (fitted)"] = time.perf_counter() - started
        started = time.perf_counter()
        risk_store.write_run(
            session,
            risk.scored_parts(inputs, models, config=config, as_of=AS_OF),
            computed_on=date(2000, 1, 1),
            config={},
            model={},
        )
        session.flush()
        steps["score + write (in parts, beside each other)"] = time.perf_counter() - started
        session.rollback()
    database.dispose()
    total = sum(steps.values())
    assets = len(inputs["assets"])
    goal = (
        f" (goal {GOALS[1_000_000]:g} s at 1,000,000; reference {REFERENCE[1_000_000]})" if assets >= 1_000_000 else ""
    )
    print(
        f"{label}: in-process "
        + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())
        + f"; in all {total:.2f} s{goal}",
        flush=True,
    )


def bench(url: str, label: str, folder: Path | None, naive_sample: int) -> None:
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)
    if folder is not None:
        started = time.perf_counter()
        with database.session() as session:
            load(session, folder, reset=True)
        print(f"{label}: loaded in {time.perf_counter() - started:.1f} s")
    config = load_config()
    started = time.perf_counter()
    with database.session() as session:
        summary = risk.compute_risk(session, config=config, as_of=AS_OF, actor="bench")
    vectorised = time.perf_counter() - started
    print(f"{label}: {summary['assets']:,} assets scored and written in {vectorised:.2f} s", flush=True)
    breakdown(url, label)
    whole_command(url, label, summary["assets"])
    if naive_sample <= 0:
        database.dispose()
        return
    with database.session() as session:
        models = session.execute(sa.text("SELECT model FROM risk_runs")).scalar()
    models = models if isinstance(models, dict) else json.loads(models)
    per_asset = naive(database, min(naive_sample, summary["assets"]), models)
    extrapolated = per_asset * summary["assets"]
    print(
        f"{label}: naive per-row ORM {per_asset * 1000:.2f} ms/asset "
        f"on a {min(naive_sample, summary['assets']):,}-asset sample → "
        f"{extrapolated:,.0f} s extrapolated; ratio {extrapolated / vectorised:,.0f}×"
    )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--postgres-url", help="an empty PostGIS database (its fm tables are replaced)")
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="score what --postgres-url already holds")
    parser.add_argument("--database-url", help="score what this database already holds (no generation)")
    args = parser.parse_args()
    print(cached_bytecode(Path(fm.__file__).resolve().parents[1]), flush=True)
    if args.reuse:
        bench(args.postgres_url, "PostGIS", None, args.naive_sample)
        return
    if args.database_url:
        bench(args.database_url, args.database_url.split(":")[0], None, args.naive_sample)
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        generate_scaled(args.assets, folder / "data")
        print(f"generated {args.assets:,} assets in {time.perf_counter() - started:.1f} s")
        if not args.skip_sqlite:
            bench(f"sqlite:///{folder / 'bench.sqlite3'}", "SQLite", folder / "data", args.naive_sample)
        if args.postgres_url:
            bench(args.postgres_url, "PostGIS", folder / "data", args.naive_sample)


if __name__ == "__main__":
    main()

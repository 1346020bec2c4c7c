"""The risk map at N assets: fm's viewport-fed canvas map against naive Folium.

Makes an N-asset register with the demo generator (``--scale``), loads and scores it, serves
the app (no basemap, so tile traffic does not blur the figures) and measures:

- the server: the map page, the first viewport (the whole city, clustered) and 1 km windows
  zoomed in (features), each time and size;
- headless Chromium (Debian's chromium): time from navigation to the map being drawn and
  usable, bytes loaded for that first view, and the time each pan or zoom takes to redraw;
- naive Folium on the same assets (one CircleMarker with a popup per asset, as Folium's
  documentation builds it) at ``--naive`` sizes: time to build, HTML size, time until
  Chromium has loaded it; extrapolated linearly to N, and said so.

- the standalone file (``fm map risk out.html``): its size, the time to write it (wall and CPU) and the time
  Chromium takes from opening it to the map drawn and usable, against plain Folium's one-GeoJSON
  page of the same assets (one ``folium.GeoJson`` layer with a popup of code, category and class); then
  where each goes: the writing's steps under cProfile, the drawing's from fm-map.js's ``fm:*`` measures;
  Python's start and the command's imports alone (CPU of a new process); with ``--before DIR`` (the ``fm``
  package of an earlier commit, e.g. ``git archive <commit> fm | tar -x -C DIR``), that code's command and this
  one's run back to back, alternately, with the CPU and wall time of each and whether the two files' packed
  features and pages are the same.

    python bench/maps.py --assets 100000 [--postgres-url URL] [--naive 10000,30000]
    python bench/maps.py --standalone sqlite:///register.sqlite3   # only the standalone file, of a scored register
    python bench/maps.py --standalone sqlite:///register.sqlite3 --before /tmp/fm-old --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import folium
import numpy as np
from command_server import cached_bytecode  # bench/command_server.py, beside this script
from playwright.sync_api import sync_playwright
from signin import browser_cookies, signed_in
from werkzeug.serving import make_server

from fm.app import risk
from fm.config import Config
from fm.db import Database, migrate
from fm.demo.load import load
from fm.demo.scale import generate_scaled
from fm.domain.risk.config import load_config
from fm.io import risk as risk_store
from fm.io import store

STATIC = Path(__file__).resolve().parents[1] / "fm" / "web" / "static" / "vendor" / "leaflet"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
CITY = "139.40,35.25,139.65,35.40"


OPENER: urllib.request.OpenerDirector | None = None
"""Signed in (bench/signin.py) before the figures are taken."""


def _get(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with OPENER.open(url) as response:
        size = len(response.read())
    return time.perf_counter() - started, size


def _median(samples: list[tuple[float, int]]) -> tuple[float, float, int]:
    times = sorted(s[0] for s in samples)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], int(statistics.median(s[1] for s in samples))


def server_figures(base: str, windows: list[tuple[float, float]]) -> None:
    _get(f"{base}/maps/risk")  # warm up: first request checks the database
    page = _median([_get(f"{base}/maps/risk") for _ in range(5)])
    city = _median([_get(f"{base}/api/map/risk?bbox={CITY}&zoom=13") for _ in range(5)])
    zoomed = _median(
        [
            _get(f"{base}/api/map/risk?bbox={x - 0.0055},{y - 0.0045},{x + 0.0055},{y + 0.0045}&zoom=16")
            for x, y in windows
        ]
    )
    print(
        f"  server: page {page[0] * 1000:.0f} ms ({page[2] / 1e3:.0f} kB); city viewport, clustered "
        f"{city[0] * 1000:.0f} ms ({city[2] / 1e3:.0f} kB); 1 km windows at zoom 16: median "
        f"{zoomed[0] * 1000:.0f} ms, p95 {zoomed[1] * 1000:.0f} ms ({zoomed[2] / 1e3:.0f} kB)",
        flush=True,
    )


def browser_figures(browser, base: str, windows: list[tuple[float, float]]) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.context.add_cookies(browser_cookies(OPENER, base))
    started = time.perf_counter()
    page.goto(f"{base}/maps/risk")
    page.wait_for_selector("html[data-fm-map=ready]", timeout=60_000)
    ready = time.perf_counter() - started
    loaded = page.evaluate(
        "performance.getEntriesByType('navigation')[0].transferSize + performance"
        ".getEntriesByType('resource').reduce((s, r) => s + r.transferSize, 0)"
    )
    state = page.evaluate("window.fmMapState")
    moves = []
    map_id = page.evaluate("document.querySelector('.folium-map').id")
    for number, (x, y) in enumerate(windows[:10]):
        requests = page.evaluate("window.fmMapState.requests")
        started = time.perf_counter()  # zoom 16 and 17 in turn: each move needs new data
        page.evaluate(f"void window['{map_id}'].setView([{y}, {x}], {16 + number % 2})")
        done = (
            f"window.fmMapState.requests > {requests} && window.fmMapState.ready && "
            "document.querySelector('.fm-status').textContent.indexOf('…') < 0"
        )
        while not page.evaluate(done):  # polled: wait_for_function's eval is refused by the app's CSP
            page.wait_for_timeout(10)
        moves.append(time.perf_counter() - started)
    print(
        f"  chromium: drawn and usable in {ready:.2f} s, {loaded / 1e6:.2f} MB loaded for the first view "
        f"({state['mode']}: {state['drawn']:,} markers for {state['total']:,} assets); pan+zoom to a 1 km "
        f"or 0.5 km window redrawn in median {statistics.median(moves) * 1000:.0f} ms, max {max(moves) * 1000:.0f} ms",
        flush=True,
    )
    page.close()


def naive(browser, points, sizes: list[int], assets: int, folder: Path) -> None:
    """Folium's default way: one CircleMarker with a popup per asset, written into the page."""
    figures = []
    for n in sizes:
        sample = points.head(n)
        started = time.perf_counter()
        m = folium.Map(location=[35.32, 139.55], zoom_start=13, tiles=None)
        m.default_js = [("leaflet", (STATIC / "leaflet.js").as_uri())]
        m.default_css = [("leaflet_css", (STATIC / "leaflet.css").as_uri())]
        for row in sample.itertuples():
            folium.CircleMarker([row.y, row.x], radius=5, popup=f"{row.code} {row.category}").add_to(m)
        html = m.get_root().render()
        build = time.perf_counter() - started
        path = folder / f"naive-{n}.html"
        path.write_text(html)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load", timeout=600_000)
        page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
        shown = time.perf_counter() - started
        page.close()
        figures.append((n, build, len(html.encode()), shown))
        print(
            f"  naive Folium, {n:,} assets: built in {build:.1f} s, {len(html.encode()) / 1e6:.1f} MB, "
            f"loaded by Chromium in {shown:.1f} s",
            flush=True,
        )
    (n1, b1, s1, l1), (n2, b2, s2, l2) = figures[0], figures[-1]

    def at(v1: float, v2: float) -> float:
        return v1 + (v2 - v1) * (assets - n1) / (n2 - n1)

    print(
        f"  naive Folium at {assets:,} assets, extrapolated linearly from {n1:,} and {n2:,}: built in "
        f"{at(b1, b2):.0f} s, {at(s1, s2) / 1e6:.0f} MB, loaded in {at(l1, l2):.0f} s",
        flush=True,
    )


GOALS = {"size": 10e6, "write": 5.0, "draw": 2.0}
"""The issue's goals for the standalone file at 100,000 assets: bytes, seconds to write, seconds to draw."""


def _open_time(browser, path: Path, ready: str) -> float:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    started = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=600_000)
    page.wait_for_function(ready, timeout=600_000)
    page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
    elapsed = time.perf_counter() - started
    page.close()
    return elapsed


WRITE_STEPS = (
    ("assets, geometry and scores (one query)", "read_layer"),
    ("points", "layer_points"),
    ("cards", "card_columns"),
    ("packing", "pack"),
    ("Folium's rendering", "render"),
)
"""The steps of writing a standalone map, each by the fm function whose cumulative time it is (cProfile)."""


def write_steps(url: str, out: Path) -> str:
    """Where the time of writing the risk map goes: the same work as ``fm map risk``, in this process under cProfile."""
    import cProfile
    import pstats

    from fm.app import maps
    from fm.domain.risk.config import load_config as risk_config

    database = Database(url)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    with database.session() as session:
        m = maps.build_map(
            session, "risk", {}, tiles=maps.basemap("none", None), static=None, urls=None, config=risk_config()
        )
    out.write_text(m.get_root().render(), encoding="utf-8")
    profile.disable()
    total = time.perf_counter() - started
    database.dispose()
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (calls, primitive, own, cumulative, callers)
    found = {}
    for (path, _, name), (_, _, _, cumulative, _) in stats.items():
        for label, function in WRITE_STEPS:
            if name == function and "/fm/" in path and (label != "Folium's rendering" or "maps/build.py" in path):
                found[label] = max(found.get(label, 0.0), cumulative)
    return f"{total:.2f} s in process under cProfile: " + ", ".join(f"{k} {v:.2f}" for k, v in found.items())


def draw_steps(browser, path: Path) -> str:
    """Where Chromium's time to draw the file goes: the ``fm:*`` measures fm-map.js takes, and when it was ready."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(path.as_uri(), wait_until="load", timeout=600_000)
    page.wait_for_function("document.documentElement.dataset.fmMap === 'ready'", timeout=600_000)
    steps = page.evaluate(
        "performance.getEntriesByType('measure').filter(e => e.name.startsWith('fm:'))"
        ".map(e => e.name.slice(3) + ' ' + Math.round(e.duration))"
    )
    ready = page.evaluate("Math.round(fmMapState.readyAt)")
    page.close()
    return f"ready {ready} ms after navigation began: " + ", ".join(f"{s} ms" for s in steps)


def _write(url: str, out: Path, code: Path | None = None) -> tuple[float, float]:
    """``fm map risk OUT`` in a new process (of the ``fm`` package in ``code`` if given): wall and CPU seconds."""
    fm = Path(sys.executable).with_name("fm")
    env = {**os.environ, "FM_DATABASE_URL": url, "FM_COMMAND_SERVER": "0"}  # its own process: its CPU is counted
    if code is not None:
        env["PYTHONPATH"] = str(code)
    before = os.times()
    started = time.perf_counter()
    subprocess.run([str(fm), "map", "risk", str(out), "--basemap", "none"], env=env, check=True, capture_output=True)
    write = time.perf_counter() - started
    after = os.times()
    return write, after.children_user + after.children_system - before.children_user - before.children_system


def _cpu(code: str) -> float:
    """CPU seconds of ``python -c CODE`` in a new process."""
    before = os.times()
    subprocess.run([sys.executable, "-c", code], check=True)
    after = os.times()
    return after.children_user + after.children_system - before.children_user - before.children_system


def _packed(path: Path) -> tuple[dict, str]:
    """A standalone file's packed features (as stored) and its page with Folium's random element names made equal."""
    html = path.read_text(encoding="utf-8")
    start = html.index('"packed":') + len('"packed":')
    return json.JSONDecoder().raw_decode(html, start)[0], re.sub(r"_[0-9a-f]{32}", "_ID", html)


def before_after(url: str, folder: Path, code: Path, runs: int) -> None:
    """The earlier code's ``fm map risk`` and this one's, alternately, ``runs`` times each; the files compared."""
    times: dict[str, list[tuple[float, float]]] = {"before": [], "now": []}
    for _ in range(runs):
        times["before"].append(_write(url, folder / "before.html", code))
        times["now"].append(_write(url, folder / "now.html"))
    load = os.getloadavg()[0]
    for label, samples in times.items():
        walls, cpus = [w for w, _ in samples], [c for _, c in samples]
        print(
            f"  {label:6s} ({runs} runs, alternately): wall median {statistics.median(walls):.2f} s "
            f"({min(walls):.2f}–{max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s "
            f"({min(cpus):.2f}–{max(cpus):.2f}); goal under {GOALS['write']:.0f} s",
            flush=True,
        )
    old, new = _packed(folder / "before.html"), _packed(folder / "now.html")
    print(
        f"  the same file: packed features {'equal' if old[0] == new[0] else 'DIFFERENT'}, page "
        f"{'equal' if old[1] == new[1] else 'DIFFERENT'} (Folium's random element names aside); load average "
        f"at the end {load:.1f}",
        flush=True,
    )


def standalone(browser, url: str, folder: Path) -> None:
    """``fm map risk`` to one file (its own process), opened in Chromium; plain Folium's GeoJSON page beside it."""
    out = folder / "risk.html"
    floor = _cpu("pass")
    imports = _cpu("import fm.cli.maps, fm.app.maps")
    print(
        f"  a new Python process {floor:.2f} s of CPU; with the command's imports (fm.cli.maps, fm.app.maps) "
        f"{imports:.2f} s",
        flush=True,
    )
    write, cpu = _write(url, out)
    size = out.stat().st_size
    draw = min(_open_time(browser, out, "document.documentElement.dataset.fmMap === 'ready'") for _ in range(3))
    print(
        f"  standalone `fm map risk`: {size / 1e6:.1f} MB (goal under {GOALS['size'] / 1e6:.0f}), written in "
        f"{write:.1f} s (goal under {GOALS['write']:.0f}, the whole command; {cpu:.1f} s of CPU), drawn by Chromium "
        f"in {draw:.2f} s (goal under {GOALS['draw']:.0f}, best of 3)",
        flush=True,
    )
    print(f"    writing, step by step: {write_steps(url, folder / 'risk-profiled.html')}", flush=True)
    print(f"    drawing, step by step: {draw_steps(browser, out)}", flush=True)
    database = Database(url)
    with database.session() as session:
        run = risk_store.latest_run(session)
        points = store.read_map_points(session, run_id=run.id if run else None)
        shapes = store.read_assets(session, columns=("id", "geom"))
    database.dispose()
    frame = shapes.merge(points[["id", "code", "category", "risk_class"]], on="id").drop(columns="id")
    started = time.perf_counter()
    m = folium.Map(location=[35.32, 139.55], zoom_start=13, tiles=None, prefer_canvas=True)
    m.default_js = [("leaflet", (STATIC / "leaflet.js").as_uri())]
    m.default_css = [("leaflet_css", (STATIC / "leaflet.css").as_uri())]
    fields = ["code", "category", "risk_class"]
    folium.GeoJson(frame.to_json(drop_id=True), popup=folium.GeoJsonPopup(fields=fields)).add_to(m)
    html = m.get_root().render()
    path = folder / "plain-folium.html"
    path.write_text(html)
    build = time.perf_counter() - started
    shown = _open_time(browser, path, "true")
    print(
        f"  plain Folium, one GeoJSON layer of the same {len(frame):,} assets: {len(html.encode()) / 1e6:.1f} MB, "
        f"built in {build:.1f} s, loaded and drawn by Chromium in {shown:.2f} s",
        flush=True,
    )


def bench(url: str, label: str, data: Path | None, browser, folder: Path, sizes: list[int] | None) -> None:
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)
    if data is not None:
        with database.session() as session:
            load(session, data, reset=True)
        with database.session() as session:
            risk.compute_risk(session, config=load_config(), as_of=date(2026, 4, 1), actor="bench")
    with database.session() as session:
        points = store.read_map_points(session)
    database.dispose()
    rng = np.random.default_rng(7)
    windows = [tuple(points[["x", "y"]].iloc[i]) for i in rng.integers(0, len(points), 20)]
    from fm.web import create_app

    app = create_app(Config(database_url=url, instance_path=folder, secret_key="bench", basemap="none"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    global OPENER
    OPENER = signed_in(base, url)
    print(f"{label}, {len(points):,} assets on the map:", flush=True)
    server_figures(base, windows)
    browser_figures(browser, base, windows)
    server.shutdown()
    standalone(browser, url, folder)
    if sizes:
        naive(browser, points, sizes, len(points), folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--postgres-url", help="an empty PostGIS database (its fm tables are replaced)")
    parser.add_argument("--naive", default="10000,30000", help="sizes of the naive Folium maps (two or more)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--standalone", metavar="URL", help="only the standalone file, of this scored register")
    parser.add_argument("--before", type=Path, metavar="DIR", help="with --standalone: an earlier fm to compare with")
    parser.add_argument("--runs", type=int, default=5, help="with --before: runs of each code")
    args = parser.parse_args()
    sizes = [int(n) for n in args.naive.split(",")] if args.naive else None
    print(cached_bytecode(Path(__file__).resolve().parents[1], *([args.before] if args.before else [])), flush=True)
    if args.standalone:
        with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=FLAGS)
            print(f"standalone file of {args.standalone} (load average {os.getloadavg()[0]:.1f}):", flush=True)
            if args.before:
                before_after(args.standalone, Path(folder), args.before, args.runs)
            standalone(browser, args.standalone, Path(folder))
            browser.close()
        return
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        folder = Path(folder)
        browser = playwright.chromium.launch(executable_path=args.chromium, args=FLAGS)
        started = time.perf_counter()
        generate_scaled(args.assets, folder / "data")
        print(f"generated {args.assets:,} assets in {time.perf_counter() - started:.1f} s", flush=True)
        bench(f"sqlite:///{folder / 'bench.sqlite3'}", "SQLite", folder / "data", browser, folder, sizes)
        if args.postgres_url:
            bench(args.postgres_url, "PostGIS", folder / "data", browser, folder, None)
        browser.close()


if __name__ == "__main__":
    main()

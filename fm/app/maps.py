"""Use cases of the maps: load records through fm.io, call fm.domain.maps and fm.domain.kpi, return frames,
GeoJSON dicts and ``folium.Map`` objects. The map pages, the viewport endpoint and ``fm map``
call these, so a page and an exported file show the same records."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from fm.app.snapshots import snapshot
from fm.domain import cards
from fm.domain.fiscal import fiscal_year as to_fiscal_year
from fm.domain.kpi import INDICATORS as KPI_INDICATORS
from fm.domain.kpi import KpiData, measure
from fm.domain.maps import build, geojson, packed, style
from fm.domain.maps import districts as district_view
from fm.domain.maps.basemap import Tiles
from fm.domain.maps.basemap import basemap as basemap
from fm.domain.maps.build import mini_map as mini_map
from fm.domain.maps.style import classes as classes
from fm.domain.maps.viewport import (
    MAX_FEATURES,
    MapFilter,
    apply_filter,
    cluster,
    cluster_base,
    filter_columns,
    meets,
    parse_filter,
    parse_viewport,
)
from fm.domain.risk import deterioration
from fm.domain.risk.config import RiskConfig
from fm.domain.risk.inspections import next_inspections
from fm.errors import NotFound, ValidationError
from fm.io import maps as map_store
from fm.io import risk as risk_store
from fm.io import store
from fm.model import Asset
from fm.serialize import to_json

DISTRICT_INDICATORS = district_view.INDICATORS
"""What the districts map can show (fm.domain.maps.districts)."""
LAYERS = ("risk", "plans")
KINDS = ("risk", "plans", "land", "districts", "repairs")
REPAIR_YEARS = 5
TEXT = {
    "ja": {
        "loading": "読み込み中…",
        "shown": "{count} 件を表示",
        "error": "表示できません:",
        "clustered": "{total} 件を {count} か所にまとめて表示 — 拡大すると個別に表示します",
        "cluster": "{count} 件",
        "class": "区分",
        "category": "分類",
        "district": "地域",
        "condition": "直近の点検結果",
        "last_inspected": "直近の点検",
        "next_due": "次回点検",
        "risk": "リスク",
        "reasons": "主な理由",
        "planned": "予定している工事",
        "open": "資産のページを開く",
        "none": "なし",
        "never": "点検記録なし",
        "scored": "{date} のリスク評価",
        "unscored": "リスク未評価（fm score を実行してください）",
        "as_of": "{date} 時点",
        "fiscal_year": "{year}年度末時点",
        "years": "{first}–{last}年度",
        "area": "面積 (m²)",
        "since": "いつから",
        "use": "現況",
        "owner": "所管",
        "code": "番号",
        "name": "名称",
        "value": "値",
        "numerator": "分子",
        "denominator": "分母",
        "few": "少",
        "many": "多",
        "repairs_note": "{first}–{last}年度に完了した {count} 件（fm kpi --records reactive_repairs と同じ記録）",
        "land_note": "{year}年度末に低・未利用の {count} 筆、計 {area} m²（EPSG:6677 で計測）",
        "plans_note": "{year}年度末。策定率の記録は fm kpi --records plan_coverage と同じ",
        "no_value": "値なし",
        "made": "{date} 作成（fm）",
        "in_view": "地図の表示範囲にある資産（地図と同じ内容の表。地図を動かすと更新されます）",
        "in_view_clusters": "地図の表示範囲にある資産の区分別件数（拡大すると資産ごとの表になります）",
        "count": "件数",
    },
    "en": {
        "loading": "Loading…",
        "shown": "Assets shown: {count}",
        "error": "Cannot show the map:",
        "clustered": "{total} assets in {count} clusters — zoom in to see each one",
        "cluster": "{count} assets",
        "class": "Class",
        "category": "Category",
        "district": "District",
        "condition": "Latest condition",
        "last_inspected": "Last inspection",
        "next_due": "Next inspection",
        "risk": "Risk",
        "reasons": "Main reasons",
        "planned": "Planned work",
        "open": "Open the asset page",
        "none": "none",
        "never": "never inspected",
        "scored": "risk scored on {date}",
        "unscored": "not scored yet (run fm score)",
        "as_of": "as of {date}",
        "fiscal_year": "at the end of FY{year}",
        "years": "FY{first}–FY{last}",
        "area": "Area (m²)",
        "since": "Since",
        "use": "Current use",
        "owner": "Department",
        "code": "Code",
        "name": "Name",
        "value": "Value",
        "numerator": "Numerator",
        "denominator": "Denominator",
        "few": "few",
        "many": "many",
        "repairs_note": "{count} completed in FY{first}–FY{last} (the records of fm kpi --records reactive_repairs)",
        "land_note": "{count} parcels underused or unused at the end of FY{year}, {area} m² in all (EPSG:6677)",
        "plans_note": "End of FY{year}; the records of fm kpi --records plan_coverage",
        "no_value": "no value",
        "made": "made on {date} with fm",
        "in_view": "Assets in the map's view (the map as a table; it follows the map as you move it)",
        "in_view_clusters": "Assets in the map's view by class (zoom in for one row per asset)",
        "count": "Count",
    },
}


TITLES = {
    "risk": ("リスクマップ", "Risk map"),
    "plans": ("個別施設計画の策定状況", "Individual facility plan coverage"),
    "land": ("低未利用の公有地", "Underused public land"),
    "districts": ("地域別の指標", "Indicators by district"),
    "repairs": ("突発的な故障による事後修繕", "Reactive repairs after sudden failures"),
}


def text(lang: str) -> dict[str, str]:
    """The map texts in ``lang`` (Japanese unless ``"en"``)."""
    return TEXT["en" if lang == "en" else "ja"]


def title(kind: str, lang: str) -> str:
    """The title of map ``kind`` in ``lang``."""
    return TITLES[kind][1 if lang == "en" else 0]


def city_bounds(session: Session) -> tuple[float, float, float, float]:
    """West, south, east, north of the districts (or of the assets when no district is recorded)."""
    frame = store.read_table(session, "districts", ("id", "geom"))
    if not len(frame):
        frame = store.read_assets(session, columns=("id", "geom"))
    if not len(frame):
        raise ValidationError("nothing to map: the database holds no districts and no assets (run `fm demo`)")
    return tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]


def district_names(session: Session) -> pd.DataFrame:
    """The districts a map can be filtered by: id, name, name_en."""
    return store.read_table(session, "districts", ("id", "name", "name_en"))


def _facility_categories(categories: pd.DataFrame) -> list[str]:
    return categories.loc[categories["asset_group"] == "facility", "code"].tolist()


def layer_categories(session: Session, layer: str, *, lang: str) -> pd.DataFrame:
    """The categories a layer shows (code, label): every one for the risk map, facilities for plans."""
    categories = store.read_categories(session)
    if layer == "plans":
        categories = categories[categories["code"].isin(_facility_categories(categories))]
    return pd.DataFrame(
        {"code": categories["code"], "label": categories["name_en" if lang == "en" else "name"]}
    ).reset_index(drop=True)


def plan_status(session: Session, assets: pd.DataFrame, *, fiscal_year: int) -> pd.Series:
    """adopted, needed or not_needed per asset id, by the plan coverage indicator's own records."""
    data = KpiData(
        assets=assets,
        categories=None,
        plans=store.read_table(session, "individual_plans"),
        plan_assets=store.read_table(session, "plan_assets"),
        budget_items=None,
        parcels=None,
        parcel_uses=None,
        work_orders=None,
    )
    counted = measure("plan_coverage", data, fiscal_year=fiscal_year).records
    status = pd.Series("not_needed", index=assets["id"].to_numpy(), dtype=object)
    status[counted["id"].to_numpy()] = np.where(counted["covered"], "adopted", "needed")
    return status


def layer_points(
    session: Session,
    layer: str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    categories: Sequence[str] | None = None,
    districts: Sequence[int] | None = None,
    fiscal_year: int | None = None,
    detail: bool = False,
    boxes: bool = False,
) -> pd.DataFrame:
    """The held assets of a layer as points (id, code, category, district_id, x, y), with ``class``
    (risk class or plan status) and ``state`` (the latest inspection's, from the latest risk run); with
    ``boxes``, each one's box too (see :func:`fm.io.store.read_map_points`).

    ``detail`` (a standalone file, every asset at once) reads instead, in one query, what the file shows of each
    (:func:`fm.io.maps.read_layer`: name, geometry, the latest run's risk_class and card scores; no x, y)."""
    if layer not in LAYERS:
        raise ValidationError(f"unknown map layer {layer!r}; choose from {', '.join(LAYERS)}")
    run = risk_store.latest_run(session)
    if layer == "plans":
        facility = _facility_categories(store.read_categories(session))
        categories = [c for c in (categories if categories is not None else facility) if c in facility]
    if detail:
        points = map_store.read_layer(
            session, run_id=run.id if run else None, categories=categories, districts=districts
        )
    else:
        points = store.read_map_points(
            session,
            bbox=bbox,
            categories=categories,
            districts=districts,
            run_id=run.id if run else None,
            boxes=boxes,
        )
    if run is None:
        points = points.assign(risk_class=None, state=np.nan)
    if layer == "risk":
        points["class"] = points["risk_class"].fillna(style.UNSCORED)
    else:
        year = fiscal_year or to_fiscal_year(date.today())
        columns = ("id", "code", "name", "category", "needs_individual_plan", "acquisition_date", "disposed_on")
        held = store.read_assets(session, columns=columns, categories=categories)
        points["class"] = points["id"].map(plan_status(session, held, fiscal_year=year))
    return points if detail else points.drop(columns="risk_class")


BOX = ("minx", "miny", "maxx", "maxy")
"""The columns of each point's bounding box (:func:`fm.io.store.read_map_points`)."""


class KeptLayer:
    """A layer's points of the whole city, kept (see :func:`kept_layer`): ``points`` (id, code, category, district_id,
    x, y, class, state), ``boxes`` (each one's minx, miny, maxx, maxy as arrays), ``base`` (what clustering them
    computes whatever the zoom, with the classes in ``order``), the ``categories`` and ``districts`` a filter may
    name, and each point's Feature text per zoom level once a viewport has asked for it at that zoom
    (:func:`_feature_texts`).

    ``points`` has a RangeIndex: row ``i`` of it is item ``i`` of each box array and of each array of texts."""

    ZOOMS = 8
    """Zoom levels whose texts are kept at once, the least recently asked dropped first. At 100,000 assets about
    24 MB for the first zoom level once every asset has been in a viewport at it, and for each further one its
    array (0.8 MB) and the texts that differ from those kept at another level (:meth:`keep`)."""

    def __init__(
        self,
        points: pd.DataFrame,
        order: Sequence[str],
        categories: Sequence[str] = (),
        districts: Sequence[int] = (),
    ) -> None:
        self.categories, self.districts = list(categories), list(districts)
        self.points = points.drop(columns=list(BOX)).reset_index(drop=True)
        self.boxes = tuple(points[column].to_numpy(dtype=float) for column in BOX)
        self.order = list(order)
        self.base = cluster_base(self.points, self.order)
        self._features: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._columns: dict[str, np.ndarray] = {}

    def features(self, zoom: int) -> np.ndarray:
        """The Feature texts kept at ``zoom``, one per row of ``points`` (None where not made yet). Shared by the
        requests of the process: they only fill what is None, each with the same text."""
        with self._lock:
            texts = self._features.get(zoom)
            if texts is None:
                texts = self._features[zoom] = np.full(len(self.points), None, dtype=object)
                while len(self._features) > self.ZOOMS:
                    self._features.popitem(last=False)
            self._features.move_to_end(zoom)
            return texts

    def in_view(self, bbox: tuple[float, float, float, float]) -> np.ndarray:
        """The positions of the rows of ``points`` whose box meets ``bbox`` (:func:`fm.domain.maps.viewport.meets`),
        in order."""
        return np.flatnonzero(meets(*self.boxes, bbox))

    def column(self, name: str) -> np.ndarray:
        """The column ``name`` of ``points`` as an array (made once: selecting from the frame on every request cost
        more than the rest of a kept viewport)."""
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = self.points[name].to_numpy()
        return found

    def keep(self, zoom: int, rows: np.ndarray, made: list[str]) -> None:
        """Keep the texts ``made`` of ``rows`` at ``zoom``. A text equal to one kept at another zoom (a point, or a
        line already as simple as it can be: most of them from zoom 15 on) is kept once, that one."""
        texts = self.features(zoom)
        shared = np.array(made, dtype=object)
        with self._lock:
            others = [kept for kept in self._features.values() if kept is not texts]
        for other in others:
            known = other[rows]
            shared = np.where(known == shared, known, shared)
        texts[rows] = shared


def kept_layer(session: Session, layer: str, *, fiscal_year: int | None = None) -> KeptLayer:
    """:func:`layer_points` of the whole city with each point's box (minx, miny, maxx, maxy), read once and
    kept until any watched table changes (fm/app/snapshots.py), not copied: a viewport is cut from it in
    memory (:meth:`KeptLayer.in_view`, then the filters of :func:`apply_filter`) instead of asking the database on
    every pan. At 100,000 assets about 14 MB a process and layer, read again in about a second after a
    write. With them, and dropped with them, the features' texts the viewports have asked for. The
    caller must not change it."""
    return snapshot(
        session,
        f"{__name__}.kept_layer",
        lambda own: KeptLayer(
            layer_points(own, layer, fiscal_year=fiscal_year, boxes=True),
            [c.key for c in style.classes(layer)],
            *_filter_values(own, layer),
        ),
        layer,
        fiscal_year,
        shared=True,
    )


def kept_points(session: Session, layer: str, *, fiscal_year: int | None = None) -> pd.DataFrame:
    """The points of :func:`kept_layer`, without their boxes (the caller must not change them)."""
    return kept_layer(session, layer, fiscal_year=fiscal_year).points


def map_layer(session: Session, layer: str, args: Mapping[str, str]) -> str:
    """The viewport endpoint's GeoJSON text: the layer's features in ``bbox`` at ``zoom``, filtered (see
    :func:`fm.domain.maps.viewport.parse_filter`), or clusters of them when more than ``MAX_FEATURES``."""
    if layer not in LAYERS:
        raise NotFound(f"no map layer {layer!r}; choose from {', '.join(LAYERS)}")
    viewport = parse_viewport(args.get("bbox"), args.get("zoom"))
    kept = kept_layer(session, layer, fiscal_year=_year(args))
    # the filter's categories and districts as kept with the points (dropped at any write as they are): asking
    # the change counters once a pan, not twice
    found = parse_filter(args, categories=kept.categories, districts=kept.districts, classes=kept.order)
    # of the points in view (25,000 at zoom 13) only their ids and the columns the filters read
    rows = kept.in_view(viewport.bbox)
    shown = pd.DataFrame({column: kept.column(column)[rows] for column in ["id", *filter_columns(found)]}, index=rows)
    rows = _with_duties(session, apply_filter(shown, found), layer, args).index.to_numpy()
    if len(rows) > MAX_FEATURES:
        px0, py0, rank = (each[rows] for each in kept.base)
        where = pd.DataFrame({"x": kept.column("x")[rows], "y": kept.column("y")[rows]})
        cells = cluster(where, viewport.zoom, kept.order, base=(px0, py0, rank))
        clusters = geojson.clusters(cells, layer=layer, mode="clusters", total=len(rows))
        return to_json(clusters, compact=True)
    return geojson.collection_text(
        _feature_texts(session, kept, rows, viewport.zoom), layer=layer, mode="features", total=len(rows)
    )


FEATURE_PROPERTIES = ["code", "category", "class"]
"""What a viewport's feature says of its asset (the popup's card is asked for apart)."""


WARM_ZOOMS = (15, 16, 17)
"""The zoom levels whose feature texts ``fm serve`` makes for the whole city when it starts (:func:`warm_features`).
On the generated 100,000-asset register a window of 1,000 × 600 pixels holds features rather than clusters from
zoom 17 (38,000 assets at zoom 15 in the city centre); bench/locustfile.py's smaller viewports from zoom 15."""


def warm_features(session: Session, layer: str, zooms: Sequence[int] = WARM_ZOOMS) -> None:
    """Make the feature text of every point of ``layer`` at each of ``zooms`` (kept, :func:`kept_layer`), so that the
    first viewports after a start are not the ones that read the geometries (at 100,000 assets about 3 s of CPU
    for zooms 15 to 17, the geometries and properties read and written once, and 24 MB for the first zoom level,
    little more for each next one).
    After a write they are made again as viewports ask for them."""
    kept = kept_layer(session, layer)
    _make_texts(session, kept, np.arange(len(kept.points)), zooms)


def _feature_texts(session: Session, kept: KeptLayer, rows: np.ndarray, zoom: int) -> list[str]:
    """The Feature texts of the points at ``rows`` of ``kept.points`` (in their order) at ``zoom``, as
    :func:`fm.domain.maps.geojson.feature_texts` writes them from each one's stored geometry: those made for an
    earlier viewport taken from ``kept``, the others made now (their geometries read by id) and kept.

    A text depends on its row alone (the geometry, the code, the category, the class: the fiscal year a class
    depends on is in the key of ``kept``; the filters only choose rows), so the answer is the one written without
    them, byte for byte. A zoom-15 viewport (2,300 features, most of them lines) was 45 ms of CPU, two thirds of it
    reading the geometries and writing each feature."""
    texts = kept.features(zoom)
    made = texts[rows]
    missing = rows[np.equal(made, None)]
    if len(missing):
        _make_texts(session, kept, missing, [zoom])
        made = texts[rows]
    return [text for text in made.tolist() if text is not None]


def _make_texts(session: Session, kept: KeptLayer, rows: np.ndarray, zooms: Sequence[int]) -> None:
    """Make and keep the Feature texts of the points at ``rows`` at each of ``zooms``, their geometries read once.
    Rows without a stored geometry stay None and are left out, as the join with the geometries leaves them."""
    shown = _shown(session, kept.points.loc[rows, ["id", *FEATURE_PROPERTIES]].assign(row=rows))
    for zoom, texts in geojson.feature_texts_by_zoom(shown, FEATURE_PROPERTIES, zooms).items():
        assert zoom is not None
        kept.keep(zoom, shown["row"].to_numpy(), texts)


def layer_features(
    session: Session, layer: str, args: Mapping[str, str], *, config: RiskConfig, lang: str = "ja"
) -> dict[str, Any]:
    """Every feature of a layer that ``args`` keep, in full detail, each with its card: what an
    exported file holds."""
    found = _filter(session, layer, args)
    points = apply_filter(
        layer_points(session, layer, categories=found.categories, districts=found.districts, fiscal_year=_year(args)),
        found,
    )
    points = _with_duties(session, points, layer, args)
    many = len(points) > store.MANY_IDS  # a large register: every card at once, not by id
    cards = {
        card["code"]: card
        for card in asset_cards(session, ids=None if many else points["id"].tolist(), config=config, lang=lang)
    }
    return _features(
        session, points.assign(card=points["code"].map(cards)), zoom=None, mode="features", total=len(points)
    )


CANVAS_FROM = MAX_FEATURES
"""From this many features on, a standalone file draws them on one canvas (found by index for a popup)
instead of a Leaflet layer each."""


def packed_features(
    session: Session, layer: str, args: Mapping[str, str], *, config: RiskConfig, lang: str = "ja"
) -> dict[str, Any]:
    """What :func:`layer_features` gives, packed for a standalone file (:mod:`fm.domain.maps.packed`):
    quantised coordinates in typed arrays, attributes and cards column by column, compressed.

    Column-wise from end to end (100,000 assets in a few seconds): the geometry decoded by shapely at once,
    the cards made by :func:`fm.domain.cards.card_columns`, never one Python object per feature."""
    found = _filter(session, layer, args)
    points = layer_points(
        session, layer, categories=found.categories, districts=found.districts, fiscal_year=_year(args), detail=True
    )
    shown = gpd.GeoDataFrame(
        _with_duties(session, apply_filter(points, found), layer, args), geometry="geom", crs=store.CRS
    )
    ids = None if len(shown) > store.MANY_IDS else shown["id"].tolist()
    scored = shown[shown["risk_class"].notna()]
    scores = pd.DataFrame(  # what fm.io.risk.read_card_scores gives, read with the points
        {
            "id": scored["id"],
            **{name: scored[name] for name in risk_store.CARD_SCORES},
            "inspected_on": scored["inspected_on"],
            "annual_users": scored["annual_users"].astype("float64"),
        }
    ).reset_index(drop=True)
    assets = pd.DataFrame(shown[["id", "code", "name", "category", "district_id"]])
    columns = card_columns(session, ids=ids, assets=assets, config=config, lang=lang, scores=scores)
    present = set(shown["class"].unique().tolist())
    return packed.pack(
        shown,
        categories=sorted(shown["category"].unique().tolist()),
        classes=[c.key for c in style.classes(layer) if c.key in present],
        cards=columns,
    )


def _features(session: Session, points: pd.DataFrame, *, zoom: int | None, **members: Any) -> dict[str, Any]:
    shown = _shown(session, points)
    properties = ["code", "category", "class", *(["card"] if "card" in shown.columns else [])]
    return geojson.features(shown, properties, zoom=zoom, **members)


def _shown(session: Session, points: pd.DataFrame) -> gpd.GeoDataFrame:
    """``points`` with each one's stored geometry."""
    many = len(points) > store.MANY_IDS  # an exported file of a large register: read them all
    shapes = store.read_assets(session, columns=("id", "geom"), ids=None if many else points["id"].tolist())
    return gpd.GeoDataFrame(points.merge(shapes, on="id"), geometry="geom", crs=store.CRS)


DUTY_FILTERS = ("unmet", "overdue")


def _with_duties(session: Session, points: pd.DataFrame, layer: str, args: Mapping[str, str]) -> pd.DataFrame:
    """The risk map's ``duty`` filter: ``unmet`` keeps the assets with a statutory duty (Ⅲ/Ⅳ) on which no
    measure has started, ``overdue`` those of them past the deadline (:mod:`fm.app.duties`, as of today)."""
    wanted = args.get("duty", "")
    if not wanted.strip():
        return points
    if layer != "risk" or wanted not in DUTY_FILTERS:
        raise ValidationError(f"duty must be {' or '.join(DUTY_FILTERS)} on the risk map, got {wanted!r}")
    from fm.app.duties import duty_frame  # the duties' use cases only when asked (fm map imports this module)
    from fm.domain.duties import STARTED

    found = duty_frame(session, as_of=date.today())
    found = found[~found["state"].isin(STARTED)]
    if wanted == "overdue":
        found = found[found["overdue"] > 0]
    return points[points["id"].isin(found["asset_id"])]


def _filter(session: Session, layer: str, args: Mapping[str, str]) -> MapFilter:
    categories, districts = snapshot(  # kept until a category or a district changes: read on every pan
        session, f"{__name__}._filter", lambda own: _filter_values(own, layer), layer, tables=FILTER_TABLES
    )
    return parse_filter(args, categories=categories, districts=districts, classes=[c.key for c in style.classes(layer)])


FILTER_TABLES = ("asset_categories", "districts")


def _filter_values(session: Session, layer: str) -> tuple[list[str], list[int]]:
    """The categories and districts a map's filter may name (read from :data:`FILTER_TABLES`)."""
    return (
        layer_categories(session, layer, lang="ja")["code"].tolist(),
        store.read_table(session, "districts", ("id",))["id"].tolist(),
    )


def _year(args: Mapping[str, str]) -> int | None:
    raw = args.get("fiscal_year")
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{4}", raw) or not 1900 <= int(raw) <= 2200:
        raise ValidationError(f"fiscal_year must be a year such as 2025, got {raw!r}")
    return int(raw)


def asset_cards(
    session: Session, *, ids: Sequence[int] | None, config: RiskConfig, lang: str = "ja"
) -> list[dict[str, Any]]:
    """The card of each asset (all held assets when ``ids`` is None): :func:`card_columns` as one dict per asset
    (:func:`fm.domain.cards.card_rows`)."""
    return cards.card_rows(card_columns(session, ids=ids, config=config, lang=lang))


def card_columns(
    session: Session,
    *,
    ids: Sequence[int] | None,
    config: RiskConfig,
    lang: str = "ja",
    assets: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The cards of :func:`asset_cards` column by column (:func:`fm.domain.cards.card_columns`), in the
    order of the assets' ids; of ``assets`` (id, code, name, category, district_id) in their order if given,
    already read by the caller (then ``ids`` says which records to read with them, None for all), and with
    the latest run's ``scores`` of them if given, as :func:`fm.io.risk.read_card_scores` gives them."""
    if assets is None:
        assets = store.read_assets(session, columns=("id", "code", "name", "category", "district_id"), ids=ids)
    categories = store.read_categories(session)
    inspections = store.read_table(
        session,
        "inspections",
        ("asset_id", "inspected_on", "soundness", "condition_score", "next_due_on"),
        asset_ids=ids,
        dates_as_text=True,  # parsed at once below
    )
    seen = next_inspections(assets, inspections, config=config).set_index(assets["id"])
    states = deterioration.inspection_states(inspections, assets, categories)
    latest = (
        states.assign(inspected_on=pd.to_datetime(states["inspected_on"]))
        .sort_values(["asset_id", "inspected_on", "state"])
        .drop_duplicates("asset_id", keep="last")
        .set_index("asset_id")
    )
    seen["state"] = latest["state"].reindex(seen.index)
    if scores is None:
        scores = risk_store.read_card_scores(session, asset_ids=ids)
    work = store.read_table(
        session,
        "work_orders",
        ("asset_id", "code", "kind", "status", "planned_on", "planned_cost"),
        asset_ids=ids,
        where={"status": "planned"},  # the only work a card lists
        dates_as_text=True,
    )
    plan_works = store.read_table(
        session, "plan_works", ("plan_id", "asset_id", "fiscal_year", "description", "cost"), asset_ids=ids
    )
    planned = cards.planned_work(
        work,
        plan_works,
        store.read_table(session, "individual_plans", ("id", "code")),
        from_fiscal_year=to_fiscal_year(date.today()),
        lang=lang,
    )
    return cards.card_columns(
        assets,
        categories=categories,
        districts=store.read_table(session, "districts"),
        inspections=seen,
        scores=scores,
        planned=planned,
        lang=lang,
    )


def asset_id(session: Session, code: str) -> int:
    """The id of the asset with ``code``; NotFound when there is none."""
    found = store.find_asset(session, code)
    if found is None:
        raise NotFound(f"no asset with code {code!r}")
    return found


def asset_card(session: Session, code: str, *, config: RiskConfig, lang: str = "ja") -> dict[str, Any]:
    """One asset's card, by its code."""
    return asset_cards(session, ids=[asset_id(session, code)], config=config, lang=lang)[0]


def asset_record(session: Session, code: str) -> gpd.GeoDataFrame:
    """Every stored attribute of one asset, with its geometry."""
    return store.read_assets(session, columns=list(Asset.__table__.columns.keys()), ids=[asset_id(session, code)])


def underused_parcels(session: Session, *, fiscal_year: int) -> gpd.GeoDataFrame:
    """The parcels the underused-land indicator counted in ``fiscal_year``, with their geometry."""
    from fm.app.kpi import kpi_data

    records = measure("underused_land", kpi_data(session), fiscal_year=fiscal_year).records
    parcels = store.read_table(session, "land_parcels", ("id", "geom"))
    return gpd.GeoDataFrame(records.merge(parcels, on="id"), geometry="geom", crs=store.CRS)


def district_indicator(session: Session, indicator: str, *, fiscal_year: int) -> gpd.GeoDataFrame:
    """Each district's value of ``indicator`` (see :data:`fm.domain.maps.districts.INDICATORS`) in ``fiscal_year``."""
    if indicator not in district_view.INDICATORS:
        raise ValidationError(
            f"unknown district indicator {indicator!r}; choose from {', '.join(district_view.INDICATORS)}"
        )
    if indicator == "risk":
        run, rows = risk_store.read_latest(session)
        if run is None:
            raise ValidationError("no risk scores yet: run `fm score` first")
    else:
        from fm.app.kpi import kpi_data

        assert indicator in KPI_INDICATORS
        rows = measure(indicator, kpi_data(session), fiscal_year=fiscal_year).records
    where = store.read_assets(session, columns=("id", "district_id")).set_index("id")["district_id"]
    frame = store.read_table(session, "districts", ("id", "name", "name_en", "geom"))
    return district_view.district_values(indicator, frame.rename_geometry("geometry"), where, rows)


def repair_points(session: Session, *, first: int, last: int) -> pd.DataFrame:
    """The reactive repairs after sudden failures completed in fiscal years ``first``–``last``, each at
    a point on its asset (x, y), from the indicator's own records."""
    if first > last:
        raise ValidationError(f"fiscal years: the first ({first}) is after the last ({last})")
    from fm.app.kpi import kpi_data

    data = kpi_data(session)
    rows = pd.concat(
        [measure("reactive_repairs", data, fiscal_year=y).records for y in range(first, last + 1)], ignore_index=True
    )
    shapes = store.read_assets(session, columns=("id", "geom"), ids=rows["asset_id"].unique().tolist())
    point = shapes.geometry.representative_point()
    where = pd.DataFrame({"asset_id": shapes["id"], "x": point.x, "y": point.y})
    return rows.merge(where, on="asset_id")


def build_map(
    session: Session,
    kind: str,
    args: Mapping[str, str],
    *,
    tiles: Sequence[Tiles],
    static: build.Static,
    urls: Mapping[str, str] | None,
    config: RiskConfig,
    lang: str = "ja",
) -> folium.Map:
    """The map ``kind`` (see :data:`KINDS`) for ``args`` (the filters and options of its page).

    ``urls`` (viewport endpoint and card URL per layer) makes a page of the app; ``None`` a
    standalone file with every feature and card inlined, captioned with its title, the day
    it was made and the filters it was made with, since it travels without the app.
    """
    if kind not in KINDS:
        raise NotFound(f"no map {kind!r}; choose from {', '.join(KINDS)}")
    m = _build(session, kind, args, tiles=tiles, static=static, urls=urls, config=config, lang=lang)
    if urls is None:
        words = text(lang)
        chosen = ", ".join(f"{key}={value}" for key, value in args.items())
        caption = f"{title(kind, lang)} · {words['made'].format(date=date.today().isoformat())}"
        build.caption(m, caption + (f" · {chosen}" if chosen else ""))
        m.get_root().title = f"{title(kind, lang)} · fm"
    return m


def _build(
    session: Session,
    kind: str,
    args: Mapping[str, str],
    *,
    tiles: Sequence[Tiles],
    static: build.Static,
    urls: Mapping[str, str] | None,
    config: RiskConfig,
    lang: str,
) -> folium.Map:
    words = text(lang)
    bounds = city_bounds(session)
    common = {"tiles": tiles, "bounds": bounds, "static": static}
    year = _year(args) or to_fiscal_year(date.today())
    if kind in LAYERS:
        found = _filter(session, kind, args)
        if urls is None:
            source: dict[str, Any] = {
                "packed": packed_features(session, kind, args, config=config, lang=lang),
                "canvas_from": CANVAS_FROM,
            }
        else:
            kept = {k: v for k, v in args.items() if k in ("district", "class", "condition", "fiscal_year", "duty")}
            source = {"endpoint": urls[kind], "card": urls["card"], "filters": kept}
        shown = found.categories if urls is not None else None  # the page's layer switches start as asked
        run = risk_store.latest_run(session)
        note = (
            words["plans_note"].format(year=year)
            if kind == "plans"
            else words["scored"].format(date=run.computed_on.isoformat())
            if run
            else words["unscored"]
        )
        return build.asset_map(
            kind,
            categories=layer_categories(session, kind, lang=lang),
            shown=shown,
            classes=style.classes(kind),
            lang=lang,
            title=title(kind, lang),
            labels=words,
            source=source,
            districts=_outlines(session),
            note=note,
            **common,
        )
    if kind == "land":
        parcels = underused_parcels(session, fiscal_year=year)
        fields = {
            "code": words["code"],
            "name": words["name"],
            "current_use": words["use"],
            "since": words["since"],
            "area": words["area"],
            "owner_department": words["owner"],
        }
        parcels = parcels.assign(
            area=parcels["area_m2"].map("{:,.2f}".format), since=parcels["since"].astype(str)
        ).rename_geometry("geometry")
        note = words["land_note"].format(year=year, count=len(parcels), area=f"{parcels['area_m2'].sum():,.2f}")
        return build.parcel_map(
            parcels,
            classes=style.LAND,
            lang=lang,
            title=title("land", lang),
            fields=fields,
            districts=_outlines(session),
            note=note,
            **common,
        )
    if kind == "districts":
        indicator = args.get("indicator", "risk")
        frame = district_indicator(session, indicator, fiscal_year=year)
        return _choropleth(frame, indicator, year=year, words=words, lang=lang, **common)
    last = year
    first = last - _years(args) + 1
    points = repair_points(session, first=first, last=last)
    note = words["repairs_note"].format(first=first, last=last, count=len(points))
    return build.heat_map(
        points,
        title=title("repairs", lang),
        scale=(words["few"], words["many"]),
        districts=_outlines(session),
        note=note,
        **common,
    )


def _outlines(session: Session) -> gpd.GeoDataFrame:
    return store.read_table(session, "districts", ("id", "geom")).rename_geometry("geometry")


def _years(args: Mapping[str, str]) -> int:
    raw = args.get("years", str(REPAIR_YEARS))
    if not re.fullmatch(r"[0-9]{1,2}", raw) or not 1 <= int(raw) <= 50:
        raise ValidationError(f"years must be a whole number from 1 to 50, got {raw!r}")
    return int(raw)


def _choropleth(
    frame: gpd.GeoDataFrame, indicator: str, *, year: int, words: dict[str, str], lang: str, **common: Any
) -> folium.Map:
    unit = district_view.SPECS[indicator][3]
    digits = 3 if indicator == "risk" else 0 if indicator == "reactive_repairs" else 1

    def shown(value: Any) -> str:
        if value is None or pd.isna(value):
            return words["no_value"]
        return f"{value:,.{digits}f}" + (f" {unit}" if unit else "")

    classes, ranges = district_view.classify(frame["value"])
    colours = classes.map(lambda c: "#dddddd" if pd.isna(c) else style.SEQUENTIAL[int(c)])
    name = frame["name_en" if lang == "en" else "name"]
    frame = frame.assign(
        district=name,
        value_text=frame["value"].map(shown),
        # whole numbers (the aging ratio's yen, counts) exactly as they are, never through a float
        numerator_text=frame["numerator"].map(
            lambda v: f"{int(v):,}" if isinstance(v, int | np.integer) else f"{v:,.{digits if digits < 3 else 3}f}"
        ),
        denominator_text=frame["denominator"].map(
            lambda v: (
                "—" if v is None or pd.isna(v) else f"{int(v):,}" if isinstance(v, int | np.integer) else f"{v:,.0f}"
            )
        ),
    )
    heading = district_view.LABELS[indicator][1 if lang == "en" else 0]
    fields = {
        "district": words["district"],
        "value_text": heading,
        "numerator_text": words["numerator"],
        "denominator_text": words["denominator"],
    }
    legend = [(style.SEQUENTIAL[i], f"{shown(low)} – {shown(high)}") for i, (low, high) in enumerate(ranges)]
    note = words["fiscal_year"].format(year=year) if indicator != "risk" else None
    return build.choropleth(frame, title=heading, fields=fields, colours=colours, ranges=legend, note=note, **common)

"""The file format of imports and exports: per kind of record, its columns with both headers.

One :class:`Column` says everything a user and the validator need: the field, its
Japanese and English header, type, unit, whether it is required and what values it
allows. docs/import-export.md shows these tables; :func:`resolve_headers` matches a
file's header row to them, whichever language (or mix) it is in.

Headers match after Unicode NFKC normalisation, trimming and case folding, so
``取得価額（円）``, ``取得価額(円)`` and ``取得価額`` are the same column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fm.model.assets import (
    ASSET_STATUSES,
    INSPECTION_METHODS,
    WORK_CAUSES,
    WORK_KINDS,
    WORK_STATUSES,
)
from fm.model.land import UTILISATIONS
from fm.model.portfolio import SERVICE_KINDS
from fm.model.reference import CONDITION_SCALES, GROUPS


@dataclass(frozen=True)
class Column:
    """One column of a file: ``name`` is the English header and fm's field name."""

    name: str
    ja: str
    type: str = "text"
    unit: str = ""
    required: bool = False
    allowed: tuple[str, ...] = ()
    low: float | None = None
    """Smallest value allowed (``low_open``: values must be greater)."""
    low_open: bool = False
    high: float | None = None
    past: bool = False
    """A date of something done: not in the future."""
    refers: str | None = None
    """``category``, ``district``, ``asset`` or ``service``: the value is the code of one in the database (type
    ``codes``: each of the codes listed)."""
    length: int | None = None
    """Longest text the database column holds."""
    most: int | None = None
    """Integers and yen: the largest value the database column holds (BIGINT or INTEGER)."""

    @property
    def en(self) -> str:
        return self.name


@dataclass(frozen=True)
class Kind:
    """A kind of record that files hold: its table, key, columns and geometry."""

    name: str
    ja: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    geometry: str | None = None
    """``GEOMETRY`` (any type), ``MULTIPOLYGON`` (polygons) or None (no geometry)."""
    geometry_required: bool = False
    importable: bool = True
    exportable: bool = True

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


BIGINT_MOST = 2**63 - 1
"""The largest value a BIGINT column holds (PostgreSQL and SQLite alike): yen up to 9,223,372,036,854,775,807."""
INTEGER_MOST = 2**31 - 1
"""The largest value an INTEGER column holds on PostgreSQL (counts, years, lives)."""


def _yen(name: str, ja: str) -> Column:
    return Column(name, ja, "yen", "円", low=0, most=BIGINT_MOST)


def _integer(name: str, ja: str, unit: str = "", **options) -> Column:
    return Column(name, ja, "integer", unit, most=INTEGER_MOST, **options)


def _size(name: str, ja: str, unit: str) -> Column:
    return Column(name, ja, "number", unit, low=0, low_open=True)


ASSETS = Kind(
    "assets",
    "資産",
    ("code",),
    (
        Column("code", "資産番号", required=True, length=40),
        Column("name", "名称", required=True, length=200),
        Column("ledger_no", "台帳番号", length=40),
        Column("category", "施設区分", required=True, refers="category"),
        Column("district", "地域", refers="district"),
        _integer("year_built", "建設年", "西暦年", low=1600),
        Column("structure", "構造", length=60),
        _size("floor_area_m2", "延床面積", "m²"),
        _size("deck_area_m2", "橋面積", "m²"),
        _size("length_m", "延長", "m"),
        _size("width_m", "幅員", "m"),
        _size("diameter_mm", "管径", "mm"),
        Column("acquisition_date", "取得日", "date", past=True),
        _yen("acquisition_cost", "取得価額"),
        _integer("useful_life_years", "耐用年数", "年", low=0, low_open=True),
        _yen("replacement_cost", "再調達価額"),
        _integer("annual_users", "年間利用者数", "人・台/年", low=0),
        Column("is_evacuation_shelter", "避難所", "boolean"),
        Column("on_emergency_road", "緊急輸送道路", "boolean"),
        Column("needs_individual_plan", "個別施設計画の対象", "boolean"),
        Column("status", "状態", allowed=ASSET_STATUSES),
        Column("closed_on", "休止日", "date", past=True),
        Column("disposed_on", "廃止日", "date", past=True),
        Column("notes", "備考"),
    ),
    geometry="GEOMETRY",
)

INSPECTIONS = Kind(
    "inspections",
    "点検",
    ("asset_code", "inspected_on"),
    (
        Column("asset_code", "資産番号", required=True, refers="asset"),
        Column("inspected_on", "点検日", "date", required=True, past=True),
        Column("inspector", "点検者", length=100),
        Column("method", "点検方法", allowed=INSPECTION_METHODS),
        Column("soundness", "健全度", "soundness"),
        _integer("condition_score", "状態評価", low=1, high=5),
        Column("findings", "所見"),
        Column("next_due_on", "次回点検期限", "date"),
    ),
)

WORK_ORDERS = Kind(
    "work_orders",
    "工事",
    ("code",),
    (
        Column("code", "工事番号", required=True, length=40),
        Column("asset_code", "資産番号", required=True, refers="asset"),
        Column("kind", "種別", required=True, allowed=WORK_KINDS),
        Column("cause", "原因", allowed=WORK_CAUSES),
        Column("description", "内容"),
        Column("planned_on", "予定日", "date"),
        Column("started_on", "着手日", "date", past=True),
        Column("completed_on", "完了日", "date", past=True),
        _yen("planned_cost", "予定額"),
        _yen("actual_cost", "実績額"),
        Column("status", "状態", allowed=WORK_STATUSES),
        Column("state_after", "工事後の状態", "state"),
    ),
)

PARCELS = Kind(
    "parcels",
    "土地",
    ("code",),
    (
        Column("code", "土地番号", required=True, length=40),
        Column("name", "名称", length=200),
        Column("owner_department", "所管課", length=100),
        Column("district", "地域", refers="district"),
        Column("acquired_on", "取得日", "date", past=True),
        Column("disposed_on", "処分日", "date", past=True),
        Column("current_use", "現在の用途", length=200),
        Column("utilisation", "利用状況", allowed=UTILISATIONS),
        Column("use_since", "用途の開始日", "date", past=True),
    ),
    geometry="MULTIPOLYGON",
    geometry_required=True,
)

DISTRICTS = Kind(
    "districts",
    "地域",
    ("code",),
    (
        Column("code", "地域コード", required=True, length=32),
        Column("name", "名称", required=True, length=100),
        Column("name_en", "英語名", required=True, length=100),
        _integer("population", "人口", "人", low=0),
        Column("population_on", "人口の基準日", "date"),
    ),
    geometry="MULTIPOLYGON",
    geometry_required=True,
)

PLANS = Kind(
    "plans",
    "個別施設計画",
    ("code",),
    (
        Column("code", "計画番号", required=True, length=40),
        Column("title", "計画名", required=True, length=200),
        Column("adopted_on", "策定日", "date", past=True),
        _integer("period_start_fy", "計画開始年度", low=1900, high=2200),
        _integer("period_end_fy", "計画終了年度", low=1900, high=2200),
        Column("under_infrastructure_plan", "社会基盤施設マネジメント計画の対象", "boolean"),
        Column("asset_codes", "対象資産", "codes", refers="asset"),
    ),
    importable=False,
    exportable=False,
)
"""Individual plans (個別施設計画), checked for the web form; not (yet) imported or exported."""

_PLAN_CODE = Column("plan_code", "計画番号", required=True, length=40)
_PLAN_YEAR = _integer("fiscal_year", "年度", required=True, low=1900, high=2200)

PLAN_SHEETS = (
    Kind("plans", "計画", ("code",), tuple(c for c in PLANS.columns if c.name != "asset_codes")),
    Kind(
        "assets",
        "対象資産",
        ("plan_code", "asset_code"),
        (_PLAN_CODE, Column("asset_code", "資産番号", required=True, refers="asset")),
    ),
    Kind(
        "works",
        "工事",
        ("plan_code", "fiscal_year", "asset_code", "description"),
        (
            _PLAN_CODE,
            _PLAN_YEAR,
            Column("asset_code", "資産番号", refers="asset"),
            Column("description", "内容"),
            Column("cost", "事業費", "yen", "円", required=True, low=0, most=BIGINT_MOST),
        ),
    ),
    Kind(
        "budget",
        "予算",
        ("plan_code", "fiscal_year"),
        (
            _PLAN_CODE,
            _PLAN_YEAR,
            Column("planned_amount", "計画額", "yen", "円", required=True, low=0, most=BIGINT_MOST),
            Column("executed_amount", "執行額", "yen", "円", low=0, most=BIGINT_MOST),
        ),
    ),
)
"""The sheets of a plans workbook (or the CSV files of a plans folder, ``plans.csv``, ``assets.csv``, …): the
plans, the assets each covers, its works by fiscal year, its budget lines (planned and executed amounts)."""

ACCOUNTS = (
    "土地",
    "立木竹",
    "建物",
    "建物附属設備",
    "工作物",
    "船舶",
    "浮標等",
    "航空機",
    "その他",
    "建設仮勘定",
    "物品",
)
"""The 勘定科目 of tangible fixed assets in the unified standard's balance sheet (事業用資産 and インフラ資産 alike,
and 物品)."""
NOT_DEPRECIATED = ("土地", "立木竹", "建設仮勘定")
"""Accounts that are not depreciated: land, standing timber and construction in progress (土地等の非償却資産)."""

LEDGER = Kind(
    "ledger",
    "固定資産台帳",
    ("ledger_no",),
    (
        Column("ledger_no", "資産番号", required=True, length=40),
        Column("name", "資産名称", required=True, length=200),
        Column("account", "勘定科目", required=True, allowed=ACCOUNTS),
        Column("asset_type", "資産区分", allowed=("事業用資産", "インフラ資産", "物品")),
        Column("acquired_on", "取得年月日", "date", past=True),
        Column("in_service_on", "供用開始年月日", "date", past=True),
        Column("acquisition_cost", "取得価額等", "yen", "円", required=True, low=0, most=BIGINT_MOST),
        _integer("useful_life_years", "耐用年数", "年", low=0, low_open=True),
        _yen("accumulated_depreciation", "減価償却累計額"),
        Column("book_value", "期末簿価", "yen", "円", required=True, low=0, most=BIGINT_MOST),
        _size("area_m2", "数量（面積）", "m²"),
        Column("location", "所在地", length=200),
        Column("department", "所管部署", length=100),
        Column("purpose", "用途", length=100),
    ),
    importable=False,
    exportable=False,
)
"""The fixed-asset ledger (固定資産台帳) in the layout of the unified standard's 固定資産台帳 (総務省「資産評価及び
固定資産台帳整備の手引き」): read by ``fm import ledger`` (:mod:`fm.io.ledger`), not by the register's importer."""

CATEGORIES = Kind(
    "categories",
    "施設区分",
    ("code",),
    (
        Column("code", "施設区分", required=True, length=32),
        Column("name", "名称", required=True, length=100),
        Column("name_en", "英語名", required=True, length=100),
        Column("asset_group", "分類", required=True, allowed=GROUPS),
        Column("condition_scale", "評価方法", required=True, allowed=CONDITION_SCALES),
        _integer("useful_life_years", "耐用年数", "年", required=True, low=0, low_open=True),
        _integer("sort_order", "表示順"),
    ),
    importable=False,
    exportable=False,
)
"""The asset categories as data (``fm export categories`` / ``fm import categories``, :mod:`fm.io.categories`):
the built-in ones are the starting values a city edits."""

SERVICES = Kind(
    "services",
    "機能",
    ("code",),
    (
        Column("code", "機能番号", required=True, length=40),
        Column("name", "名称", required=True, length=200),
        Column("kind", "機能の種類", required=True, allowed=SERVICE_KINDS),
        Column("notes", "備考"),
    ),
)
"""Services (機能: a library, a community centre, …), apart from the buildings that house them."""

SERVICE_BUILDINGS = Kind(
    "service_buildings",
    "機能の入居施設",
    ("service_code", "asset_code"),
    (
        Column("service_code", "機能番号", required=True, refers="service"),
        Column("asset_code", "資産番号", required=True, refers="asset"),
        _size("floor_area_m2", "占有面積", "m²"),
        Column("opening_hours", "開館時間", length=100),
        Column("hours_per_week", "週あたり開館時間", "number", "時間", low=0, low_open=True, high=168),
    ),
)
"""Which building houses which service, with the floor area the service occupies there: the floor areas of a
building's services together may not exceed the building's."""

SERVICE_USAGE = Kind(
    "service_usage",
    "機能の利用実績",
    ("service_code", "fiscal_year"),
    (
        Column("service_code", "機能番号", required=True, refers="service"),
        _integer("fiscal_year", "年度", required=True, low=1900, high=2200),
        _integer("users", "利用者数", "人/年", low=0),
        _yen("operating_cost", "運営費"),
    ),
)

POPULATION = Kind(
    "population",
    "地域別人口",
    ("district", "fiscal_year"),
    (
        Column("district", "地域", required=True, refers="district"),
        _integer("fiscal_year", "年度", required=True, low=1900, high=2200),
        _integer("age_0_14", "年少人口", "0〜14歳", required=True, low=0),
        _integer("age_15_64", "生産年齢人口", "15〜64歳", required=True, low=0),
        _integer("age_65_over", "老年人口", "65歳以上", required=True, low=0),
        Column("projected", "推計", "boolean"),
        Column("source", "出典", length=200),
    ),
)
"""Population by district and fiscal year in three age classes, counted or projected: a year in a file must give
every district (with those the database holds for it)."""

UNIT_COSTS = Kind(
    "unit-costs",
    "更新単価",
    ("category",),
    (
        Column("category", "施設区分", required=True, refers="category"),
        Column("refurbish_yen", "大規模改修単価", "yen", "円", low=0, low_open=True, most=BIGINT_MOST),
        Column("renewal_yen", "更新単価", "yen", "円", required=True, low=0, low_open=True, most=BIGINT_MOST),
        Column("steel_renewal_yen", "鋼橋更新単価", "yen", "円", low=0, low_open=True, most=BIGINT_MOST),
    ),
    importable=False,
    exportable=False,
)
"""The renewal unit costs per category as data (``fm export unit-costs`` / ``fm import unit-costs``,
:mod:`fm.io.unit_costs`): yen per m² of floor (buildings), road or bridge deck, per m of sewer pipe; seeded with
the packaged defaults of the renewal projection."""

KINDS = {
    kind.name: kind
    for kind in (
        ASSETS,
        PARCELS,
        INSPECTIONS,
        WORK_ORDERS,
        DISTRICTS,
        PLANS,
        SERVICES,
        SERVICE_BUILDINGS,
        SERVICE_USAGE,
        POPULATION,
    )
}

_POINT, _LINE, _POLYGON = ("Point", "MultiPoint"), ("LineString", "MultiLineString"), ("Polygon", "MultiPolygon")
_FACILITIES = (
    "school",
    "community_centre",
    "library",
    "hall",
    "office",
    "sports",
    "welfare",
    "childcare",
    "housing",
    "fire_station",
    "plant",
    "other_building",
)
GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    **{category: _POINT + _POLYGON for category in (*_FACILITIES, "park", "retention_pond")},
    **{category: _LINE for category in ("road", "river", "sewer_pipe")},
    **{category: _POINT + _LINE for category in ("bridge", "tunnel")},
}
"""The geometry types an asset of each category may have (buildings, parks and ponds: a point or an outline;
roads, rivers and pipes: a line; bridges and tunnels: a point or a line). Categories not named: any type."""

# Coordinate columns of CSV and Excel files; spatial formats carry their own geometry.
COORDINATES = (
    Column("lon", "経度", "number"),
    Column("lat", "緯度", "number"),
    Column("x", "X座標", "number"),
    Column("y", "Y座標", "number"),
    Column("wkt", "形状WKT"),
)

_EPSG = re.compile(r"^(?P<base>.*?)\s*\(\s*epsg\s*:\s*(?P<epsg>\d+)\s*\)$")
_UNIT = re.compile(r"^(?P<base>.*?)\s*\([^()]*\)$")


def header(column: Column, lang: str, epsg: int | None = None) -> str:
    """The header of ``column`` in ``lang`` as fm writes it (with its unit, or the EPSG of a coordinate)."""
    text = column.ja if lang == "ja" else column.en
    extra = f"EPSG:{epsg}" if epsg is not None else (column.unit if lang == "ja" else "")
    if not extra:
        return text
    return f"{text}（{extra}）" if lang == "ja" else f"{text} ({extra})"


def normalise(text: str) -> str:
    """A header as compared: NFKC, trimmed, single spaces, case-folded."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


@dataclass(frozen=True)
class Headers:
    """How a file's header row maps to fm's fields."""

    fields: dict[str, str]
    """file header → field name (value columns and coordinate columns)."""
    epsg: dict[str, int]
    """field name → EPSG stated in the header, for coordinate columns that state one."""
    unknown: list[str]
    duplicated: list[tuple[str, str]]
    """(the header read, a later one for the same field)."""


def resolve_headers(kind: Kind, headers: list[str], *, coordinates: bool) -> Headers:
    """Match ``headers`` to the columns of ``kind`` (and, with ``coordinates``, to coordinate columns)."""
    columns = list(kind.columns) + (list(COORDINATES) if coordinates and kind.geometry else [])
    names: dict[str, str] = {}
    for column in columns:
        for text in (column.name, column.ja, header(column, "ja"), header(column, "en")):
            names[normalise(text)] = column.name
    fields: dict[str, str] = {}
    epsg: dict[str, int] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    duplicated: list[tuple[str, str]] = []
    for raw in headers:
        text = normalise(raw)
        found = names.get(text)
        stated = _EPSG.match(text)
        if found is None and stated and names.get(stated["base"]) in {c.name for c in COORDINATES}:
            found = names[stated["base"]]
            epsg[found] = int(stated["epsg"])
        if found is None and (unit := _UNIT.match(text)):
            found = names.get(unit["base"])
        if found is None:
            unknown.append(str(raw))
        elif found in seen:
            duplicated.append((str(seen[found]), str(raw)))
        else:
            seen[found] = raw
            fields[str(raw)] = found
    return Headers(fields, epsg, unknown, duplicated)


def guess_kind(headers: list[str], *, coordinates: bool) -> Kind | None:
    """The one importable kind whose columns hold every header and whose required columns are all there."""
    fitting = []
    for kind in KINDS.values():
        found = resolve_headers(kind, headers, coordinates=coordinates)
        if (
            kind.importable
            and not found.unknown
            and {c.name for c in kind.columns if c.required} <= set(found.fields.values())
        ):
            fitting.append(kind)
    return fitting[0] if len(fitting) == 1 else None

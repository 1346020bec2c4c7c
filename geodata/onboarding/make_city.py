"""Make the files of a small made-up city, 架空市 (Kasō), to onboard as a city that is not Kamakura would.

    python geodata/onboarding/make_city.py [OUT]      # default: geodata/onboarding/kaso/

Everything a city prepares (docs/onboarding.md), made from a seeded random generator so the same seed gives
the same files: the city boundary (boundary.geojson, which the districts tile), four districts
(districts.geojson), about 300 assets with geometry (assets.csv: buildings and parks as points, bridges as
points, roads as lines; each with its ledger number), their inspections and work orders (CSV), three individual
plans (plans.xlsx: 計画, 対象資産, 工事, 予算) and the fixed-asset ledger in cp932 (ledger.csv: a row for each
asset bought, plus land and furniture the register does not hold). The city lies in Kanagawa (EPSG:6677's
zone), away from Kamakura; nothing in it comes from the demo.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import LineString, Point, box

SEED = 24
PLANE, LONLAT = "EPSG:6677", "EPSG:4326"
ORIGIN = (-52_000.0, -48_000.0)
"""South-west corner of the city in EPSG:6677 metres (near Atsugi, 35.4° N 139.4° E)."""
SIZE = (6_000.0, 4_000.0)
DISTRICTS = [
    ("kita", "北部", "Kita"),
    ("minami", "南部", "Minami"),
    ("higashi", "東部", "Higashi"),
    ("nishi", "西部", "Nishi"),
]
BUILDINGS = [
    ("school", "小学校", 14, (3_000, 6_000), 47),
    ("community_centre", "地区集会所", 20, (300, 900), 50),
    ("library", "図書館", 2, (1_500, 3_000), 50),
    ("office", "支所", 4, (800, 2_000), 50),
    ("childcare", "保育園", 10, (400, 1_000), 47),
    ("housing", "市営住宅", 12, (1_000, 4_000), 47),
]
UNIT_COST = 400_000
"""Yen per m² of floor area for the made-up acquisition costs (a round figure, not a published unit cost)."""


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    x0, y0 = ORIGIN
    w, h = SIZE
    # A city whose north-east corner is cut off: not a rectangle, so tiling is tested along a diagonal too.
    boundary = box(x0, y0, x0 + w, y0 + h).difference(
        shapely.Polygon([(x0 + w - 1_500, y0 + h), (x0 + w, y0 + h), (x0 + w, y0 + h - 1_000)])
    )
    gpd.GeoDataFrame({"name": ["架空市"]}, geometry=[boundary], crs=PLANE).to_crs(LONLAT).to_file(
        out / "boundary.geojson", driver="GeoJSON"
    )
    cells = [
        box(x0, y0 + h / 2, x0 + w / 2, y0 + h),  # north-west quarter → kita
        box(x0, y0, x0 + w / 2, y0 + h / 2),  # → minami
        box(x0 + w / 2, y0, x0 + w, y0 + h),  # → higashi
    ]
    pieces = [boundary.intersection(cells[0]), boundary.intersection(cells[1]), boundary.intersection(cells[2])]
    # 西部 is the western strip of 北部 and 南部: four districts with shared, straight edges.
    west = box(x0, y0, x0 + 1_200, y0 + h)
    pieces = [pieces[0].difference(west), pieces[1].difference(west), pieces[2], boundary.intersection(west)]
    districts = gpd.GeoDataFrame(
        {
            "地域コード": [d[0] for d in DISTRICTS],
            "名称": [d[1] for d in DISTRICTS],
            "英語名": [d[2] for d in DISTRICTS],
            "人口": [int(p.area / 1_000_000 * 2_300) for p in pieces],
            "人口の基準日": ["2025-01-01"] * 4,
        },
        geometry=pieces,
        crs=PLANE,
    )
    districts.to_crs(LONLAT).to_file(out / "districts.geojson", driver="GeoJSON")

    def district_of(shape) -> str:
        return str(districts["地域コード"][districts.intersects(shape.representative_point())].iloc[0])

    def inside() -> Point:
        while True:
            point = Point(x0 + rng.uniform(100, w - 100), y0 + rng.uniform(100, h - 100))
            if boundary.contains(point.buffer(60)):
                return point

    def lonlat(shape):
        return gpd.GeoSeries([shape], crs=PLANE).to_crs(LONLAT).iloc[0]

    assets = []
    number = 0

    def add(code, name, category, shape, built, cost, life, **more) -> None:
        nonlocal number
        number += 1
        assets.append(
            {
                "資産番号": code,
                "名称": name,
                "台帳番号": f"K{number:05d}",
                "施設区分": category,
                "地域": district_of(shape),
                "建設年": built,
                "取得日": f"{built}-{int(rng.integers(4, 13)):02d}-01",
                "取得価額（円）": cost,
                "耐用年数（年）": life,
                "再調達価額（円）": int(cost * rng.uniform(1.1, 1.6)) // 1000 * 1000,
                "個別施設計画の対象": "はい" if category in ("school", "bridge", "library") else "いいえ",
                "形状WKT（EPSG:4326）": shapely.to_wkt(lonlat(shape), rounding_precision=7),
                **more,
            }
        )

    for category, label, count, (low, high), life in BUILDINGS:
        for n in range(1, count + 1):
            area = round(float(rng.uniform(low, high)), 1)
            built = int(rng.integers(1962, 2016))
            add(
                f"{category[:2].upper()}-{n:03d}",
                f"架空{label}{n}",
                category,
                inside(),
                built,
                int(area * UNIT_COST),
                life,
                **{"延床面積（m²）": area, "避難所": "はい" if category == "school" else "いいえ"},
            )
    for n in range(1, 61):
        length = round(float(rng.uniform(8, 60)), 1)
        built = int(rng.integers(1960, 2012))
        add(
            f"BR-{n:03d}",
            f"架空橋{n}",
            "bridge",
            inside(),
            built,
            int(length * 8 * 450_000),
            60,
            **{
                "延長（m）": length,
                "橋面積（m²）": round(length * 8, 1),
                "緊急輸送道路": "はい" if n % 5 == 0 else "いいえ",
            },
        )
    for n in range(1, 81):
        start = inside()
        angle = rng.uniform(0, np.pi)
        length = float(rng.uniform(150, 600))
        end = Point(start.x + length * np.cos(angle), start.y + length * np.sin(angle))
        line = LineString([start, end]).intersection(boundary.buffer(-20))
        if line.geom_type != "LineString" or line.length < 50:
            continue
        built = int(rng.integers(1965, 2020))
        add(
            f"RD-{n:03d}",
            f"市道{n}号線",
            "road",
            line,
            built,
            int(line.length * 6 * 30_000),
            15,
            **{"延長（m）": round(line.length, 1), "幅員（m）": 6.0},
        )
    for n in range(1, 21):
        built = int(rng.integers(1970, 2020))
        add(f"PK-{n:03d}", f"架空公園{n}", "park", inside(), built, int(rng.uniform(20, 200)) * 1_000_000, 30)
    register = pd.DataFrame(assets)
    register.to_csv(out / "assets.csv", index=False, encoding="utf-8-sig")

    inspections, works = [], []
    for row in register.itertuples(index=False):
        code, category = row[0], row[3]
        for year in (2019, 2024) if category in ("bridge", "school") else (2023,):
            day = date(year, int(rng.integers(5, 12)), int(rng.integers(1, 28)))
            if category == "bridge":
                soundness, score = int(rng.choice([1, 2, 2, 3, 3, 4], p=[0.2, 0.3, 0.2, 0.15, 0.1, 0.05])), None
            else:
                soundness, score = None, int(rng.integers(1, 6))
            inspections.append(
                {
                    "資産番号": code,
                    "点検日": day.isoformat(),
                    "点検方法": "close_visual" if category == "bridge" else "visual",
                    "健全度": soundness,
                    "状態評価": score,
                }
            )
        if rng.random() < 0.15:
            done = date(2024, int(rng.integers(4, 13)), int(rng.integers(1, 28)))
            cost = int(rng.integers(1, 30)) * 500_000
            works.append(
                {
                    "工事番号": f"W-{len(works) + 1:04d}",
                    "資産番号": code,
                    "種別": "preventive" if rng.random() < 0.6 else "reactive",
                    "原因": "inspection_finding",
                    "完了日": done.isoformat(),
                    "実績額（円）": cost,
                    "状態": "completed",
                }
            )
    pd.DataFrame(inspections).astype({"健全度": "Int64", "状態評価": "Int64"}).to_csv(
        out / "inspections.csv", index=False, encoding="utf-8-sig"
    )
    pd.DataFrame(works).to_csv(out / "work_orders.csv", index=False, encoding="utf-8-sig")

    schools = register[register["施設区分"] == "school"]["資産番号"].tolist()
    bridges = register[register["施設区分"] == "bridge"]["資産番号"].tolist()
    plans = pd.DataFrame(
        [
            {
                "計画番号": "KP-01",
                "計画名": "架空市学校施設長寿命化計画",
                "策定日": "2021-03-31",
                "計画開始年度": 2021,
                "計画終了年度": 2030,
                "社会基盤施設マネジメント計画の対象": "はい",
            },
            {
                "計画番号": "KP-02",
                "計画名": "架空市橋梁長寿命化修繕計画",
                "策定日": "2023-03-31",
                "計画開始年度": 2023,
                "計画終了年度": 2032,
                "社会基盤施設マネジメント計画の対象": "はい",
            },
            {
                "計画番号": "KP-03",
                "計画名": "架空市図書館個別施設計画（案）",
                "策定日": None,
                "計画開始年度": 2026,
                "計画終了年度": 2035,
                "社会基盤施設マネジメント計画の対象": "いいえ",
            },
        ]
    )
    covered = [("KP-01", c) for c in schools] + [("KP-02", c) for c in bridges[:40]] + [("KP-03", "LI-001")]
    plan_works = [
        {
            "計画番号": "KP-01",
            "年度": 2022 + i % 8,
            "資産番号": c,
            "内容": "屋上防水・外壁改修",
            "事業費（円）": 30_000_000 + i * 1_000_000,
        }
        for i, c in enumerate(schools)
    ] + [
        {
            "計画番号": "KP-02",
            "年度": 2023 + i % 10,
            "資産番号": c,
            "内容": "補修（塗装・断面修復）",
            "事業費（円）": 8_000_000,
        }
        for i, c in enumerate(bridges[:40])
    ]
    budget = [
        {"計画番号": p, "年度": y, "計画額（円）": planned, "執行額（円）": int(planned * rate)}
        for p, first, planned in (("KP-01", 2021, 120_000_000), ("KP-02", 2023, 60_000_000))
        for y, rate in zip(range(first, 2026), (0.92, 0.85, 1.0, 0.78, 0.0), strict=False)
    ]
    with pd.ExcelWriter(out / "plans.xlsx", engine="openpyxl") as writer:
        plans.to_excel(writer, sheet_name="計画", index=False)
        pd.DataFrame(covered, columns=["計画番号", "資産番号"]).to_excel(writer, sheet_name="対象資産", index=False)
        pd.DataFrame(plan_works).to_excel(writer, sheet_name="工事", index=False)
        pd.DataFrame(budget).to_excel(writer, sheet_name="予算", index=False)

    ledger = []
    for row in register.itertuples(index=False):
        acquired = date.fromisoformat(row[6])
        cost, life = int(row[7]), int(row[8])
        years = max(0, min(2024 - (acquired.year - (acquired.month < 4)), life))
        depreciation = cost - 1 if years >= life else cost * years // life
        account = "工作物" if row[3] in ("bridge", "road", "park") else "建物"
        ledger.append(
            {
                "資産番号": row[2],
                "資産名称": row[1],
                "勘定科目": account,
                "資産区分": "インフラ資産" if account == "工作物" else "事業用資産",
                "取得年月日": row[6],
                "取得価額等": cost,
                "耐用年数": life,
                "減価償却累計額": depreciation,
                "期末簿価": cost - depreciation,
                "所在地": f"架空市{dict((d[0], d[1]) for d in DISTRICTS)[row[4]]}",
            }
        )
    for n in range(1, 6):
        ledger.append(
            {
                "資産番号": f"T{n:04d}",
                "資産名称": f"学校用地{n}",
                "勘定科目": "土地",
                "資産区分": "事業用資産",
                "取得年月日": "1965-04-01",
                "取得価額等": 300_000_000,
                "耐用年数": None,
                "減価償却累計額": 0,
                "期末簿価": 300_000_000,
                "所在地": "架空市北部",
            }
        )
    ledger.append(
        {
            "資産番号": "F0001",
            "資産名称": "庁用備品一式",
            "勘定科目": "物品",
            "資産区分": "物品",
            "取得年月日": "2018-04-01",
            "取得価額等": 12_000_000,
            "耐用年数": 6,
            "減価償却累計額": 11_999_999,
            "期末簿価": 1,
            "所在地": "架空市東部",
        }
    )
    frame = pd.DataFrame(ledger).astype({"耐用年数": "Int64"})
    # As the finance system exports it: Shift_JIS, amounts with full-width digits in part of the rows.
    for column in ("取得価額等", "期末簿価"):
        frame[column] = [
            str(v).translate(str.maketrans("0123456789", "０１２３４５６７８９")) if i % 7 == 0 else str(v)
            for i, v in enumerate(frame[column])
        ]
    frame.to_csv(out / "ledger.csv", index=False, encoding="cp932")
    print(
        f"{out}: {len(register)} assets, {len(inspections)} inspections, {len(works)} work orders, "
        f"{len(plans)} plans, {len(frame)} ledger rows"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "kaso")

"""Names for generated records: Kamakura's place names by district, and the ways facilities are named."""

from __future__ import annotations

# The five districts with their administrative centres in the reference facility list.
DISTRICTS = (
    ("kamakura", "鎌倉", "Kamakura", "鎌倉市役所本庁舎"),
    ("koshigoe", "腰越", "Koshigoe", "腰越行政センター"),
    ("fukasawa", "深沢", "Fukasawa", "深沢行政センター"),
    ("ofuna", "大船", "Ofuna", "大船行政センター"),
    ("tamanawa", "玉縄", "Tamanawa", "玉縄行政センター"),
)

# Population by district (persons, 172,938 in all) and the share aged 65 and over, from the project's domain
# notes (a secondary source citing the city's resident register; to check against 鎌倉市 統計「地域別人口」).
POPULATION = {"kamakura": 46_193, "koshigoe": 23_940, "fukasawa": 33_973, "ofuna": 44_211, "tamanawa": 24_621}
AGED_SHARE = {"kamakura": 0.326, "koshigoe": 0.341, "fukasawa": 0.313, "ofuna": 0.267, "tamanawa": 0.288}

PLACES = {
    "kamakura": (
        "材木座",
        "由比ガ浜",
        "長谷",
        "坂ノ下",
        "極楽寺",
        "大町",
        "小町",
        "雪ノ下",
        "二階堂",
        "浄明寺",
        "十二所",
        "扇ガ谷",
        "御成町",
        "佐助",
        "笹目町",
        "西御門",
        "山ノ内",
    ),
    "koshigoe": ("腰越", "津", "西鎌倉", "七里ガ浜", "七里ガ浜東", "稲村ガ崎", "津西", "姥ヶ谷"),
    "fukasawa": ("常盤", "梶原", "寺分", "上町屋", "笛田", "手広", "鎌倉山", "山崎", "桔梗山"),
    "ofuna": ("大船", "台", "小袋谷", "岩瀬", "今泉", "今泉台", "高野", "山ノ内", "岡本"),
    "tamanawa": ("玉縄", "城廻", "植木", "関谷", "岡本", "龍宝寺"),
}

RIVERS = (
    "滑川",
    "神戸川",
    "柏尾川",
    "砂押川",
    "梅田川",
    "新川",
    "小袋谷川",
    "稲瀬川",
    "扇川",
    "二階堂川",
    "佐助川",
    "いたち川",
)

# Keyword → category for the reference facilities, first match wins.
REFERENCE_CATEGORIES = (
    ("プール", "sports"),
    ("公園", "park"),
    ("小学校", "school"),
    ("中学校", "school"),
    ("図書館", "library"),
    ("子どもの家", "childcare"),
    ("こどもの家", "childcare"),
    ("子ども会館", "childcare"),
    ("保育園", "childcare"),
    ("子育て支援", "childcare"),
    ("消防", "fire_station"),
    ("クリーンセンター", "plant"),
    ("リサイクル", "plant"),
    ("浄化センター", "plant"),
    ("剪定材", "plant"),
    ("体育館", "sports"),
    ("武道館", "sports"),
    ("テニス", "sports"),
    ("芸術館", "hall"),
    ("文学館", "hall"),
    ("国宝館", "hall"),
    ("美術館", "hall"),
    ("記念館", "hall"),
    ("福祉", "welfare"),
    ("やすらぎ", "welfare"),
    ("すこやか", "welfare"),
    ("さわやか", "welfare"),
    ("いこいの家", "welfare"),
    ("あおぞら園", "welfare"),
    ("教養センター", "welfare"),
    ("学習センター", "community_centre"),
    ("青少年会館", "community_centre"),
    ("交流センター", "community_centre"),
    ("市役所", "office"),
    ("行政センター", "office"),
    ("サービスコーナー", "office"),
    ("事務所", "office"),
    ("教育センター", "office"),
)

# Generated buildings: category, how many, name pattern ({place} is filled in).
EXTRA_BUILDINGS = (
    ("community_centre", 38, "{place}町内会館"),
    ("housing", 16, "市営{place}住宅"),
    ("welfare", 10, "{place}老人憩の家"),
    ("childcare", 8, "{place}児童館"),
    ("sports", 5, "{place}運動広場管理棟"),
    ("office", 6, "{place}出張所"),
    ("plant", 4, "{place}ポンプ場"),
    ("other_building", 43, "{place}公衆トイレ"),
)

OWNER_DEPARTMENTS = ("管財課", "公的不動産活用課", "都市整備総務課", "道路課", "公園課", "教育総務課", "下水道経営課")
PARCEL_USES = {
    "in_use": ("公共施設用地", "公園用地", "道路予定地", "学校用地", "行政財産"),
    "underused": ("暫定駐車場", "資材置場", "暫定広場", "貸付地（一時使用）"),
    "unused": ("未利用地", "旧施設跡地", "空地"),
}

# Approximate sketches (lon, lat) through known places, for the demo's spatial joins only:
# not the official lines of the 緊急輸送道路 network or of the railways.
NETWORK = (
    (
        "railway",
        "JR横須賀線",
        ((139.5312, 35.3540), (139.5457, 35.3370), (139.5504, 35.3190), (139.5560, 35.3130), (139.5650, 35.3070)),
    ),
    ("railway", "JR東海道線", ((139.5450, 35.3690), (139.5312, 35.3540), (139.5150, 35.3520), (139.4950, 35.3460))),
    (
        "railway",
        "江ノ島電鉄線",
        (
            (139.5504, 35.3190),
            (139.5455, 35.3155),
            (139.5440, 35.3130),
            (139.5357, 35.3123),
            (139.5287, 35.3102),
            (139.5228, 35.3043),
            (139.5125, 35.3057),
            (139.5003, 35.3070),
            (139.4926, 35.3103),
        ),
    ),
    (
        "railway",
        "湘南モノレール江の島線",
        (
            (139.5330, 35.3540),
            (139.5262, 35.3480),
            (139.5225, 35.3435),
            (139.5175, 35.3380),
            (139.5010, 35.3250),
            (139.4930, 35.3175),
        ),
    ),
    (
        "emergency_road",
        "国道134号",
        (
            (139.5580, 35.3060),
            (139.5420, 35.3080),
            (139.5320, 35.3075),
            (139.5230, 35.3010),
            (139.5100, 35.3040),
            (139.4900, 35.3060),
        ),
    ),
    (
        "emergency_road",
        "県道21号（横浜鎌倉線）",
        ((139.5560, 35.3255), (139.5460, 35.3375), (139.5340, 35.3560), (139.5330, 35.3700)),
    ),
    (
        "emergency_road",
        "県道32号（藤沢鎌倉線）",
        ((139.5450, 35.3200), (139.5250, 35.3280), (139.5170, 35.3330), (139.5000, 35.3330), (139.4850, 35.3370)),
    ),
    (
        "emergency_road",
        "県道304号（腰越大船線）",
        ((139.4950, 35.3120), (139.5100, 35.3300), (139.5200, 35.3420), (139.5310, 35.3530)),
    ),
)

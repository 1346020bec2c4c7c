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

# Approximate populations (persons), rounded; to check against the city's statistics.
POPULATION = {"kamakura": 44_000, "koshigoe": 33_000, "fukasawa": 40_000, "ofuna": 57_000, "tamanawa": 22_000}

PLACES = {
    "kamakura": ("材木座", "由比ガ浜", "長谷", "坂ノ下", "極楽寺", "大町", "小町", "雪ノ下", "二階堂", "浄明寺",
                 "十二所", "扇ガ谷", "御成町", "佐助", "笹目町", "西御門", "山ノ内"),
    "koshigoe": ("腰越", "津", "西鎌倉", "七里ガ浜", "七里ガ浜東", "稲村ガ崎", "津西", "姥ヶ谷"),
    "fukasawa": ("常盤", "梶原", "寺分", "上町屋", "笛田", "手広", "鎌倉山", "山崎", "桔梗山"),
    "ofuna": ("大船", "台", "小袋谷", "岩瀬", "今泉", "今泉台", "高野", "山ノ内", "岡本"),
    "tamanawa": ("玉縄", "城廻", "植木", "関谷", "岡本", "龍宝寺"),
}

RIVERS = ("滑川", "神戸川", "柏尾川", "砂押川", "梅田川", "新川", "小袋谷川", "稲瀬川", "扇川", "二階堂川",
          "佐助川", "いたち川")

# Keyword → category for the reference facilities, first match wins.
REFERENCE_CATEGORIES = (
    ("プール", "sports"), ("公園", "park"), ("小学校", "school"), ("中学校", "school"), ("図書館", "library"),
    ("子どもの家", "childcare"), ("こどもの家", "childcare"), ("子ども会館", "childcare"),
    ("保育園", "childcare"), ("子育て支援", "childcare"), ("消防", "fire_station"),
    ("クリーンセンター", "plant"), ("リサイクル", "plant"), ("浄化センター", "plant"), ("剪定材", "plant"),
    ("体育館", "sports"), ("武道館", "sports"), ("テニス", "sports"),
    ("芸術館", "hall"), ("文学館", "hall"), ("国宝館", "hall"), ("美術館", "hall"), ("記念館", "hall"),
    ("福祉", "welfare"), ("やすらぎ", "welfare"), ("すこやか", "welfare"), ("さわやか", "welfare"),
    ("いこいの家", "welfare"), ("あおぞら園", "welfare"), ("教養センター", "welfare"),
    ("学習センター", "community_centre"), ("青少年会館", "community_centre"), ("交流センター", "community_centre"),
    ("市役所", "office"), ("行政センター", "office"), ("サービスコーナー", "office"), ("事務所", "office"),
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

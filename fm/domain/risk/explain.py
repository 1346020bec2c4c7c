"""Why an asset ranks where it does, in words, from the components a score keeps."""

from __future__ import annotations

from typing import Any

ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
ROMAN_ASCII = {1: "I", 2: "II", 3: "III", 4: "IV"}


def reasons(components: dict[str, Any], *, scale: str, users: float | None, lang: str = "ja") -> list[str]:
    """The main reasons behind a score, most telling first.

    Examples
    --------
    >>> reasons({"state": 3, "inspected_on": "2021-06-01", "c_emergency_road": 1.0, "c_railway": 0.0,
    ...          "c_evacuation_shelter": 0.0, "p_age": 0.5}, scale="soundness", users=12000, lang="en")
    ... # doctest: +NORMALIZE_WHITESPACE
    ['soundness III at the inspection of 2021-06-01', 'on an emergency transport road',
     '12,000 users or vehicles a year']
    """
    ja = lang == "ja"
    out = []
    state, inspected = components.get("state"), components.get("inspected_on")
    if state is None or inspected is None:
        out.append(
            "点検記録なし（建設時から劣化を推定）" if ja else "never inspected (deterioration estimated from age)"
        )
    elif scale == "soundness":
        out.append(
            f"健全性{ROMAN[int(state)]}（{inspected} 点検）"
            if ja
            else f"soundness {ROMAN_ASCII[int(state)]} at the inspection of {inspected}"
        )
    else:
        out.append(
            f"状態評価 {int(state)}/5（{inspected} 点検）"
            if ja
            else f"condition {int(state)}/5 at the inspection of {inspected}"
        )
    flags = (
        ("c_emergency_road", "緊急輸送道路上", "on an emergency transport road"),
        ("c_railway", "鉄道と交差", "over a railway"),
        ("c_evacuation_shelter", "指定避難所", "designated evacuation shelter"),
    )
    out += [(text_ja if ja else text_en) for key, text_ja, text_en in flags if components.get(key)]
    if users:
        out.append(f"年間 {users:,.0f} 人・台" if ja else f"{users:,.0f} users or vehicles a year")
    if (components.get("p_age") or 0) >= 0.8:
        share = round(100 * components["p_age"])
        out.append(f"耐用年数の {share} % を経過" if ja else f"{share} % of its useful life gone")
    return out

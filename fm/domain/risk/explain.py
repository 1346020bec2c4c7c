"""Why an asset ranks where it does, in words, from the components a score keeps.

:func:`reasons` gives one asset's; :func:`reason_lists` every asset's of a frame at once (a map of
100,000 assets), each wording made once per distinct value by the same helpers, so both say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
ROMAN_ASCII = {1: "I", 2: "II", 3: "III", 4: "IV"}
FLAGS = (
    ("c_emergency_road", "緊急輸送道路上", "on an emergency transport road"),
    ("c_railway", "鉄道と交差", "over a railway"),
    ("c_evacuation_shelter", "指定避難所", "designated evacuation shelter"),
)
"""Component flags that are a reason of their own: key, Japanese, English."""
OLD = 0.8
"""From this share of its useful life gone (``p_age``), age is a reason."""


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
    out = [_inspection(components.get("state"), components.get("inspected_on"), scale, ja)]
    out += [(text_ja if ja else text_en) for key, text_ja, text_en in FLAGS if components.get(key)]
    if users:
        out.append(_users(users, ja))
    if (components.get("p_age") or 0) >= OLD:
        out.append(_age(components["p_age"], ja))
    return out


def reason_lists(
    components: pd.DataFrame, *, scales: Sequence[str], lang: str = "ja", limit: int | None = None
) -> tuple[np.ndarray, list[str]]:
    """:func:`reasons` of every row of ``components`` (state, inspected_on, the :data:`FLAGS`, annual_users,
    p_age; ``scales`` the condition scale of each row), at most ``limit`` each, as one flat list and where
    each row's reasons start in it (with, last, where they all end).

    Examples
    --------
    >>> frame = pd.DataFrame({"state": [3, None], "inspected_on": ["2021-06-01", None], "c_emergency_road": [1, 0],
    ...     "c_railway": [0, 0], "c_evacuation_shelter": [0, 1], "annual_users": [None, 500], "p_age": [0.5, 0.9]})
    >>> offsets, items = reason_lists(frame, scales=["soundness", "score"], lang="en")
    >>> offsets.tolist(), items[1], items[2]
    ([0, 2, 6], 'on an emergency transport road', 'never inspected (deterioration estimated from age)')
    """
    ja = lang == "ja"
    count = len(components)

    def column(name: str) -> list[Any]:
        values = components[name] if name in components.columns else pd.Series([None] * count, dtype=object)
        return values.astype(object).where(values.notna(), None).tolist()

    users, share = column("annual_users"), column("p_age")
    candidates = [
        _each_distinct(lambda s, i, c: _inspection(s, i, c, ja), column("state"), column("inspected_on"), scales),
        *(_where(_flag(components, key), text_ja if ja else text_en) for key, text_ja, text_en in FLAGS),
        _each_distinct(lambda u: _users(u, ja) if u else None, users),
        _each_distinct(lambda p: _age(p, ja) if (p or 0) >= OLD else None, share),
    ]
    table = np.column_stack(candidates) if count else np.empty((0, len(candidates)), dtype=object)
    present = table != None  # noqa: E711 (elementwise over an object array)
    if limit is not None:
        present &= np.cumsum(present, axis=1) <= limit
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))])
    return offsets, table[present].tolist()


def _where(keep: np.ndarray, text: str) -> np.ndarray:
    out = np.full(len(keep), None, dtype=object)
    out[keep] = text
    return out


def _flag(components: pd.DataFrame, key: str) -> np.ndarray:
    """Whether each row's flag ``key`` is set (a missing flag is not)."""
    if key not in components.columns:
        return np.zeros(len(components), dtype=bool)
    return (pd.to_numeric(components[key]).fillna(0) != 0).to_numpy()


def _each_distinct(function: Callable[..., str | None], *columns: Sequence[Any]) -> np.ndarray:
    """``function`` of each row's values, called once per distinct combination of them."""
    keys = pd.Series(list(zip(*columns, strict=True)), dtype=object)
    codes, distinct = pd.factorize(keys)
    return np.array([function(*key) for key in distinct], dtype=object)[codes] if len(keys) else np.array([], object)


def _inspection(state: Any, inspected: Any, scale: str, ja: bool) -> str:
    if state is None or inspected is None:
        return "点検記録なし（建設時から劣化を推定）" if ja else "never inspected (deterioration estimated from age)"
    if scale == "soundness":
        return (
            f"健全性{ROMAN[int(state)]}（{inspected} 点検）"
            if ja
            else f"soundness {ROMAN_ASCII[int(state)]} at the inspection of {inspected}"
        )
    return (
        f"状態評価 {int(state)}/5（{inspected} 点検）"
        if ja
        else f"condition {int(state)}/5 at the inspection of {inspected}"
    )


def _users(users: float, ja: bool) -> str:
    return f"年間 {users:,.0f} 人・台" if ja else f"{users:,.0f} users or vehicles a year"


def _age(p_age: float, ja: bool) -> str:
    share = round(100 * p_age)
    return f"耐用年数の {share} % を経過" if ja else f"{share} % of its useful life gone"

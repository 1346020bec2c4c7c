"""Money in integer yen: shares of amounts and totals, computed exactly, never through a float.

Amounts are whole yen (int64, as the BIGINT columns hold them). A share given as a decimal
(``0.3`` in a settings file) is taken as the exact fraction it is written as (3/10), not as
the binary float nearest to it; totals are added in Python integers, which do not wrap round.

A measured quantity (a floor area, a deck area, a length: a ``float`` column, m² or m) is read as the decimal it
was written as, to :data:`DECIMALS` decimals (:func:`measured`: whole millionths, ``0.1`` is 100,000 millionths,
not 0.1000000000000000055…); a cost is then ``quantity × unit cost × share`` in integers, rounded **once** to the
yen, half up (:func:`priced`). So 0.205 m² at 4,700 yen/m² is 964 yen (963.5 rounded up), where the float
product is 963.4999999999999 and ``floor(product + 0.5)`` gave 963; and an amount past 2⁵³ yen keeps its last yen,
which float64 cannot hold (it steps by 2, 4, 8 yen there).

Also here: :func:`whole` (whole numbers or a clear refusal, never a rounding), :func:`per_unit` (yen per user or
per m², half up) and :func:`percent` (a ratio of whole amounts, half up from the exact fraction).
A quantity written with more than six decimals (a length computed from a geometry) is first rounded to the nearest
millionth: far below any measurement, at most a yen on a unit cost of a million yen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

DECIMALS = 6
"""Measured quantities (m², m) are read to this many decimals: a millionth of a metre or of a square metre."""
SCALE = 10**DECIMALS
"""One unit (m², m) in the whole counts of :func:`measured`."""
_INT64 = 2**63
_FAST = 2**50 / SCALE
"""Below this, ``rint(x × SCALE)`` of a float is the decimal it was written as (to DECIMALS decimals): the float
product's error stays under a quarter of a millionth."""


def whole(values: pd.Series | np.ndarray | list[Any], name: str) -> np.ndarray:
    """``values`` as an int64 array of whole numbers (yen, years, days), refusing what is missing or not whole
    (never rounding it); floats only below 2⁵³, where they hold whole numbers exactly.

    >>> whole(pd.Series([1, 2], dtype="Int64"), "cost").tolist(), whole(np.array([5e8]), "budgets").tolist()
    ([1, 2], [500000000])
    >>> whole(np.array([1.5]), "budgets")
    Traceback (most recent call last):
    ValueError: budgets must be whole numbers (below 2**53 when given as floats)
    """
    values = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if values.isna().any():
        raise ValueError(f"{name} must not be missing")
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.to_numpy(dtype="int64")
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64")
        if not (np.isfinite(numbers).all() and (numbers % 1 == 0).all() and (np.abs(numbers) < 2**53).all()):
            raise ValueError(f"{name} must be whole numbers (below 2**53 when given as floats)")
        return numbers.astype("int64")
    return np.array([int(v) for v in values], dtype="int64")  # Python ints (object dtype): exact or OverflowError


def fraction(share: float | int | str | Decimal | Fraction) -> Fraction:
    """``share`` as the exact fraction it is written as: ``0.3`` is 3/10.

    >>> fraction(0.3), fraction("1/3"), fraction(1)
    (Fraction(3, 10), Fraction(1, 3), Fraction(1, 1))
    """
    if isinstance(share, Fraction):
        return share
    if isinstance(share, float):
        return Fraction(Decimal(repr(share)))
    return Fraction(share)


def share_of(amounts: np.ndarray | pd.Series, share: float | int | str | Decimal | Fraction) -> np.ndarray:
    """``amounts × share`` in whole yen, rounded half up, exactly (int64 in, int64 out).

    Formed as ``(a // d) × n + round((a % d) × n / d)``, whose terms stay within int64 for
    every amount a BIGINT holds and shares up to 1 with denominators below about 3×10⁹.

    >>> share_of(np.array([10_564_000, 5, 1]), 0.7).tolist(), share_of(np.array([5]), 0.5).tolist()
    ([7394800, 4, 1], [3])
    """
    exact = fraction(share)
    if exact < 0:
        raise ValueError(f"a share must not be negative, got {share!r}")
    numerator, denominator = exact.numerator, exact.denominator
    values = np.asarray(amounts, dtype="int64")
    whole, part = np.divmod(values, denominator)
    return whole * numerator + (2 * part * numerator + denominator) // (2 * denominator)


def per_unit(amount: int | None, units: float | None) -> int | None:
    """``amount`` yen per unit (a user, a m² as written), rounded half up to the yen (None without both, or with no
    units): a cost per user or per m².

    >>> per_unit(1_000_001, 2), per_unit(1_000, 0), per_unit(5, 3.0), per_unit(1_000, 2.5), per_unit(5, 2)
    (500001, None, 2, 400, 3)
    """
    if amount is None or units is None or pd.isna(amount) or pd.isna(units) or units <= 0:
        return None
    exact = fraction(units)  # the units as written (users, m² to the cm²), so yen stay integers
    return (2 * int(amount) * exact.denominator + exact.numerator) // (2 * exact.numerator)


def percent(part: int, whole: int, decimals: int = 1) -> float | None:
    """``part ÷ whole`` in %, rounded half up at ``decimals`` places from the exact fraction (a ratio of two amounts
    of yen, or of two counts: the aging ratio, the execution rate); None when ``whole`` is 0.

    ``round(100 * part / whole, 1)`` rounds the float, half to even, and a float just below the half: 7 yen of
    2,000 is 0.35 %, published 0.4, where ``round(0.35, 1)`` gives 0.3.

    >>> percent(7, 2_000), percent(2**53 + 1, 2**54 + 2), percent(1, 3, 2), percent(5, 0)
    (0.4, 50.0, 33.33, None)
    """
    if not whole:
        return None
    scale = 10**decimals
    exact = Fraction(100 * int(part) * scale, int(whole))
    return float(Fraction(math.floor(exact + Fraction(1, 2)), scale))


def divide(amount: int, parts: int) -> int:
    """``amount ÷ parts`` in whole yen, rounded half up, in integers (a yearly average of a total).

    >>> divide(100, 40), divide(-100, 40), divide(10**20 + 20, 40)
    (3, -2, 2500000000000000001)
    """
    if parts <= 0:
        raise ValueError(f"divide by a positive number of parts, got {parts}")
    return (2 * int(amount) + parts) // (2 * parts)


def total(amounts: Iterable[int] | pd.Series) -> int:
    """The exact sum of whole amounts of yen (Python integers: no int64 wrap-round), missing ones left out.

    >>> total(pd.Series([2**62, 2**62, None], dtype="Int64"))
    9223372036854775808
    >>> total(pd.Series([-(2**63), 2**63 - 1, 5])), total(pd.Series([1_000, None, 2], dtype="Int64"))
    (4, 1002)
    """
    if isinstance(amounts, pd.Series):
        present = amounts.dropna()
        if len(present) and pd.api.types.is_integer_dtype(present.dtype):
            values = present.to_numpy(dtype="int64")
            largest = max(abs(int(values.min())), abs(int(values.max())))
            if largest <= (2**63 - 1) // len(values):  # no partial sum can leave int64: numpy's sum is exact
                return int(values.sum())
        amounts = present.tolist()
    return sum(int(a) for a in amounts)


def measured(values: np.ndarray | pd.Series | list[float]) -> np.ndarray:
    """Measured quantities (floats: m², m) as whole millionths (:data:`SCALE`), each the decimal it was written as.

    Missing values (NaN) count as 0; an infinite one is refused. int64, or Python integers (an object array) for
    quantities of a billion m² or more, read through their shortest ``repr`` as a :class:`~decimal.Decimal`.

    >>> measured([0.1, 2.675, float("nan"), 1234.5]).tolist()
    [100000, 2675000, 0, 1234500000]
    """
    x = np.asarray(values, dtype=float)
    known = ~np.isnan(x)
    if not np.isfinite(x[known]).all():
        raise ValueError("a measured quantity must be a finite number")
    x = np.where(known, x, 0.0)
    if not len(x) or np.abs(x).max() < _FAST:
        return np.rint(x * SCALE).astype("int64")
    return np.array(
        [int((Decimal(repr(float(v))) * SCALE).to_integral_value(ROUND_HALF_EVEN)) for v in x], dtype=object
    )


def priced(
    counts: np.ndarray,
    units: Any,
    *,
    which: np.ndarray | None = None,
    share: float | int | str | Decimal | Fraction = 1,
    scale: int = SCALE,
) -> np.ndarray:
    """``quantity × unit cost × share`` in whole yen, rounded once, half up, in integers.

    ``counts`` are quantities in whole ``1/scale`` units (:func:`measured`; ``scale`` = SCALE² for a sum of
    length × width). ``units`` is one unit cost (yen per m² or per m), or, with ``which`` (an index per quantity),
    a list of them; a unit cost or share written as a decimal is the exact fraction it is written as
    (:func:`fraction`). Formed as ``(c // Q) × M + ⌊(2 × (c % Q) × M + Q) ÷ 2Q⌋`` with ``M/Q`` = unit × share ÷
    scale in lowest terms: int64 when every term fits, Python integers (an object array) otherwise.

    >>> priced(measured([2.675, 0.5]), 100).tolist(), priced(measured([1000.0]), [170_000, 330_000], share=0.3,
    ...     which=np.array([1])).tolist()
    ([268, 50], [99000000])
    """
    exact_share = fraction(share)
    listed = [units] if which is None else list(units)
    rates = [fraction(u) * exact_share / scale for u in listed]
    values = np.asarray(counts)
    index = np.zeros(len(values), dtype="int64") if which is None else np.asarray(which, dtype="int64")
    numerators = [r.numerator for r in rates]
    denominators = [r.denominator for r in rates]
    if not len(values) or not rates:
        return np.zeros(len(values), dtype="int64")
    largest = max(abs(int(values.max())), abs(int(values.min())))
    top, low, high = max(abs(n) for n in numerators), min(denominators), max(denominators)
    fits = values.dtype != object and 2 * (top + 1) * high < _INT64 and (largest // low + 2) * top < _INT64 // 2
    kind = "int64" if fits else object
    if not fits:
        values = values.astype(object)
    m = np.array(numerators, dtype=kind)[index]
    q = np.array(denominators, dtype=kind)[index]
    quotient, part = values // q, values % q
    return quotient * m + (2 * part * m + q) // (2 * q)

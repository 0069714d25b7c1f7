"""How the engine writes a share as a percentage: one rounding rule for every report, page and
workbook, so the same figure never reads 43.7 % in one place and 43.8 % in another."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def percent_value(share: float, places: int = 1) -> Decimal:
    """`share` (0–1) in percent, rounded half up at `places` decimals.

    The share is first taken to 9 decimals, so a figure that arithmetic left a hair below the
    half (0.43749999999999994) rounds as the exact one (0.4375 → 43.8)."""
    exact = Decimal(repr(float(share))).quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)
    return (exact * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent(share: float | None, places: int = 1, *, sign: bool = True) -> str:
    """'43.8 %' (or '43.8' without the sign); '—' when there is no figure."""
    if share is None:
        return "—"
    text = f"{percent_value(share, places)}"
    return f"{text} %" if sign else text

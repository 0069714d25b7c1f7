"""The engine's one clock: every timestamp the engine writes is read here.

Normally the wall clock (UTC). Tests and simulations (the demo, the synthetic alliance) set a
simulated time with `set_clock`, move it on with `advance_to`, and return to real time with
`set_clock(None)`. The store's default factories (`store.types.utcnow`), the audit trail and the
services all read `now()`, so nothing is dated behind the simulation's back.
"""

from __future__ import annotations

from datetime import UTC, datetime

_override: datetime | None = None


def wall_now() -> datetime:
    """The real time (UTC), whatever the simulation says."""
    return datetime.now(UTC)


def now() -> datetime:
    """The engine's time: the simulated time when one is set, else the wall clock."""
    return _override or wall_now()


def simulated() -> bool:
    return _override is not None


def set_clock(when: datetime | None) -> None:
    """Set the simulated time (None: back to the wall clock)."""
    global _override
    if when is not None and when.tzinfo is None:
        raise ValueError("naive datetime given to the clock; use an aware UTC datetime")
    _override = when


def advance_to(when: datetime) -> datetime:
    """Move the simulated time on to `when`: never backwards, never past the real now (a
    simulation may not date anything in the future). Returns the time now set."""
    current = now()
    set_clock(max(current, min(when, wall_now())))
    return now()

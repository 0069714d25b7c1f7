"""The engine's one clock: every timestamp the engine writes is read here.

Normally the wall clock (UTC). Tests and simulations (the demo, the synthetic alliance) set a
simulated time with `set_clock`, move it on with `advance_to`, and return to real time with
`set_clock(None)`. The store's default factories (`store.types.utcnow`), the audit trail and the
services all read `now()`, so nothing is dated behind the simulation's back.

On the wall clock the engine's own work takes the time it takes. A simulated clock stands still
unless moved, so a simulation also sets a *pace* (`set_pace`): how long each automated activity
of the engine takes. The engine calls `elapse(activity)` where its own work moves a case on
(`services.context.transition` for the engine's state changes), and on a simulated clock with a
pace that much time passes; elsewhere `elapse` changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# how long an automated activity of the engine takes on a simulated clock (the activity is the
# state the engine's work moves a case out of: "screening", "consolidation", "reporting", …)
Pace = Callable[[str], timedelta]

_override: datetime | None = None
_pace: Pace | None = None


def wall_now() -> datetime:
    """The real time (UTC), whatever the simulation says."""
    return datetime.now(UTC)


def now() -> datetime:
    """The engine's time: the simulated time when one is set, else the wall clock."""
    return _override or wall_now()


def simulated() -> bool:
    return _override is not None


def set_clock(when: datetime | None) -> None:
    """Set the simulated time (None: back to the wall clock, and no pace)."""
    global _override, _pace
    if when is not None and when.tzinfo is None:
        raise ValueError("naive datetime given to the clock; use an aware UTC datetime")
    _override = when
    if when is None:
        _pace = None


def set_pace(pace: Pace | None) -> None:
    """How long the engine's automated activities take on the simulated clock (None: no time)."""
    global _pace
    _pace = pace


def paced() -> bool:
    return _pace is not None


def elapse(activity: str) -> datetime:
    """The engine has done `activity`: on a simulated clock with a pace, the time it takes passes
    (forward only, never past the real now); on the wall clock time passes by itself. Returns the
    engine's time after it."""
    if _override is None or _pace is None:
        return now()
    took = _pace(activity)
    if took <= timedelta(0):
        return now()
    return advance_to(now() + took)


def advance_to(when: datetime) -> datetime:
    """Move the simulated time on to `when`: never backwards, never past the real now (a
    simulation may not date anything in the future). Returns the time now set."""
    current = now()
    set_clock(max(current, min(when, wall_now())))
    return now()

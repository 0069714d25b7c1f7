"""How long the engine's own work takes in a simulation (the simulated clock's pace).

On the wall clock screening, consolidation and report generation take the time they take; a
simulated clock stands still within a step unless it is moved. `EnginePace` is the pace a
simulation sets (`domain.clock.set_pace`): for each automated activity, a seeded duration of
minutes to a few hours (a lognormal around the activity's median, capped), so that the leadership
report's stage times are realistic and the same seed gives the same history.
"""

from __future__ import annotations

import math
from datetime import timedelta

from qa_engine.synthetic.alliance import keyed_rng

# the state the engine's work moves a case out of → (median minutes, lognormal sigma)
ENGINE_MINUTES: dict[str, tuple[float, float]] = {
    "submitted": (4, 0.6),  # a submitted case waits for the screening run
    "screening": (25, 0.7),  # the standard elements and the rubric checked
    "assignment": (20, 0.6),  # reviewers chosen (where the engine assigns by itself)
    "peer_review": (10, 0.6),  # the last review submitted: the consolidation run starts
    "consolidation": (45, 0.8),  # scores aggregated, agreement computed
    "reporting": (90, 0.6),  # reports rendered, signed, time-stamped and stored
}
OTHER_MINUTES = (5.0, 0.5)
MAX_MINUTES = 8 * 60  # an automated step never takes longer than a working day
# how long a QA officer takes to confirm the engine's reviewer proposals (median hours, sigma)
OFFICER_HOURS = (5.0, 0.6)


def lognormal(rng_value: float, median: float, sigma: float) -> float:
    """`median` scaled by exp(sigma × a standard normal draw)."""
    return median * math.exp(sigma * rng_value)


class EnginePace:
    """A seeded pace: the n-th call for an activity always takes the same time for a seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.calls = 0

    def __call__(self, activity: str) -> timedelta:
        self.calls += 1
        median, sigma = ENGINE_MINUTES.get(activity, OTHER_MINUTES)
        draw = float(keyed_rng(self.seed, "pace", activity, self.calls).normal())
        return timedelta(minutes=min(lognormal(draw, median, sigma), MAX_MINUTES))

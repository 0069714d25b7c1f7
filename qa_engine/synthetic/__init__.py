"""A seeded synthetic alliance: people, credentials and simulated human behaviour, all through the
services (the live path), plus the bulk writer of a decided history (`history`).

    from qa_engine.synthetic import Rates, SyntheticAlliance

    alliance = SyntheticAlliance(seed=7)
    staff = alliance.staff(session, reviewers_per_institution=3)
    case_ids = alliance.open_cases(session, alliance.credentials(session, 5), staff=staff)
    alliance.screen(session, case_ids)
    behaviour = alliance.behaviour(staff, rates=Rates(decline_rate=0.2))
    behaviour.self_assess(session, case_ids)
    behaviour.assign(session, case_ids)
    behaviour.review_wave(session, case_ids)
    behaviour.decide(session, case_ids)

Used by ``qa-engine demo``, ``qa-engine dev generate``, the benchmarks and the tests.
"""

from qa_engine.synthetic.alliance import PersonSpec, Staff, SyntheticAlliance, keyed_rng
from qa_engine.synthetic.behaviour import PLANS, Behaviour, CaseView, Rates, Timing, WaveResult

__all__ = [
    "PLANS",
    "Behaviour",
    "CaseView",
    "PersonSpec",
    "Rates",
    "Staff",
    "SyntheticAlliance",
    "Timing",
    "WaveResult",
    "keyed_rng",
]

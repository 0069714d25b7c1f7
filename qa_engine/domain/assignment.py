"""Reviewer assignment: hard rules that are never broken, soft preferences that rank, and a batch
optimiser (min-cost flow) that fills many cases at once.

Hard rules: never a reviewer of the provider's own institution; never one with a declared conflict
(with the institution, the credential or the case); never more open reviews than the reviewer's
limit; never the same person twice on a case. Reviewers come from at least `min_institutions`
institutions when the candidates allow it.
Soft preferences: having reviewed an earlier round of the case, expertise in the credential's
field and skills, a shared language, even load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

from qa_engine.domain.i18n import N_, Nn_, Np_, Phrase


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    institution_id: int | None
    open_reviews: int
    max_open_reviews: int
    expertise_fields: tuple[str, ...] = ()
    expertise_skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    conflict_institutions: frozenset[int] = frozenset()
    conflict_credentials: frozenset[int] = frozenset()
    conflict_cases: frozenset[int] = frozenset()
    active: bool = True

    @property
    def free(self) -> int:
        return max(0, self.max_open_reviews - self.open_reviews)


@dataclass(frozen=True)
class CaseNeed:
    case_id: int
    credential_id: int
    provider_institution_id: int
    isced_f: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    needed: int
    current_reviewers: frozenset[int] = frozenset()  # already on the case (any live assignment)
    excluded_reviewers: frozenset[int] = frozenset()  # declined or replaced in this case
    current_institutions: frozenset[int] = frozenset()
    min_institutions: int = 2
    # who reviewed an earlier round of the case (reviewer → the latest such round): they know the
    # case, so they come first, though only an invitation lets them see the new round
    earlier_reviewers: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    case_id: int
    reviewer_id: int
    name: str
    score: float
    reasons: tuple[str, ...]


@dataclass
class Blocked:
    reviewer_id: int
    name: str
    reasons: list[str]


@dataclass
class CasePlan:
    case_id: int
    needed: int
    proposals: list[Proposal] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    shortfall: int = 0
    note: str = ""


def _p(text: str, **params: object) -> Phrase:
    """A reason in English that pages show in their reader's language."""
    return Phrase(Np_(text, **params))


def hard_rule_violations(c: Candidate, need: CaseNeed) -> list[str]:
    """Every hard rule this reviewer would break on this case (empty: allowed)."""
    out: list[str] = []
    if not c.active:
        out.append(_p(N_("account disabled")))
    if c.institution_id is not None and c.institution_id == need.provider_institution_id:
        out.append(_p(N_("same institution as the provider")))
    if need.provider_institution_id in c.conflict_institutions:
        out.append(_p(N_("declared a conflict with the provider institution")))
    if need.credential_id in c.conflict_credentials:
        out.append(_p(N_("declared a conflict with this credential")))
    if need.case_id in c.conflict_cases:
        out.append(_p(N_("declared a conflict with this case")))
    if c.user_id in need.current_reviewers:
        out.append(_p(N_("already reviewing this case")))
    if c.user_id in need.excluded_reviewers:
        out.append(_p(N_("declined or was replaced on this case")))
    if c.free <= 0:
        out.append(_p(N_("at the limit of %(max)s open reviews"), max=c.max_open_reviews))
    return out


# Worth more than any expertise match: the reviewers of the round before are proposed first.
EARLIER_ROUND_BONUS = 5.0


def preference(c: Candidate, need: CaseNeed) -> tuple[float, list[str]]:
    """Soft score (higher is better) and the reasons, in words."""
    score = 0.0
    reasons: list[str] = []
    if c.user_id in need.earlier_reviewers:
        score += EARLIER_ROUND_BONUS
        reasons.append(_p(N_("reviewed round %(round)s"), round=need.earlier_reviewers[c.user_id]))
    fields = set(c.expertise_fields)
    if need.isced_f in fields:
        score += 3.0
        reasons.append(_p(N_("expert in field %(field)s"), field=need.isced_f))
    elif any(f[:2] == need.isced_f[:2] for f in fields):
        score += 1.5
        reasons.append(_p(N_("expert in the broad field %(field)s"), field=need.isced_f[:2]))
    shared = sorted(set(c.expertise_skills) & set(need.skills))
    if shared:
        score += min(3, len(shared))
        reasons.append(_p(N_("shares skills %(skills)s"), skills=", ".join(shared[:4])))
    langs = sorted(set(c.languages) & set(need.languages))
    if langs:
        score += 1.0
        reasons.append(_p(N_("reads %(languages)s"), languages=", ".join(langs)))
    elif need.languages:
        score -= 1.0
        reasons.append(_p(N_("does not list the credential's language")))
    load = c.open_reviews / max(c.max_open_reviews, 1)
    score -= 2.0 * load
    reasons.append(_p(N_("load %(open)s/%(max)s"), open=c.open_reviews, max=c.max_open_reviews))
    return score, reasons


def plan(needs: Sequence[CaseNeed], candidates: Sequence[Candidate]) -> dict[int, CasePlan]:
    """Choose reviewers for every case at once as a min-cost flow; never breaks a hard rule.

    Network: source → case (capacity: reviewers needed) → case×institution (capacity limited so
    that at least `min_institutions` institutions take part when enough are eligible) →
    reviewer (one slot per case) → sink (capacity: the reviewer's free review slots).
    Cost: minus the soft preference score, so the flow maximises the total preference.
    """
    plans = {n.case_id: CasePlan(n.case_id, n.needed) for n in needs}
    by_id = {c.user_id: c for c in candidates}
    g = nx.DiGraph()
    g.add_node("s")
    g.add_node("t")
    scored: dict[tuple[int, int], tuple[float, list[str]]] = {}
    # No institution can take more places in all the cases together than the total demand, so
    # keeping that many of its best candidates per case loses no optimal solution and keeps the
    # network small.
    keep_per_institution = max(1, sum(n.needed for n in needs if n.needed > 0))
    for need in needs:
        cp = plans[need.case_id]
        if need.needed <= 0:
            continue
        eligible: list[Candidate] = []
        for c in candidates:
            bad = hard_rule_violations(c, need)
            if bad:
                cp.blocked.append(Blocked(c.user_id, c.name, bad))
            else:
                eligible.append(c)
        if not eligible:
            continue
        ranked: dict[int | None, list[Candidate]] = {}
        for c in sorted(eligible, key=lambda c: (-preference(c, need)[0], c.user_id)):
            ranked.setdefault(c.institution_id, []).append(c)
        eligible = [c for group in ranked.values() for c in group[:keep_per_institution]]
        insts = {c.institution_id for c in eligible}
        total_insts = len(insts | set(need.current_institutions))
        want_insts = min(need.min_institutions, total_insts)
        # With k institutions wanted and n reviewers in all (current + new), no institution may
        # take more than n - (k - 1) places.
        n_total = need.needed + len(need.current_reviewers)
        per_inst_cap = max(1, n_total - (want_insts - 1)) if want_insts > 1 else need.needed
        g.add_edge("s", ("case", need.case_id), capacity=need.needed, weight=0)
        # in id order, not a set's: the flow breaks ties by edge order, so the same people get
        # the same plan
        for inst in sorted(insts, key=lambda i: (i is None, i or 0)):
            already = sum(1 for i in need.current_institutions if i == inst)
            cap = max(0, per_inst_cap - already)
            if cap:
                g.add_edge(
                    ("case", need.case_id), ("ci", need.case_id, inst), capacity=cap, weight=0
                )
        for c in eligible:
            s, reasons = preference(c, need)
            scored[(need.case_id, c.user_id)] = (s, reasons)
            g.add_edge(
                ("ci", need.case_id, c.institution_id),
                ("cr", need.case_id, c.user_id),
                capacity=1,
                weight=-int(round(s * 100)) + 1000,
            )
            g.add_edge(("cr", need.case_id, c.user_id), ("r", c.user_id), capacity=1, weight=0)
    for c in candidates:
        if ("r", c.user_id) in g:
            g.add_edge(("r", c.user_id), "t", capacity=c.free, weight=0)
    if g.number_of_edges():
        flow = nx.max_flow_min_cost(g, "s", "t")
        for node, targets in flow.items():
            if not (isinstance(node, tuple) and node[0] == "cr"):
                continue
            _, case_id, user_id = node
            if sum(targets.values()) > 0:
                s, reasons = scored[(case_id, user_id)]
                plans[case_id].proposals.append(
                    Proposal(case_id, user_id, by_id[user_id].name, s, tuple(reasons))
                )
    for need in needs:
        cp = plans[need.case_id]
        cp.proposals.sort(key=lambda p: (-p.score, p.reviewer_id))
        cp.shortfall = max(0, need.needed - len(cp.proposals))
        insts = {by_id[p.reviewer_id].institution_id for p in cp.proposals} | set(
            need.current_institutions
        )
        if cp.shortfall:
            cp.note = _p(
                N_("only %(found)s of %(needed)s reviewers can be found without breaking a rule"),
                found=len(cp.proposals),
                needed=need.needed,
            )
        elif len(insts) < need.min_institutions and need.needed + len(need.current_reviewers) > 1:
            cp.note = Phrase(
                Nn_(
                    "eligible reviewers come from only %(num)s institution",
                    "eligible reviewers come from only %(num)s institutions",
                    len(insts),
                )
            )
    return plans


def ranked_candidates(need: CaseNeed, candidates: Sequence[Candidate]) -> list[Proposal]:
    """Every eligible reviewer for one case, best first, with reasons (for the officer's page)."""
    out = []
    for c in candidates:
        if hard_rule_violations(c, need):
            continue
        s, reasons = preference(c, need)
        out.append(Proposal(need.case_id, c.user_id, c.name, s, tuple(reasons)))
    return sorted(out, key=lambda p: (-p.score, p.reviewer_id))

"""What changed between two versions of a rubric, in words, and what the change does to the
coverage of the standards (ESG, EU principles and Annex I elements, DigComp, GreenComp).

Both rubrics are composed (their includes resolved), so a change in an included rubric shows
as a change of the criteria it brings. Criteria are matched by id; a criterion that disappears
while another with the same title, or the same guidance, appears is reported as renamed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from qa_engine.domain import numbers
from qa_engine.domain.i18n import N_, Message
from qa_engine.domain.rubric import Criterion, Gate, ResolvedCriterion, Rubric, Scale
from qa_engine.domain.rubric_i18n import translation_changes
from qa_engine.domain.scoring import coverage
from qa_engine.domain.standards import REFERENCES

# the areas a change belongs to, in the order they are reported
AREAS = (
    "rubric",
    "criteria",
    "weights",
    "gates",
    "scales",
    "thresholds",
    "maps_to",
    "includes",
    "texts",
)

# the areas' names as people read them (the same words as the rubric pages')
AREA_WORDS = {
    "rubric": N_("rubric"),
    "criteria": N_("criteria"),
    "weights": N_("weights"),
    "gates": N_("gates"),
    "scales": N_("scales"),
    "thresholds": N_("thresholds"),
    "maps_to": N_("standards mapped"),
    "includes": N_("included rubrics"),
    "texts": N_("texts"),
}


Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


@dataclass(frozen=True)
class Change:
    area: str  # one of AREAS
    text: str  # in English
    # the text as a msgid and its values, for a reader of another language (None: English only)
    message: Message | None = field(default=None, compare=False)

    def text_in(self, gettext: Gettext, ngettext: Ngettext) -> str:
        if self.message is None:
            return self.text
        try:
            return self.message.render(gettext, ngettext)
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return self.text


def _c(area: str, msgid: str, **values: object) -> Change:
    """A change whose text is `msgid` (marked with N_) filled with `values`."""
    return Change(area, msgid % values, Message(msgid, params=values))


@dataclass(frozen=True)
class CoverageChange:
    """A standard reference that one version covers and the other does not."""

    reference: str
    framework: str
    title: str
    covered: bool  # True: the new version covers it, the old one did not
    criteria: tuple[str, ...]  # the criteria that cover it (in the version that does)

    @property
    def text(self) -> str:
        return self.text_in(str, lambda s, p, n: s)

    def text_in(self, gettext: Gettext, ngettext: Ngettext) -> str:
        values = {
            "reference": self.reference,
            "title": self.title,
            "framework": self.framework,
            "criteria": ", ".join(self.criteria),
        }
        if self.covered:
            msgid = N_("%(reference)s %(title)s (%(framework)s) becomes covered; by %(criteria)s")
        else:
            msgid = N_(
                "%(reference)s %(title)s (%(framework)s) is no longer covered; was covered by"
                " %(criteria)s"
            )
        try:
            return gettext(msgid) % values
        except (KeyError, TypeError, ValueError):
            return msgid % values


@dataclass(frozen=True)
class RubricDiff:
    old: str  # id@version
    new: str
    changes: tuple[Change, ...] = ()
    coverage: tuple[CoverageChange, ...] = field(default=())

    @property
    def unchanged(self) -> bool:
        return not self.changes and not self.coverage

    def by_area(self) -> list[tuple[str, list[str]]]:
        return self.by_area_in(str, lambda s, p, n: s)

    def by_area_in(self, gettext: Gettext, ngettext: Ngettext) -> list[tuple[str, list[str]]]:
        """The changes by area, in the language of `gettext` (English where a text has no
        msgid)."""
        return [
            (area, [c.text_in(gettext, ngettext) for c in self.changes if c.area == area])
            for area in AREAS
            if any(c.area == area for c in self.changes)
        ]

    def coverage_in(self, gettext: Gettext, ngettext: Ngettext) -> list[tuple[bool, str]]:
        """(covered, text) of each coverage change, in the language of `gettext`."""
        return [(c.covered, c.text_in(gettext, ngettext)) for c in self.coverage]

    def lines(self) -> list[str]:
        """The whole comparison as text, one change a line."""
        return self.lines_in(str, lambda s, p, n: s if n == 1 else p)

    def lines_in(self, gettext: Gettext, ngettext: Ngettext) -> list[str]:
        """The whole comparison as text, one change a line, in the language of `gettext`."""
        out = [f"{self.old} → {self.new}"]
        if self.unchanged:
            return [*out, gettext(N_("no change"))]
        for area, texts in self.by_area_in(gettext, ngettext):
            out.append(f"{gettext(AREA_WORDS.get(area, area))}:")
            out.extend(f"  {t}" for t in texts)
        if self.coverage:
            out.append(gettext(N_("coverage:")))
            out.extend(f"  {text}" for _, text in self.coverage_in(gettext, ngettext))
        elif self.changes:
            out.append(gettext(N_("coverage: unchanged")))
        return out


def _num(x: float) -> str:
    return f"{x:g}"


def _gate(g: Gate) -> str:
    return f"at least {g.min_level}, otherwise {g.otherwise.label}"


def _quoted(items: list[str] | tuple[str, ...]) -> str:
    return ", ".join(items)


def _renames(
    removed: list[ResolvedCriterion], added: list[ResolvedCriterion]
) -> list[tuple[ResolvedCriterion, ResolvedCriterion]]:
    """Pairs of a removed and an added criterion that are the same criterion under a new id:
    the same title, or else the same (non-empty) guidance."""
    pairs: list[tuple[ResolvedCriterion, ResolvedCriterion]] = []
    free = list(added)
    for key in (
        lambda c: c.title.strip().lower(),
        lambda c: " ".join(c.guidance.split()).lower(),
    ):
        for old in list(removed):
            k = key(old.criterion)
            if not k:
                continue
            match = next((new for new in free if key(new.criterion) == k), None)
            if match is not None:
                pairs.append((old, match))
                removed.remove(old)
                free.remove(match)
    added[:] = free
    return pairs


def _criterion_changes(label: str, a: Criterion, b: Criterion) -> list[Change]:
    out: list[Change] = []
    if a.title != b.title:
        out.append(
            _c(
                "texts",
                N_("title of %(label)s: '%(old)s' → '%(new)s'"),
                label=label,
                old=a.title,
                new=b.title,
            )
        )
    if " ".join(a.guidance.split()) != " ".join(b.guidance.split()):
        out.append(_c("texts", N_("guidance of %(label)s reworded"), label=label))
    if a.kind != b.kind:
        out.append(
            _c(
                "criteria",
                N_("kind of %(label)s: %(old)s → %(new)s"),
                label=label,
                old=a.kind,
                new=b.kind,
            )
        )
    if a.scale != b.scale:
        out.append(Change("scales", f"scale of {label}: {a.scale or 'none'} → {b.scale or 'none'}"))
    if a.weight != b.weight:
        if b.weight > a.weight:
            msgid = N_("weight of %(label)s raised from %(old)s to %(new)s")
        else:
            msgid = N_("weight of %(label)s lowered from %(old)s to %(new)s")
        out.append(_c("weights", msgid, label=label, old=_num(a.weight), new=_num(b.weight)))
    if a.gate != b.gate:
        if a.gate is None and b.gate is not None:
            out.append(Change("gates", f"gate added on {label}: {_gate(b.gate)}"))
        elif b.gate is None and a.gate is not None:
            out.append(Change("gates", f"gate removed from {label} (was {_gate(a.gate)})"))
        elif a.gate is not None and b.gate is not None:
            if a.gate.min_level != b.gate.min_level:
                if b.gate.min_level > a.gate.min_level:
                    msgid = N_("gate of %(label)s raised from %(old)s to %(new)s")
                else:
                    msgid = N_("gate of %(label)s lowered from %(old)s to %(new)s")
                out.append(
                    _c("gates", msgid, label=label, old=a.gate.min_level, new=b.gate.min_level)
                )
            if a.gate.otherwise != b.gate.otherwise:
                out.append(
                    Change(
                        "gates",
                        f"a failed gate of {label} now leads at best to {b.gate.otherwise.label}"
                        f" (was {a.gate.otherwise.label})",
                    )
                )
    for attr, area, what in (
        ("maps_to", "maps_to", "maps_to"),
        ("elements", "maps_to", "elements checked"),
        ("evidence", "texts", "evidence asked"),
    ):
        old, new = list(getattr(a, attr)), list(getattr(b, attr))
        gained = [x for x in new if x not in old]
        lost = [x for x in old if x not in new]
        if gained:
            out.append(Change(area, f"{what} of {label} gains {_quoted(gained)}"))
        if lost:
            out.append(Change(area, f"{what} of {label} loses {_quoted(lost)}"))
    return out


def _scale_changes(old: dict[str, Scale], new: dict[str, Scale]) -> list[Change]:
    out: list[Change] = []
    for sid in old:
        if sid not in new:
            out.append(_c("scales", N_("scale '%(id)s' removed"), id=sid))
    for sid, b in new.items():
        a = old.get(sid)
        if a is None:
            levels = ", ".join(f"{lv.value} {lv.label}" for lv in b.levels)
            out.append(_c("scales", N_("scale '%(id)s' added: %(levels)s"), id=sid, levels=levels))
            continue
        if a.title != b.title:
            out.append(
                _c(
                    "scales",
                    N_("title of scale '%(id)s': '%(old)s' → '%(new)s'"),
                    id=sid,
                    old=a.title,
                    new=b.title,
                )
            )
        av = {lv.value: lv for lv in a.levels}
        bv = {lv.value: lv for lv in b.levels}
        for v in sorted(av.keys() - bv.keys()):
            out.append(
                _c(
                    "scales",
                    N_("scale '%(id)s': level %(value)s (%(label)s) removed"),
                    id=sid,
                    value=v,
                    label=av[v].label,
                )
            )
        for v in sorted(bv.keys() - av.keys()):
            out.append(
                _c(
                    "scales",
                    N_("scale '%(id)s': level %(value)s (%(label)s) added"),
                    id=sid,
                    value=v,
                    label=bv[v].label,
                )
            )
        for v in sorted(av.keys() & bv.keys()):
            if av[v].label != bv[v].label:
                out.append(
                    _c(
                        "scales",
                        N_("scale '%(id)s': label of level %(value)s: '%(old)s' → '%(new)s'"),
                        id=sid,
                        value=v,
                        old=av[v].label,
                        new=bv[v].label,
                    )
                )
            if " ".join(av[v].descriptor.split()) != " ".join(bv[v].descriptor.split()):
                out.append(
                    _c(
                        "scales",
                        N_("scale '%(id)s': descriptor of level %(value)s (%(label)s) reworded"),
                        id=sid,
                        value=v,
                        label=bv[v].label,
                    )
                )
    return out


def diff_rubrics(old: Rubric, new: Rubric) -> RubricDiff:
    """Everything that differs between two composed rubrics, in words."""
    changes: list[Change] = []
    if old.id != new.id:
        changes.append(_c("rubric", N_("id: %(old)s → %(new)s"), old=old.id, new=new.id))
    if old.version != new.version:
        changes.append(
            _c("rubric", N_("version: %(old)s → %(new)s"), old=old.version, new=new.version)
        )
    if old.meta.title != new.meta.title:
        changes.append(
            _c(
                "rubric",
                N_("title: '%(old)s' → '%(new)s'"),
                old=old.meta.title,
                new=new.meta.title,
            )
        )
    if old.meta.status != new.meta.status:
        changes.append(
            _c(
                "rubric",
                N_("status in the file: %(old)s → %(new)s"),
                old=old.meta.status,
                new=new.meta.status,
            )
        )

    old_ids = {rc.id: rc for rc in old.criteria}
    new_ids = {rc.id: rc for rc in new.criteria}
    removed = [rc for rc in old.criteria if rc.id not in new_ids]
    added = [rc for rc in new.criteria if rc.id not in old_ids]
    renamed = _renames(removed, added)
    for rc in removed:
        gate = f", gate {_gate(rc.criterion.gate)}" if rc.criterion.gate else ""
        changes.append(
            Change(
                "criteria",
                f"criterion '{rc.id}' ({rc.criterion.title}) removed"
                f" (it counted {numbers.percent(rc.effective_weight)}{gate})",
            )
        )
    for rc in added:
        gate = f", gate {_gate(rc.criterion.gate)}" if rc.criterion.gate else ""
        changes.append(
            Change(
                "criteria",
                f"criterion '{rc.id}' ({rc.criterion.title}) added, {rc.criterion.kind}"
                f" (counts {numbers.percent(rc.effective_weight)}{gate})",
            )
        )
    pairs: list[tuple[str, ResolvedCriterion, ResolvedCriterion]] = []
    for a, b in renamed:
        changes.append(
            _c("criteria", N_("criterion '%(old)s' renamed '%(new)s'"), old=a.id, new=b.id)
        )
        pairs.append((f"'{b.id}' (was '{a.id}')", a, b))
    pairs.extend((f"'{rc.id}'", old_ids[rc.id], rc) for rc in new.criteria if rc.id in old_ids)
    shares: list[str] = []
    for label, a, b in pairs:
        changes.extend(_criterion_changes(label, a.criterion, b.criterion))
        if abs(a.effective_weight - b.effective_weight) > 1e-9:
            shares.append(
                f"{b.id} {numbers.percent(a.effective_weight)} →"
                f" {numbers.percent(b.effective_weight)}"
            )
    if shares:
        changes.append(Change("weights", "share in the overall score: " + "; ".join(shares)))

    changes.extend(_scale_changes(old.scales, new.scales))

    old_t = {t.outcome: t.min_score for t in old.thresholds}
    new_t = {t.outcome: t.min_score for t in new.thresholds}
    for outcome, score in old_t.items():
        if outcome not in new_t:
            changes.append(
                _c(
                    "thresholds",
                    N_("threshold for %(outcome)s (≥ %(score)s) removed"),
                    outcome=outcome.label,
                    score=_num(score),
                )
            )
    for outcome, score in new_t.items():
        if outcome not in old_t:
            changes.append(
                _c(
                    "thresholds",
                    N_("threshold for %(outcome)s added: ≥ %(score)s"),
                    outcome=outcome.label,
                    score=_num(score),
                )
            )
        elif old_t[outcome] != score:
            if score > old_t[outcome]:
                msgid = N_("threshold for %(outcome)s raised from %(old)s to %(new)s")
            else:
                msgid = N_("threshold for %(outcome)s lowered from %(old)s to %(new)s")
            changes.append(
                _c(
                    "thresholds",
                    msgid,
                    outcome=outcome.label,
                    old=_num(old_t[outcome]),
                    new=_num(score),
                )
            )

    old_i = {i.rubric: i.weight for i in old.includes}
    new_i = {i.rubric: i.weight for i in new.includes}
    for rid, w in old_i.items():
        if rid not in new_i:
            changes.append(
                _c(
                    "includes",
                    N_("include '%(id)s' (weight %(weight)s) removed"),
                    id=rid,
                    weight=_num(w),
                )
            )
    for rid, w in new_i.items():
        if rid not in old_i:
            changes.append(
                _c(
                    "includes",
                    N_("include '%(id)s' added with weight %(weight)s"),
                    id=rid,
                    weight=_num(w),
                )
            )
        elif old_i[rid] != w:
            if w > old_i[rid]:
                msgid = N_("weight of include '%(id)s' raised from %(old)s to %(new)s")
            else:
                msgid = N_("weight of include '%(id)s' lowered from %(old)s to %(new)s")
            changes.append(_c("includes", msgid, id=rid, old=_num(old_i[rid]), new=_num(w)))
    for rid, version in new.sources.items():
        before = old.sources.get(rid)
        if rid not in (old.id, new.id) and before is not None and before != version:
            changes.append(
                _c(
                    "includes",
                    N_("included '%(id)s' version %(old)s → %(new)s"),
                    id=rid,
                    old=before,
                    new=version,
                )
            )

    # the texts in the rubric's other languages (the rubric's own language is compared above)
    changes.extend(Change("texts", text) for text in translation_changes(old, new))

    return RubricDiff(
        old=f"{old.id}@{old.version}",
        new=f"{new.id}@{new.version}",
        changes=tuple(changes),
        coverage=tuple(coverage_changes(old, new)),
    )


def coverage_changes(old: Rubric, new: Rubric) -> list[CoverageChange]:
    """The standard references (in the catalogue's order) that one rubric covers and the other
    does not: what a change makes covered or uncovered."""
    before = coverage(old).covered
    after = coverage(new).covered
    out: list[CoverageChange] = []
    for ref, info in REFERENCES.items():
        if (ref in before) == (ref in after):
            continue
        now = ref in after
        out.append(
            CoverageChange(
                reference=ref,
                framework=info.framework,
                title=info.title,
                covered=now,
                criteria=tuple(after[ref] if now else before[ref]),
            )
        )
    return out

"""Read rubric files (YAML), check them, and compose them with their includes.

Every problem is reported as a `Problem` naming the file and the line, and all problems of a
file are reported together, never only the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric import (
    Criterion,
    ResolvedCriterion,
    Rubric,
    RubricFile,
    Scale,
)
from qa_engine.domain.standards import EU_ELEMENTS, EU_OPTIONAL_ELEMENTS, is_known_reference

MAX_RUBRIC_BYTES = 2 * 1024 * 1024

# where a value sits in a YAML document: the keys and list indexes from its root
YamlPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class RubricError(ValidationFailed):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__(
            f"{len(self.problems)} problem(s) in rubric files",
            details=[str(p) for p in self.problems],
        )


@dataclass
class ParsedFile:
    path: Path
    data: Any
    lines: dict[YamlPath, int]
    model: RubricFile | None = None
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, loc: Sequence[Any]) -> int:
        """Line of the deepest node on `loc` that the YAML source records (1 when unknown)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


# --------------------------------------------------------------------------- YAML with lines


def _construct_scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def parse_yaml(text: str, name: str) -> tuple[Any, dict[YamlPath, int], list[Problem]]:
    problems: list[Problem] = []
    lines: dict[YamlPath, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, lines, [Problem(name, line, f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, lines, [Problem(name, 1, f"not valid YAML: {exc}")]
    if node is None:
        return None, lines, [Problem(name, 1, "the file is empty")]

    def convert(n: yaml.Node, path: YamlPath) -> Any:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                key = _construct_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else "?"
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    problems.append(
                        Problem(name, key_node.start_mark.line + 1, f"duplicate key '{key}'")
                    )
                out[key] = convert(value_node, path + (key,))
                lines[path + (key,)] = key_node.start_mark.line + 1
            return out
        if isinstance(n, yaml.SequenceNode):
            return [convert(item, path + (i,)) for i, item in enumerate(n.value)]
        if isinstance(n, yaml.ScalarNode):
            return _construct_scalar(n)
        raise yaml.YAMLError(f"unexpected node {n.tag} at line {n.start_mark.line + 1}")

    try:
        data = convert(node, ())
    except yaml.YAMLError as exc:  # e.g. a bad tag
        return None, lines, [Problem(name, 1, f"not valid YAML: {exc}")]
    return data, lines, problems


# --------------------------------------------------------------------------- structure


def _describe(err: ErrorDetails) -> str:
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'" + (f" in {'.'.join(loc[:-1])}" if len(loc) > 1 else "")
    if kind == "missing":
        return f"missing field '{loc[-1]}'" + (f" in {'.'.join(loc[:-1])}" if len(loc) > 1 else "")
    if kind == "enum" or kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{where}: {err['input']!r} is not one of {expected}"
    return f"{where}: {err['msg'].lower()}"


def read_rubric_file(path: Path) -> ParsedFile:
    """Parse and structurally check one rubric file; problems are kept on the result."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_RUBRIC_BYTES:
            pf = ParsedFile(path, None, {})
            pf.problems.append(
                Problem(name, 1, f"file is {size} bytes, over the {MAX_RUBRIC_BYTES} limit")
            )
            return pf
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        pf = ParsedFile(path, None, {})
        pf.problems.append(Problem(name, 1, "file not found"))
        return pf
    except UnicodeDecodeError as exc:
        pf = ParsedFile(path, None, {})
        pf.problems.append(Problem(name, 1, f"not UTF-8 text (byte {exc.start})"))
        return pf
    except OSError as exc:
        pf = ParsedFile(path, None, {})
        pf.problems.append(Problem(name, 1, f"cannot read: {exc.strerror}"))
        return pf
    data, lines, problems = parse_yaml(text, name)
    pf = ParsedFile(path, data, lines, problems=list(problems))
    if data is None:
        return pf
    if not isinstance(data, dict):
        pf.problems.append(Problem(name, 1, "a rubric file must be a mapping with a 'rubric' key"))
        return pf
    try:
        pf.model = RubricFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            pf.problems.append(Problem(name, pf.line_of(err["loc"]), _describe(err)))
        return pf
    pf.problems.extend(_check_file(pf, pf.model))
    return pf


def _check_file(pf: ParsedFile, m: RubricFile) -> list[Problem]:
    """Checks inside one file that the schema alone cannot express."""
    name = str(pf.path)
    out: list[Problem] = []

    def at(*loc: Any) -> int:
        return pf.line_of(loc)

    scales: dict[str, Scale] = {}
    for i, scale in enumerate(m.scales):
        if scale.id in scales:
            out.append(Problem(name, at("scales", i, "id"), f"duplicate scale id '{scale.id}'"))
        scales[scale.id] = scale
        values = [lv.value for lv in scale.levels]
        if len(set(values)) != len(values):
            out.append(
                Problem(
                    name, at("scales", i, "levels"), f"scale '{scale.id}' repeats a level value"
                )
            )
        if values != sorted(values):
            out.append(
                Problem(
                    name,
                    at("scales", i, "levels"),
                    f"scale '{scale.id}': levels must be listed in ascending order",
                )
            )

    seen: dict[str, int] = {}
    for i, c in enumerate(m.criteria):
        if c.id in seen:
            out.append(
                Problem(
                    name,
                    at("criteria", i, "id"),
                    f"duplicate criterion id '{c.id}' (first at line {seen[c.id]})",
                )
            )
        else:
            seen[c.id] = at("criteria", i, "id")
        if c.kind == "text":
            if c.weight != 0 and "weight" in pf.data["criteria"][i]:
                out.append(
                    Problem(
                        name,
                        at("criteria", i, "weight"),
                        f"criterion '{c.id}': a text criterion is not scored; its weight must be 0",
                    )
                )
        elif c.weight <= 0:
            out.append(
                Problem(
                    name,
                    at("criteria", i, "weight"),
                    f"criterion '{c.id}': weight must be positive, not {c.weight:g}",
                )
            )
        if c.kind == "scale":
            if not c.scale:
                out.append(
                    Problem(
                        name,
                        at("criteria", i),
                        f"criterion '{c.id}': a scale criterion needs 'scale'",
                    )
                )
            elif c.scale not in scales:
                out.append(
                    Problem(
                        name,
                        at("criteria", i, "scale"),
                        f"criterion '{c.id}': unknown scale '{c.scale}'",
                    )
                )
        elif c.scale:
            out.append(
                Problem(
                    name,
                    at("criteria", i, "scale"),
                    f"criterion '{c.id}': 'scale' is only for kind 'scale'",
                )
            )
        if c.kind == "elements_check":
            if not c.elements:
                out.append(
                    Problem(
                        name,
                        at("criteria", i),
                        f"criterion '{c.id}': an elements_check needs 'elements'",
                    )
                )
            for j, el in enumerate(c.elements):
                if el not in EU_ELEMENTS and el not in EU_OPTIONAL_ELEMENTS:
                    out.append(
                        Problem(
                            name,
                            at("criteria", i, "elements", j),
                            f"criterion '{c.id}': unknown standard element '{el}'"
                            " (expected EU-A1.1 … EU-A1.11 or EU-A1.O1 … EU-A1.O5)",
                        )
                    )
        elif c.elements:
            out.append(
                Problem(
                    name,
                    at("criteria", i, "elements"),
                    f"criterion '{c.id}': 'elements' is only for kind 'elements_check'",
                )
            )
        if c.gate is not None:
            lo, hi = _range(c, scales)
            if c.kind == "text":
                out.append(
                    Problem(
                        name,
                        at("criteria", i, "gate"),
                        f"criterion '{c.id}': a text criterion cannot have a gate",
                    )
                )
            elif hi is not None and not (lo <= c.gate.min_level <= hi):
                out.append(
                    Problem(
                        name,
                        at("criteria", i, "gate", "min_level"),
                        f"criterion '{c.id}': gate level {c.gate.min_level}"
                        f" is beyond the scale ({lo}–{hi})",
                    )
                )
            if c.gate.otherwise == Outcome.APPROVED:
                out.append(
                    Problem(
                        name,
                        at("criteria", i, "gate", "otherwise"),
                        f"criterion '{c.id}': a failed gate cannot lead to 'approved'",
                    )
                )
        for j, ref in enumerate(c.maps_to):
            if not is_known_reference(ref):
                out.append(
                    Problem(
                        name,
                        at("criteria", i, "maps_to", j),
                        f"criterion '{c.id}': unknown maps_to reference '{ref}'",
                    )
                )

    for i, inc in enumerate(m.includes):
        if inc.weight <= 0:
            out.append(
                Problem(
                    name,
                    at("includes", i, "weight"),
                    f"include '{inc.rubric}': weight must be positive, not {inc.weight:g}",
                )
            )
        if inc.rubric == m.rubric.id:
            out.append(
                Problem(name, at("includes", i, "rubric"), f"rubric '{inc.rubric}' includes itself")
            )
    if not m.criteria and not m.includes:
        out.append(Problem(name, at("rubric"), "a rubric needs criteria or includes"))

    outcomes = [t.outcome for t in m.thresholds]
    for i, t in enumerate(m.thresholds):
        if outcomes.count(t.outcome) > 1 and outcomes.index(t.outcome) != i:
            out.append(
                Problem(
                    name,
                    at("thresholds", i, "outcome"),
                    f"outcome '{t.outcome.value}' has two thresholds",
                )
            )
    if m.thresholds:
        mins = [t.min_score for t in m.thresholds]
        if min(mins) > 0:
            out.append(
                Problem(
                    name,
                    at("thresholds"),
                    f"thresholds leave scores below {min(mins):g} without an outcome;"
                    " give the lowest outcome min_score 0",
                )
            )
        ranked = sorted(m.thresholds, key=lambda t: t.outcome.rank)
        for better, worse in zip(ranked, ranked[1:], strict=False):
            if better.min_score < worse.min_score:
                out.append(
                    Problem(
                        name,
                        at("thresholds"),
                        f"threshold for '{better.outcome.value}' ({better.min_score:g})"
                        f" is below the one for the worse outcome"
                        f" '{worse.outcome.value}' ({worse.min_score:g})",
                    )
                )
    return out


def _range(c: Criterion, scales: dict[str, Scale]) -> tuple[int, int | None]:
    if c.kind == "scale":
        s = scales.get(c.scale or "")
        return (s.minimum, s.maximum) if s else (0, None)
    if c.kind == "yes_no":
        return 0, 1
    if c.kind == "elements_check":
        return 0, len(c.elements)
    return 0, 0


# --------------------------------------------------------------------------- composition


class RubricLibrary:
    """The rubric files of one or more folders, indexed by rubric id, composed on demand."""

    def __init__(self, files: Iterable[ParsedFile]) -> None:
        self.files: dict[str, ParsedFile] = {}  # the files that parsed, by rubric id
        self.models: dict[str, RubricFile] = {}  # their content
        self.problems: list[Problem] = []
        for pf in files:
            self.problems.extend(pf.problems)
            if pf.model is None:
                continue
            rid = pf.model.rubric.id
            if rid in self.files:
                other = self.files[rid]
                self.problems.append(
                    Problem(
                        str(pf.path),
                        pf.line_of(("rubric", "id")),
                        f"rubric id '{rid}' is also used by {other.path}",
                    )
                )
                continue
            self.files[rid] = pf
            self.models[rid] = pf.model

    @classmethod
    def from_paths(cls, paths: Sequence[Path]) -> RubricLibrary:
        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                files.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml")))
            else:
                files.append(p)
        return cls(read_rubric_file(f) for f in files)

    def ids(self) -> list[str]:
        return sorted(self.files)

    def compose_problems(self) -> list[Problem]:
        """Problems that show only when includes are resolved: unknown ids, cycles, clashes."""
        out: list[Problem] = []
        for rid in self.ids():
            try:
                self.get(rid)
            except RubricError as exc:
                out.extend(exc.problems)
        return sorted(set(out))

    def all_problems(self) -> list[Problem]:
        return sorted(set(self.problems) | set(self.compose_problems()))

    def get(self, rubric_id: str) -> Rubric:
        """Compose a rubric with its includes; raise `RubricError` naming every problem."""
        if rubric_id not in self.files:
            raise RubricError([Problem("<library>", 0, f"no rubric with id '{rubric_id}'")])
        problems: list[Problem] = []
        rubric = self._compose(rubric_id, (), problems)
        if problems or rubric is None:
            raise RubricError(problems)
        return rubric

    def _compose(self, rid: str, stack: tuple[str, ...], problems: list[Problem]) -> Rubric | None:
        pf, m = self.files[rid], self.models[rid]
        name = str(pf.path)
        scales: dict[str, Scale] = {s.id: s for s in m.scales}
        sources = {rid: m.rubric.version}
        parts: list[tuple[float, list[ResolvedCriterion]]] = []
        for c in m.criteria:
            rc = ResolvedCriterion(criterion=c, source=rid, effective_weight=1.0, path=(rid,))
            parts.append((c.weight if c.scored else 0.0, [rc]))
        for i, inc in enumerate(m.includes):
            line = pf.line_of(("includes", i, "rubric"))
            if inc.rubric in stack + (rid,):
                cycle = " -> ".join(stack + (rid, inc.rubric))
                problems.append(Problem(name, line, f"include cycle: {cycle}"))
                continue
            if inc.rubric not in self.files:
                problems.append(Problem(name, line, f"includes unknown rubric '{inc.rubric}'"))
                continue
            sub = self._compose(inc.rubric, stack + (rid,), problems)
            if sub is None:
                continue
            for sid, scale in sub.scales.items():
                if sid in scales and scales[sid] != scale:
                    problems.append(
                        Problem(
                            name,
                            line,
                            f"scale '{sid}' of '{inc.rubric}'"
                            " differs from a scale of the same id here",
                        )
                    )
                scales.setdefault(sid, scale)
            sources.update(sub.sources)
            nested = [rc.model_copy(update={"path": (rid,) + rc.path}) for rc in sub.criteria]
            if not any(rc.criterion.scored for rc in nested):
                problems.append(
                    Problem(
                        name,
                        line,
                        f"included rubric '{inc.rubric}' has no scored criteria;"
                        " its weight would count for nothing",
                    )
                )
                continue
            parts.append((inc.weight, nested))
        total = sum(w for w, _ in parts if w > 0)
        criteria: list[ResolvedCriterion] = []
        seen: dict[str, str] = {}
        for weight, group in parts:
            group_total = sum(rc.effective_weight for rc in group if rc.criterion.scored) or 1.0
            for rc in group:
                if rc.id in seen:
                    problems.append(
                        Problem(
                            name,
                            pf.line_of(("includes",)) if m.includes else 1,
                            f"criterion id '{rc.id}' appears in both"
                            f" '{seen[rc.id]}' and '{rc.source}'",
                        )
                    )
                    continue
                seen[rc.id] = rc.source
                share = (
                    (weight / total) * (rc.effective_weight / group_total)
                    if (total and rc.criterion.scored and weight > 0)
                    else 0.0
                )
                criteria.append(rc.model_copy(update={"effective_weight": share}))
        if not stack and not m.thresholds:
            problems.append(
                Problem(
                    name, pf.line_of(("rubric",)), "a rubric used on its own needs 'thresholds'"
                )
            )
        try:
            return Rubric(
                meta=m.rubric,
                scales=scales,
                criteria=criteria,
                thresholds=sorted(m.thresholds, key=lambda t: -t.min_score),
                includes=m.includes,
                sources=sources,
            )
        except ValidationError as exc:  # pragma: no cover - the parts were validated already
            problems.append(Problem(name, 1, str(exc)))
            return None


def load_library(paths: Sequence[Path]) -> RubricLibrary:
    return RubricLibrary.from_paths(paths)


def load_rubric(rubric_id: str, paths: Sequence[Path]) -> Rubric:
    lib = load_library(paths)
    if lib.problems:
        raise RubricError(lib.problems)
    return lib.get(rubric_id)

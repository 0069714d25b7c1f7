"""Read rubric files (YAML), check them, and compose them with their includes.

Every problem is reported as a `Problem` naming the file and the line, and all problems of a
file are reported together, never only the first.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from qa_engine.domain.errors import ValidationFailed
from qa_engine.domain.i18n import N_, Message
from qa_engine.domain.limits import check_size
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric import (
    Criterion,
    ResolvedCriterion,
    Rubric,
    RubricFile,
    Scale,
)
from qa_engine.domain.rubric_i18n import split_translations
from qa_engine.domain.standards import (
    EU_ELEMENTS,
    EU_OPTIONAL_ELEMENTS,
    is_known_reference,
    unknown_competence_hint,
)

MAX_RUBRIC_BYTES = 2 * 1024 * 1024

# where a value sits in a YAML document: the keys and list indexes from its root
YamlPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem of a rubric file: its file and line, and the message in English. A message made
    with `Problem.of` also keeps its msgid and named values, so that a page shows it in the
    reader's language (`text`); the CLI and the logs print the English `message`."""

    file: str
    line: int
    message: str
    msgid: str = field(default="", compare=False)
    params: tuple[tuple[str, object], ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, file: str, line: int, msgid: str, **params: object) -> Problem:
        """A problem whose message is `msgid` (marked with N_) filled with `params`."""
        message = msgid % params if params else msgid
        return cls(file, line, message, msgid, tuple(params.items()))

    def text(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of `gettext` (English when it has no msgid)."""
        if not self.msgid:
            return self.message
        translated = gettext(self.msgid)
        try:
            return translated % dict(self.params) if self.params else translated
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return self.message

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class _ProblemLine(Message):
    """A problem as a line of an error's details, `FILE:LINE: message`, the message in the
    reader's language."""

    problem: Problem | None = None

    def render(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
    ) -> str:
        p = self.problem
        if p is None:
            return self.singular
        return f"{p.file}:{p.line}: {p.text(gettext)}"


class RubricError(ValidationFailed):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__(
            N_("%(count)s problem(s) in rubric files"),
            details=[_ProblemLine(str(p), problem=p) if p.msgid else str(p) for p in self.problems],
            count=len(self.problems),
        )


@dataclass
class ParsedFile:
    path: Path
    data: Any
    lines: dict[YamlPath, int]
    model: RubricFile | None = None
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""  # SHA-256 of the file's bytes, when they were read

    def line_of(self, loc: Sequence[Any]) -> int:
        """Line of the deepest node on `loc` that the YAML source records (1 when unknown)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


# --------------------------------------------------------------------------- YAML with lines

# Rubric files are small (the shipped ones are about 10 KB and nest five levels deep) and are read
# by the engine from people's hands: the limits below refuse what no rubric needs before it can
# cost time or memory. YAML anchors, aliases and merge keys are refused outright (no rubric needs
# them, and an alias "bomb" of a few lines would otherwise expand to gigabytes).
MAX_YAML_DEPTH = 32
# problems of one kind (odd characters, anchors and aliases) listed before the rest is summed up
MAX_LISTED = 10

# libyaml's parser when PyYAML has it (fast on large files); the same events either way
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_PLAIN_TAGS = (None, "!")
_COLLECTION_TAGS = (*_PLAIN_TAGS, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_KINDS = {
    "tag:yaml.org,2002:timestamp": "date",
    "tag:yaml.org,2002:int": "whole number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "true/false value",
    "tag:yaml.org,2002:binary": "base64 value",
}
# what YAML accepts in a file (YAML 1.1, 5.1): anything else is refused here, with its line
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_TOO_DEEP = f"nested too deeply: more than {MAX_YAML_DEPTH} levels"
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _odd_characters(text: str, name: str) -> list[Problem]:
    """One problem per line holding a character YAML does not allow (control characters, lone
    surrogates, noncharacters), lines and columns counted as YAML counts them."""
    out: list[Problem] = []
    line, line_start, pos = 1, 0, 0
    for m in _NOT_PRINTABLE.finditer(text):
        if m.start() < pos:  # another one on a line already reported
            continue
        for brk in _LINE_BREAK.finditer(text, pos, m.start()):
            line, line_start = line + 1, brk.end()
        if len(out) == MAX_LISTED:
            out.append(Problem(name, line, "more such characters follow; they are not listed"))
            break
        code = ord(m.group())
        if 0xD800 <= code <= 0xDFFF:
            kind = "a lone surrogate, not a character"
        elif code in (0xFFFE, 0xFFFF):
            kind = "a noncharacter"
        else:
            kind = "a control character"
        out.append(
            Problem(
                name,
                line,
                f"column {m.start() - line_start + 1}: the character U+{code:04X} ({kind})"
                " is not allowed; remove it",
            )
        )
        # go on from the end of this line
        end = _LINE_BREAK.search(text, m.end())
        if end is None:
            break
        line, line_start, pos = line + 1, end.end(), end.end()
    return out


def _shown_tag(tag: str | None) -> str:
    """A tag as it is written in a file: `!!int` for YAML's own."""
    prefix = "tag:yaml.org,2002:"
    tag = tag or "!"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 1


@dataclass
class _Open:
    """A mapping or a list being read, with where it sits."""

    value: dict[str, Any] | list[Any]
    path: YamlPath | None  # None inside a key that is itself a mapping or a list
    line: int
    key: str = ""  # a mapping's key waiting for its value
    key_line: int = 0
    expect_key: bool = True


class _Reader:
    """Builds the data of one YAML document from the parser's events, without recursion.

    Records the line of every value by its path, and refuses (as problems) what rubric files
    never need: anchors, aliases, merge keys, tags other than YAML's own, a second document, and
    nesting beyond `MAX_YAML_DEPTH`.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[YamlPath, int] = {}
        self.problems: list[Problem] = []
        self.usable = True  # False once a problem leaves the data meaningless
        self.documents = 0
        self.has_root = False
        self.root: Any = None
        self.root_line = 1
        self._stack: list[_Open] = []
        self._refused = 0
        self._refused_lines: set[int] = set()
        # YAML's own rules for what a plain value is (a number, a date, …); the stubs leave the
        # method untyped, its type is stated here
        self._resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = (
            yaml.resolver.Resolver().resolve
        )
        self._constructor = yaml.constructor.SafeConstructor()

    def refuse(self, line: int, message: str) -> bool:
        """Record a problem that makes the data unusable; False when reading should stop."""
        self.usable = False
        if line in self._refused_lines:  # one such problem per line: `<<: *base` is one mistake
            return True
        self._refused_lines.add(line)
        self._refused += 1
        if self._refused > MAX_LISTED:
            self.problems.append(
                Problem(self.name, line, "more such problems follow; they are not listed")
            )
            return False
        self.problems.append(Problem(self.name, line, message))
        return True

    def take(self, event: yaml.Event) -> bool:
        """Read one event; False when reading should stop."""
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            self.root_line = _line(event)
            if self.documents > 1:
                self.usable = False
                self.problems.append(
                    Problem(
                        self.name,
                        _line(event),
                        "a second YAML document starts here; a file holds one",
                    )
                )
                return False
            return True
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = self._stack.pop()
            return self._place(done.value, done.line)
        if not isinstance(event, yaml.NodeEvent):  # the stream's and documents' other marks
            return True
        line = _line(event)
        path = self._next_path()
        if path is not None:
            self.lines[path] = line
        if event.anchor is not None and not isinstance(event, yaml.AliasEvent):
            if not self.refuse(
                line,
                f"the YAML anchor '&{event.anchor}' is not accepted; write each value out in full",
            ):
                return False
        if isinstance(event, yaml.AliasEvent):
            if not self.refuse(
                line,
                f"the YAML alias '*{event.anchor}' is not accepted; write the value out in full",
            ):
                return False
            return self._place(None, line)
        if isinstance(event, yaml.ScalarEvent):
            return self._place(self._scalar(event, line, is_key=self._at_key()), line)
        if isinstance(event, yaml.CollectionStartEvent):
            if len(self._stack) >= MAX_YAML_DEPTH:
                self.usable = False
                self.problems.append(Problem(self.name, line, _TOO_DEEP))
                return False
            if event.tag not in _COLLECTION_TAGS and not self.refuse(
                line, f"the YAML tag '{_shown_tag(event.tag)}' is not accepted"
            ):
                return False
            value: dict[str, Any] | list[Any] = (
                {} if isinstance(event, yaml.MappingStartEvent) else []
            )
            self._stack.append(_Open(value, path, line))
        return True

    def _at_key(self) -> bool:
        return (
            bool(self._stack)
            and isinstance(self._stack[-1].value, dict)
            and (self._stack[-1].expect_key)
        )

    def _next_path(self) -> YamlPath | None:
        """The path of the node that starts now (None for a key)."""
        if not self._stack:
            return ()
        top = self._stack[-1]
        if top.path is None:
            return None
        if isinstance(top.value, list):
            return top.path + (len(top.value),)
        return None if top.expect_key else top.path + (top.key,)

    def _scalar(self, event: yaml.ScalarEvent, line: int, *, is_key: bool) -> Any:
        tag = event.tag
        if tag in _PLAIN_TAGS:
            tag = self._resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _MERGE_TAG and is_key:
            self.refuse(
                line,
                "a YAML merge key ('<<') is not accepted; write the keys out in full",
            )
            return event.value
        if tag in (_MERGE_TAG, _VALUE_TAG):  # a plain '<<' or '=' that is not a key: text
            return event.value
        if tag not in self._constructor.yaml_constructors:
            self.refuse(line, f"the YAML tag '{_shown_tag(event.tag)}' is not accepted")
            return None
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            shown = event.value if len(event.value) <= 40 else event.value[:40] + "…"
            kind = _KINDS.get(tag, f"value of the tag '{_shown_tag(tag)}'")
            hint = "" if event.tag not in _PLAIN_TAGS else "; quote it if text is meant"
            self.refuse(line, f"'{shown}' is not a valid {kind}{hint}")
            return None
        finally:
            self._constructor.constructed_objects.clear()

    def _place(self, value: Any, line: int) -> bool:
        """Put a finished value where it belongs: the root, a list item, a key or its value."""
        if not self._stack:
            self.has_root, self.root = True, value
            if value is not None:  # an empty document is placed where it starts
                self.root_line = self.lines.get((), line)
            return True
        top = self._stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
            return True
        if not top.expect_key:
            top.value[top.key] = value
            if top.path is not None:
                self.lines[top.path + (top.key,)] = top.key_line
            top.expect_key = True
            return True
        if isinstance(value, (dict, list)):
            if not self.refuse(line, "a key must be a plain value, not a mapping or a list"):
                return False
            key = "?"
        else:
            key = value if isinstance(value, str) else str(value)
        if key in top.value:
            self.problems.append(
                Problem.of(self.name, line, N_("duplicate key '%(key)s'"), key=key)
            )
        top.key, top.key_line, top.expect_key = key, line, False
        return True


def parse_yaml(text: str, name: str) -> tuple[Any, dict[YamlPath, int], list[Problem]]:
    """The data of a one-document YAML text, the line of each value by its path, and the
    problems found, each with its line; the data is None when the text cannot be used.

    Reads the parser's events one at a time and stops at the first problem that makes the rest
    meaningless (a syntax error, nesting too deep, a second document, too many refusals), so
    neither a deeply nested nor an alias-laden file costs more than reading it once.
    """
    odd = _odd_characters(text, name)
    if odd:
        return None, {}, odd
    reader = _Reader(name)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if not reader.take(event):
                break
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "unreadable"
        if "nesting depth" in problem:  # the parser's own limit, met while looking ahead
            return None, reader.lines, [*reader.problems, Problem(name, line, _TOO_DEEP)]
        return (
            None,
            reader.lines,
            [*reader.problems, Problem(name, line, f"not valid YAML: {problem}")],
        )
    except yaml.YAMLError:  # the reader's own complaints are caught by the character check above
        return None, reader.lines, [*reader.problems, Problem.of(name, 1, N_("not valid YAML"))]
    if not reader.usable:
        return None, reader.lines, reader.problems
    if not reader.has_root:
        return None, reader.lines, [Problem.of(name, 1, N_("the file is empty"))]
    if reader.root is None:
        return (
            None,
            reader.lines,
            [
                *reader.problems,
                Problem.of(
                    name, reader.root_line, N_("the file is empty: its document holds no value")
                ),
            ],
        )
    return reader.root, reader.lines, reader.problems


# --------------------------------------------------------------------------- structure


_Model = TypeVar("_Model", bound=BaseModel)


def read_yaml_model(
    path: Path, model: type[_Model], *, expected: str
) -> tuple[_Model | None, list[Problem]]:
    """Read a YAML settings file into `model`: the value, or None and every problem as
    `FILE:LINE: message` (a missing or unreadable file, YAML errors, not a mapping (`expected`
    says what it should be), each field the model refuses at the line it was written on)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem.of(name, 1, _NOT_FOUND)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, 1, f"cannot read: {exc}")]
    data, lines, problems = parse_yaml(text, name)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(name, 1, f"expected {expected}")]
    try:
        return model.model_validate(data, strict=False), []
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = 1
            while loc:
                if loc in lines:
                    line = lines[loc]
                    break
                loc = loc[:-1]
            msgid, values = _describe(err)
            out.append(Problem.of(name, line, msgid, **values))
        return None, out


_NOT_FOUND = N_("file not found")
_FOLDER = N_("cannot read: it is a folder")


def _describe(err: ErrorDetails) -> tuple[str, dict[str, object]]:
    """A schema error as a msgid (marked for the catalogs) and its values."""
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc)
    kind = err["type"]
    if kind in ("extra_forbidden", "missing"):
        values: dict[str, object] = {"key": loc[-1], "where": ".".join(loc[:-1])}
        if kind == "extra_forbidden":
            if len(loc) > 1:
                return N_("unknown key '%(key)s' in %(where)s"), values
            return N_("unknown key '%(key)s'"), {"key": loc[-1]}
        if len(loc) > 1:
            return N_("missing field '%(key)s' in %(where)s"), values
        return N_("missing field '%(key)s'"), {"key": loc[-1]}
    if kind == "enum" or kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return N_("%(where)s: %(value)s is not one of %(expected)s"), {
            "where": where,
            "value": repr(err["input"]),
            "expected": expected,
        }
    # pydantic's own words (English) after the location
    return N_("%(where)s: %(problem)s"), {"where": where, "problem": err["msg"].lower()}


def _read_bytes(path: Path) -> tuple[bytes | None, Problem | None]:
    """The bytes of a rubric file, or the problem that keeps them from being read: missing, not
    a regular file, over `MAX_RUBRIC_BYTES` (never read further than the limit)."""
    name = str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return None, Problem.of(name, 1, _FOLDER)
        if not stat.S_ISREG(info.st_mode):  # a pipe or a device: reading might never end
            return None, Problem.of(name, 1, N_("cannot read: not a regular file"))
        check_size(info.st_size, MAX_RUBRIC_BYTES, "rubric file")
        with path.open("rb") as f:  # the file may have grown since: read one byte past the limit
            raw = f.read(MAX_RUBRIC_BYTES + 1)
        check_size(len(raw), MAX_RUBRIC_BYTES, "rubric file", at_least=True)
    except FileNotFoundError:
        return None, Problem.of(name, 1, _NOT_FOUND)
    except IsADirectoryError:
        return None, Problem.of(name, 1, _FOLDER)
    except OSError as exc:
        return None, Problem(name, 1, f"cannot read: {exc.strerror or 'the system refused'}")
    except ValidationFailed as exc:
        return None, Problem(name, 1, exc.message)
    return raw, None


def _decode(raw: bytes, name: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text, or where it stops being UTF-8."""
    try:
        # an encoded lone surrogate comes through, for the character check to name its line
        return raw.decode("utf-8", "surrogatepass"), None
    except UnicodeDecodeError as exc:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return None, Problem.of(
                name, 1, N_("not UTF-8 text but UTF-16; save the file as UTF-8")
            )
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Problem.of(
            name,
            line,
            N_(
                "not UTF-8 text: the byte 0x%(byte)s (column %(column)s) cannot be read;"
                " save the file as UTF-8"
            ),
            byte=f"{raw[exc.start]:02X}",
            column=column,
        )


def _what(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a single value"


def read_rubric_file(path: Path) -> ParsedFile:
    """Parse and structurally check one rubric file; problems are kept on the result."""
    raw, problem = _read_bytes(path)
    if raw is None:
        return ParsedFile(path, None, {}, problems=[problem] if problem else [])
    return read_rubric_bytes(raw, path)


def read_rubric_bytes(raw: bytes, path: Path) -> ParsedFile:
    """Parse and structurally check the bytes of one rubric file (an upload, say), reported
    under `path`; problems are kept on the result."""
    name = str(path)
    problem: Problem | None
    try:
        check_size(len(raw), MAX_RUBRIC_BYTES, "rubric file")
    except ValidationFailed as exc:
        return ParsedFile(path, None, {}, problems=[Problem(name, 1, exc.message)])
    text, problem = _decode(raw, name)
    if text is None:
        return ParsedFile(path, None, {}, problems=[problem] if problem else [])
    data, lines, problems = parse_yaml(text, name)
    pf = ParsedFile(path, data, lines, problems=list(problems))
    pf.digest = hashlib.sha256(raw).hexdigest()
    if data is None:
        return pf
    if not isinstance(data, dict):
        pf.problems.append(
            Problem(
                name,
                pf.line_of(()),
                f"a rubric file must be a mapping with a 'rubric' key, not {_what(data)}",
            )
        )
        return pf
    # per-language texts: the rubric's own language in the fields, the others aside (checked)
    data, found = split_translations(data, pf.line_of)
    pf.problems.extend(Problem.of(name, line, msgid, **values) for line, msgid, values in found)
    try:
        pf.model = RubricFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            msgid, values = _describe(err)
            pf.problems.append(Problem.of(name, pf.line_of(err["loc"]), msgid, **values))
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
            out.append(
                Problem.of(
                    name, at("scales", i, "id"), N_("duplicate scale id '%(id)s'"), id=scale.id
                )
            )
        scales[scale.id] = scale
        values = [lv.value for lv in scale.levels]
        if len(set(values)) != len(values):
            out.append(
                Problem.of(
                    name,
                    at("scales", i, "levels"),
                    N_("scale '%(id)s' repeats a level value"),
                    id=scale.id,
                )
            )
        if values != sorted(values):
            out.append(
                Problem.of(
                    name,
                    at("scales", i, "levels"),
                    N_("scale '%(id)s': levels must be listed in ascending order"),
                    id=scale.id,
                )
            )

    seen: dict[str, int] = {}
    for i, c in enumerate(m.criteria):
        if c.id in seen:
            out.append(
                Problem.of(
                    name,
                    at("criteria", i, "id"),
                    N_("duplicate criterion id '%(id)s' (first at line %(first)s)"),
                    id=c.id,
                    first=seen[c.id],
                )
            )
        else:
            seen[c.id] = at("criteria", i, "id")
        if c.kind == "text":
            if c.weight != 0 and "weight" in pf.data["criteria"][i]:
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i, "weight"),
                        N_(
                            "criterion '%(id)s': a text criterion is not scored;"
                            " its weight must be 0"
                        ),
                        id=c.id,
                    )
                )
        elif c.weight <= 0:
            out.append(
                Problem.of(
                    name,
                    at("criteria", i, "weight"),
                    N_("criterion '%(id)s': weight must be positive, not %(weight)s"),
                    id=c.id,
                    weight=f"{c.weight:g}",
                )
            )
        if c.kind == "scale":
            if not c.scale:
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i),
                        N_("criterion '%(id)s': a scale criterion needs 'scale'"),
                        id=c.id,
                    )
                )
            elif c.scale not in scales:
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i, "scale"),
                        N_("criterion '%(id)s': unknown scale '%(scale)s'"),
                        id=c.id,
                        scale=c.scale,
                    )
                )
        elif c.scale:
            out.append(
                Problem.of(
                    name,
                    at("criteria", i, "scale"),
                    N_("criterion '%(id)s': 'scale' is only for kind 'scale'"),
                    id=c.id,
                )
            )
        if c.kind == "elements_check":
            if not c.elements:
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i),
                        N_("criterion '%(id)s': an elements_check needs 'elements'"),
                        id=c.id,
                    )
                )
            for j, el in enumerate(c.elements):
                if el not in EU_ELEMENTS and el not in EU_OPTIONAL_ELEMENTS:
                    out.append(
                        Problem.of(
                            name,
                            at("criteria", i, "elements", j),
                            N_(
                                "criterion '%(id)s': unknown standard element '%(element)s'"
                                " (expected EU-A1.1 … EU-A1.11 or EU-A1.O1 … EU-A1.O5)"
                            ),
                            id=c.id,
                            element=el,
                        )
                    )
        elif c.elements:
            out.append(
                Problem.of(
                    name,
                    at("criteria", i, "elements"),
                    N_("criterion '%(id)s': 'elements' is only for kind 'elements_check'"),
                    id=c.id,
                )
            )
        if c.gate is not None:
            lo, hi = _range(c, scales)
            if c.kind == "text":
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i, "gate"),
                        N_("criterion '%(id)s': a text criterion cannot have a gate"),
                        id=c.id,
                    )
                )
            elif hi is not None and not (lo <= c.gate.min_level <= hi):
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i, "gate", "min_level"),
                        N_(
                            "criterion '%(id)s': gate level %(level)s is beyond the scale"
                            " (%(lo)s–%(hi)s)"
                        ),
                        id=c.id,
                        level=c.gate.min_level,
                        lo=lo,
                        hi=hi,
                    )
                )
            if c.gate.otherwise == Outcome.APPROVED:
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i, "gate", "otherwise"),
                        N_("criterion '%(id)s': a failed gate cannot lead to 'approved'"),
                        id=c.id,
                    )
                )
        for j, ref in enumerate(c.maps_to):
            if not is_known_reference(ref):
                out.append(
                    Problem.of(
                        name,
                        at("criteria", i, "maps_to", j),
                        N_("criterion '%(id)s': unknown maps_to reference '%(ref)s'%(hint)s"),
                        id=c.id,
                        ref=ref,
                        hint=f": {hint}" if (hint := unknown_competence_hint(ref)) else "",
                    )
                )

    for i, inc in enumerate(m.includes):
        if inc.weight <= 0:
            out.append(
                Problem.of(
                    name,
                    at("includes", i, "weight"),
                    N_("include '%(id)s': weight must be positive, not %(weight)s"),
                    id=inc.rubric,
                    weight=f"{inc.weight:g}",
                )
            )
        if inc.rubric == m.rubric.id:
            out.append(
                Problem.of(
                    name,
                    at("includes", i, "rubric"),
                    N_("rubric '%(id)s' includes itself"),
                    id=inc.rubric,
                )
            )
    if not m.criteria and not m.includes:
        out.append(Problem.of(name, at("rubric"), N_("a rubric needs criteria or includes")))

    outcomes = [t.outcome for t in m.thresholds]
    for i, t in enumerate(m.thresholds):
        if outcomes.count(t.outcome) > 1 and outcomes.index(t.outcome) != i:
            out.append(
                Problem.of(
                    name,
                    at("thresholds", i, "outcome"),
                    N_("outcome '%(outcome)s' has two thresholds"),
                    outcome=t.outcome.value,
                )
            )
    if m.thresholds:
        mins = [t.min_score for t in m.thresholds]
        if min(mins) > 0:
            out.append(
                Problem.of(
                    name,
                    at("thresholds"),
                    N_(
                        "thresholds leave scores below %(score)s without an outcome;"
                        " give the lowest outcome min_score 0"
                    ),
                    score=f"{min(mins):g}",
                )
            )
        ranked = sorted(m.thresholds, key=lambda t: t.outcome.rank)
        for better, worse in zip(ranked, ranked[1:], strict=False):
            if better.min_score < worse.min_score:
                out.append(
                    Problem.of(
                        name,
                        at("thresholds"),
                        N_(
                            "threshold for '%(better)s' (%(better_score)s) is below the one for"
                            " the worse outcome '%(worse)s' (%(worse_score)s)"
                        ),
                        better=better.outcome.value,
                        better_score=f"{better.min_score:g}",
                        worse=worse.outcome.value,
                        worse_score=f"{worse.min_score:g}",
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
            rid = pf.model.rubric.id if pf.model is not None else None
            other = self.files.get(rid) if rid is not None else None
            if other is not None and pf.digest == other.digest:
                # the same rubric file again (e.g. the installed copy of a file named on the
                # command line): read once
                continue
            self.problems.extend(pf.problems)
            if pf.model is None or rid is None:
                continue
            if other is not None:
                # both files are named: either may be the one the user is checking
                for this, that in ((pf, other), (other, pf)):
                    self.problems.append(
                        Problem.of(
                            str(this.path),
                            this.line_of(("rubric", "id")),
                            N_("rubric id '%(id)s' is also used by %(path)s"),
                            id=rid,
                            path=str(that.path),
                        )
                    )
                continue
            self.files[rid] = pf
            self.models[rid] = pf.model

    @classmethod
    def from_paths(cls, paths: Sequence[Path]) -> RubricLibrary:
        return cls(read_rubric_file(f) for f in rubric_files(paths))

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
                problems.append(Problem.of(name, line, N_("include cycle: %(cycle)s"), cycle=cycle))
                continue
            if inc.rubric not in self.files:
                problems.append(
                    Problem.of(name, line, N_("includes unknown rubric '%(id)s'"), id=inc.rubric)
                )
                continue
            sub = self._compose(inc.rubric, stack + (rid,), problems)
            if sub is None:
                continue
            for sid, scale in sub.scales.items():
                if sid in scales and scales[sid] != scale:
                    problems.append(
                        Problem.of(
                            name,
                            line,
                            N_(
                                "scale '%(scale)s' of '%(id)s' differs from a scale of the same"
                                " id here"
                            ),
                            scale=sid,
                            id=inc.rubric,
                        )
                    )
                scales.setdefault(sid, scale)
            sources.update(sub.sources)
            nested = [rc.model_copy(update={"path": (rid,) + rc.path}) for rc in sub.criteria]
            if not any(rc.criterion.scored for rc in nested):
                problems.append(
                    Problem.of(
                        name,
                        line,
                        N_(
                            "included rubric '%(id)s' has no scored criteria;"
                            " its weight would count for nothing"
                        ),
                        id=inc.rubric,
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
                        Problem.of(
                            name,
                            pf.line_of(("includes",)) if m.includes else 1,
                            N_(
                                "criterion id '%(id)s' appears in both '%(first)s' and '%(second)s'"
                            ),
                            id=rc.id,
                            first=seen[rc.id],
                            second=rc.source,
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
                Problem.of(
                    name, pf.line_of(("rubric",)), N_("a rubric used on its own needs 'thresholds'")
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


def rubric_files(paths: Sequence[Path]) -> list[Path]:
    """The files named and the `.yaml`/`.yml` files of the folders named, in order, each file
    once however often it is named (through a symbolic link, a folder and a file, …). A folder
    whose files cannot be listed is kept, so that reading it reports why."""
    out: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        found = [p]
        if p.is_dir():
            try:
                found = sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml"))
            except OSError:
                pass
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def load_library(paths: Sequence[Path]) -> RubricLibrary:
    return RubricLibrary.from_paths(paths)


def load_rubric(rubric_id: str, paths: Sequence[Path]) -> Rubric:
    lib = load_library(paths)
    if lib.problems:
        raise RubricError(lib.problems)
    return lib.get(rubric_id)

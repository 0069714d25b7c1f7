"""The tamper-evident audit chain: each event's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    payload: dict[str, Any],
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "payload": payload,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainEvent:
    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class NewEvent(NamedTuple):
    """An event to append; its place in the chain (sequence number, hashes) comes from `link`."""

    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ChainHead:
    """The last event of a chain (an empty chain's head is the genesis)."""

    seq: int = 0
    hash: str = GENESIS


def link(head: ChainHead, events: Iterable[NewEvent]) -> Iterator[ChainEvent]:
    """The events appended after `head`, in the given order: dense sequence numbers, each event's
    hash covering its content and the hash before it. The one place where the chain grows."""
    seq, prev = head.seq, head.hash
    for e in events:
        seq += 1
        h = event_hash(
            prev_hash=prev,
            seq=seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            subject_type=e.subject_type,
            subject_id=e.subject_id,
            payload=e.payload,
        )
        yield ChainEvent(
            seq, e.at, e.actor, e.action, e.subject_type, e.subject_id, e.payload, prev, h
        )
        prev = h


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.message}"


def verify_chain(events: Iterable[ChainEvent]) -> tuple[int, list[ChainProblem]]:
    """Check every link; return how many events were read and every problem found."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_seq = None
    count = 0
    for ev in events:
        count += 1
        if expected_seq is not None and ev.seq != expected_seq:
            problems.append(
                ChainProblem(
                    ev.seq, f"sequence jumps from {expected_seq - 1} to {ev.seq}: events deleted"
                )
            )
        if ev.prev_hash != expected_prev:
            problems.append(
                ChainProblem(
                    ev.seq,
                    "does not link to the event before it"
                    " (an event was deleted, inserted or reordered)",
                )
            )
        recomputed = event_hash(
            prev_hash=ev.prev_hash,
            seq=ev.seq,
            at=ev.at,
            actor=ev.actor,
            action=ev.action,
            subject_type=ev.subject_type,
            subject_id=ev.subject_id,
            payload=ev.payload,
        )
        if recomputed != ev.hash:
            problems.append(
                ChainProblem(ev.seq, "content does not match its hash (the event was edited)")
            )
        expected_prev = ev.hash
        expected_seq = ev.seq + 1
    return count, problems

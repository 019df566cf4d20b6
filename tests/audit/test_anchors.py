"""Anchors: signed checkpoints kept away from the database, which catch what the chain
alone cannot (a cut-off tail, history rewritten by someone holding the key)."""

from __future__ import annotations

import random
from pathlib import Path

import attrs
import pytest

from oneplan import Keys, OnePlan
from oneplan.audit import Anchor, Breach, VerificationStatus
from oneplan.audit.chain import StoredRow, link
from oneplan.demo import run_demo
from oneplan.errors import AnchorInvalid, AuditChainBroken, AuditChainNotStarted
from tests.audit.logs import anchor_of, chained_log, fresh_key, verify
from tests.builders import record


def test_an_anchor_round_trips_through_its_file(tmp_path: Path) -> None:
    key = fresh_key(random.Random("file"))
    anchor = anchor_of(chained_log(key, random.Random("log"), events=30, streams=4), key)
    path = tmp_path / "anchor.json"

    anchor.write(path)

    assert Anchor.read(path) == anchor
    assert Anchor.read(path).signed_by(key)
    with pytest.raises(FileExistsError):
        anchor.write(path)


def test_an_anchor_records_the_chains_head_and_every_streams(audited: OnePlan) -> None:
    run_demo(audited, lambda _: None)

    anchor = audited.make_audit_anchor()

    last = audited.recorder.last_chain_entry()  # type: ignore[attr-defined]
    assert (anchor.position, anchor.seq, anchor.head) == (last.position, last.seq, last.mac)
    assert len(anchor.streams) == len({e.originator_id for e in record(audited).all_events()})
    assert audited.verify_audit(anchor=anchor).status is VerificationStatus.INTACT


def test_an_anchor_is_never_made_over_a_broken_log() -> None:
    rng = random.Random("broken")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=20, streams=3)
    position, stream, version, topic, state = log.events[5]
    log.events[5] = (position, stream, version, topic, state + b"!")

    with pytest.raises(AuditChainBroken) as refused:
        anchor_of(log, key)
    assert (refused.value.position, refused.value.breach) == (6, Breach.MODIFIED)


def test_an_empty_chain_has_nothing_to_anchor(audited: OnePlan) -> None:
    with pytest.raises(AuditChainNotStarted):
        audited.make_audit_anchor()


def test_an_altered_anchor_fails_its_signature() -> None:
    rng = random.Random("altered")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=20, streams=3)
    anchor = anchor_of(log, key)

    moved_back = attrs.evolve(anchor, position=anchor.position - 1)
    result = verify(log, key, moved_back)

    assert result.finding is not None
    assert result.finding.breach is Breach.ANCHOR
    assert "signature" in result.finding.detail


def test_history_rewritten_with_the_key_is_caught_by_the_anchor_only() -> None:
    """Someone holding the key can re-chain a changed log so that it verifies; an anchor
    made before, and kept elsewhere, still tells."""
    rng = random.Random("insider")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=40, streams=5)
    anchor = anchor_of(log, key)
    position, stream, version, topic, state = log.events[10]
    log.events[10] = (position, stream, version, topic, state + b"!")
    heads = {e[1]: log.chain[e[0]].mac for e in log.events[:10]}
    head = (log.chain[10].seq, log.chain[10].mac)
    for entry in link(key, head, heads, [StoredRow(*e) for e in log.events[10:]]):
        log.chain[entry.position] = entry

    assert verify(log, key).status is VerificationStatus.INTACT  # the known limit
    result = verify(log, key, anchor)
    assert result.finding is not None
    assert (result.finding.position, result.finding.breach) == (40, Breach.ANCHOR)


def test_another_records_anchor_does_not_match(tmp_path: Path) -> None:
    keys = Keys.generate()
    with OnePlan.open(f"sqlite:///{tmp_path / 'a.db'}", keys=keys) as app:
        run_demo(app, lambda _: None)
        anchor = app.make_audit_anchor()
    with OnePlan.open(f"sqlite:///{tmp_path / 'b.db'}", keys=keys) as other:
        run_demo(other, lambda _: None)

        result = other.verify_audit(anchor=anchor)

    assert result.finding is not None
    assert result.finding.breach is Breach.ANCHOR


def test_without_the_key_an_anchor_still_shows_a_cut_off_tail() -> None:
    rng = random.Random("keyless")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=30, streams=3)
    anchor = anchor_of(log, key)
    for event in log.events[-3:]:
        del log.chain[event[0]]
    del log.events[-3:]

    result = verify(log, None, anchor)

    assert result.finding is not None
    assert (result.finding.position, result.finding.breach) == (28, Breach.TRUNCATED)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "is not an anchor"),
        (b"[]", "is not an anchor"),
        (b'{"format": "oneplan-audit-anchor/3"}', "format"),
        (b'{"format": "oneplan-audit-anchor/2"}', "Field required"),
    ],
)
def test_what_is_not_an_anchor_is_refused_naming_why(data: bytes, says: str) -> None:
    with pytest.raises(AnchorInvalid) as refused:
        Anchor.from_json(data, source="kept.json")

    assert says in str(refused.value)
    assert refused.value.source == "kept.json"


def test_an_unreadable_anchor_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnchorInvalid, match="cannot read"):
        Anchor.read(tmp_path / "missing.json")

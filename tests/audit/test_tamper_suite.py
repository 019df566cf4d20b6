"""The tamper suite: for every kind of tampering, at least 1,000 tampered logs, each
detected, at its first broken position, named as what it is.

The logs are in memory (``tests.audit.logs``): stored rows and chain entries as a
database holds them, chained with the recorders' own ``link``. Real tamperings with SQL
on SQLite and PostgreSQL are in ``test_tampering_with_sql.py``.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from oneplan.audit import Breach, VerificationStatus
from tests.audit.logs import KINDS, anchor_of, chained_log, fresh_key, verify

PER_KIND = 1_000


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_tampered_log_is_detected_at_its_first_broken_position(kind: str) -> None:
    rng = random.Random(f"tamper-{kind}")
    key = fresh_key(rng)
    bases = [
        chained_log(
            key,
            rng,
            events=rng.randint(12, 160),
            streams=rng.randint(1, 24),
            after=rng.choice((0, 0, 0, rng.randint(1, 8))),
        )
        for _ in range(50)
    ]
    anchors = [anchor_of(base, key) for base in bases] if kind == "truncated" else None
    detected, named = 0, 0
    misnamed: Counter[str] = Counter()
    for n in range(PER_KIND):
        base = n % len(bases)
        log, position, breaches = KINDS[kind](bases[base].copy(), rng, key)
        result = verify(log, key, anchors[base] if anchors else None)
        finding = result.finding
        if result.status is VerificationStatus.BROKEN and finding is not None:
            detected += 1
            if finding.position == position and finding.breach in breaches:
                named += 1
            else:
                misnamed[f"{finding.breach} at {finding.position - position:+d}"] += 1

    assert detected == PER_KIND
    assert named == PER_KIND, misnamed.most_common(5)


def test_clean_logs_verify_intact_with_and_without_an_anchor() -> None:
    rng = random.Random("clean")
    key = fresh_key(rng)
    for _ in range(200):
        log = chained_log(
            key,
            rng,
            events=rng.randint(1, 120),
            streams=rng.randint(1, 20),
            after=rng.choice((0, rng.randint(0, 5))),
        )
        if len(log.events) <= int(log.meta["after"]):
            continue
        assert verify(log, key).status is VerificationStatus.INTACT
        assert verify(log, key, anchor_of(log, key)).status is VerificationStatus.INTACT


def test_a_cut_off_tail_needs_the_anchor_to_be_seen() -> None:
    rng = random.Random("limit")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=50, streams=5)
    anchor = anchor_of(log, key)
    cut, _, _ = KINDS["truncated"](log.copy(), rng, key)

    assert verify(cut, key).status is VerificationStatus.INTACT  # the known limit
    assert verify(cut, key, anchor).finding.breach is Breach.TRUNCATED  # type: ignore[union-attr]


def test_a_log_rechained_without_the_key_passes_only_a_check_of_its_structure() -> None:
    rng = random.Random("structure")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=50, streams=5)
    rechained, _, _ = KINDS["rechained"](log.copy(), rng, key)

    assert verify(rechained, None).status is VerificationStatus.UNVERIFIED
    assert verify(rechained, key).finding.breach is Breach.RECHAINED  # type: ignore[union-attr]

"""The verifier fed malformed logs and anchors: it reports (a finding, or a refusal to
read the anchor), never crashes, never passes."""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
from hypothesis import assume, given
from hypothesis import strategies as st

from oneplan.audit import Anchor, VerificationStatus
from oneplan.audit.chain import ChainEntry
from oneplan.errors import AnchorInvalid
from tests.audit.logs import MemoryLog, anchor_of, chained_log, fresh_key, verify

KEY = fresh_key(random.Random("fuzz"))
LOG = chained_log(KEY, random.Random("fuzz-log"), events=30, streams=4)
ANCHOR = anchor_of(LOG, KEY)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=70),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)

json_junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.text(max_size=70),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _differs(new: Any, old: Any) -> bool:
    return type(new) is not type(old) or new != old


def _mutate(log: MemoryLog, data: st.DataObject) -> None:
    kinds = ["field", "entry", "row", "drop", "copy", "swap", "add", "meta"]
    kind = data.draw(st.sampled_from(kinds if log.events else ["add", "meta"]))
    i = data.draw(st.integers(0, max(len(log.events) - 1, 0)))
    row = log.events[i] if log.events else None
    if kind in ("field", "entry"):  # an earlier mutation may have left junk in this row
        assume(isinstance(row, tuple) and len(row) == 5)
        assert row is not None
    if kind == "entry":
        assume(isinstance(row[0], int) and row[0] in log.chain)
    if kind == "field":
        field = data.draw(st.integers(0, 4))
        value = data.draw(junk)
        assume(_differs(value, row[field]))
        log.events[i] = (*row[:field], value, *row[field + 1 :])
    elif kind == "entry":
        entry = log.chain[row[0]]
        field = data.draw(st.sampled_from(["seq", "mac"]))
        value = data.draw(junk)
        assume(_differs(value, getattr(entry, field)))
        log.chain[row[0]] = entry._replace(**{field: value})
    elif kind == "row":
        log.events[i] = data.draw(
            st.one_of(junk, st.tuples(junk, junk, junk), st.tuples(*[junk] * 5))
        )
    elif kind == "drop":
        del log.events[i]
    elif kind == "copy":
        log.events.insert(i, row)
    elif kind == "swap":
        j = data.draw(st.integers(0, len(log.events) - 1))
        assume(i != j)
        log.events[i], log.events[j] = log.events[j], log.events[i]
    elif kind == "add":
        extra = data.draw(st.tuples(junk, junk, junk, junk, junk))
        log.events.insert(i, extra)
        log.chain[extra[0] if isinstance(extra[0], int | str | bytes) else None] = ChainEntry(
            *data.draw(st.tuples(junk, junk, junk, junk, junk))
        )
    else:
        name = data.draw(st.sampled_from(sorted(log.meta)))
        value = data.draw(st.one_of(st.none(), st.text(max_size=70)))
        assume(value != log.meta[name])
        if value is None:
            del log.meta[name]
        else:
            log.meta[name] = value


@given(st.data())
def test_a_chained_log_malformed_anywhere_is_reported_never_passed(data: st.DataObject) -> None:
    log = LOG.copy()
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(log, data)
    # a later mutation may undo an earlier one (a swap back, a copy dropped again; a row
    # added and dropped again leaves only a chain entry under a key no event can have)
    positions = {k: v for k, v in log.chain.items() if type(k) is int and k >= 1}
    assume((log.events, positions, log.meta) != (LOG.events, LOG.chain, LOG.meta))

    result = verify(log, KEY, data.draw(st.sampled_from([None, ANCHOR])))

    assert result.status is not VerificationStatus.INTACT, result.summary()
    assert result.summary()


@given(
    st.lists(st.tuples(junk, junk, junk, junk, junk), min_size=1, max_size=8),
    st.lists(st.tuples(junk, junk, junk, junk, junk), max_size=4),
)
def test_a_log_of_junk_is_reported_never_passed(events: list[Any], entries: list[Any]) -> None:
    chain = {}
    for entry in entries:
        try:
            chain[entry[0]] = ChainEntry(*entry)
        except TypeError:  # an unhashable position cannot be a key
            continue
    log = MemoryLog(events=events, chain=chain, meta=dict(LOG.meta))

    result = verify(log, KEY)

    assert result.status is not VerificationStatus.INTACT, result.summary()


_anchor_json = ANCHOR.to_json()


@given(st.data())
def test_a_malformed_anchor_is_refused_or_fails_verification(data: st.DataObject) -> None:
    document = orjson.loads(_anchor_json)
    how = data.draw(st.sampled_from(["drop", "change", "add", "stream", "bytes"]))
    if how == "drop":
        del document[data.draw(st.sampled_from(sorted(document)))]
    elif how == "change":
        name = data.draw(st.sampled_from(sorted(document)))
        value = data.draw(st.one_of(json_junk, st.text(alphabet="0123456789abcdef", max_size=70)))
        assume(_differs(value, document[name]))
        document[name] = value
    elif how == "add":
        document[data.draw(st.text(min_size=1, max_size=10))] = data.draw(json_junk)
    elif how == "stream":
        stream = data.draw(st.sampled_from(sorted(document["streams"])))
        value = data.draw(st.one_of(json_junk, st.tuples(st.integers(), st.text(max_size=64))))
        assume(_differs(value, document["streams"][stream]))
        document["streams"][stream] = value
    raw = data.draw(st.binary(max_size=200)) if how == "bytes" else json.dumps(document)

    try:
        anchor = Anchor.from_json(raw)
    except AnchorInvalid:
        return
    assume(anchor != ANCHOR)
    result = verify(LOG.copy(), KEY, anchor)
    assert result.status is VerificationStatus.BROKEN, result.summary()

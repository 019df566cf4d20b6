"""A view's keys for an event class, worked out once (``Fold.keys_for``), are its keys
(``keys``) for every event of that class."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from oneplan import OnePlan
from oneplan.projections import MemoryViewStore, ProjectionRunner, Route
from oneplan.projections.base import Fold, KeysOf
from oneplan.simulation import Municipality, simulate
from tests.conftest import FixedClock


def test_keys_for_a_class_are_the_keys_of_every_event_of_it() -> None:
    with OnePlan.open("memory://", clock=FixedClock(datetime(2027, 1, 1, tzinfo=UTC))) as app:
        simulate(app, citizens=40, seed=3, municipality=Municipality(years=2))
        runner = ProjectionRunner(app, MemoryViewStore())
        compared: dict[str, int] = {}

        def checked(view: Fold[Any]) -> None:
            keys_for = view.keys_for

            def for_class(event_class: type[Any]) -> KeysOf:
                once = keys_for(event_class)

                def keys(event: Any, route: Route | None) -> tuple[str, ...]:
                    found = once(event, route)
                    assert found == view.keys(event, route), (view.name, event)
                    compared[view.name] = compared.get(view.name, 0) + len(found)
                    return found

                return keys

            view.keys_for = for_class  # type: ignore[method-assign]

        for view in runner.projections:
            assert isinstance(view, Fold)
            checked(view)
        runner.catch_up()
        assert all(compared[name] for name in ("plan", "citizen", "journey", "audit_index"))

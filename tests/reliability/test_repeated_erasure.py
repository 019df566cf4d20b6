"""An erasure sent again with its command id (a caller retrying after a lost answer)
is a repeat, as every command is: it stores nothing and destroys nothing more. Without
the id, or with another command's id, it is refused as before."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from oneplan import CitizenErased, CommandIdReused, Keys, OnePlan
from tests.builders import ANNE, acting
from tests.conftest import NOW, FixedClock


def test_an_erasure_repeated_by_its_command_id_stores_and_destroys_nothing_more() -> None:
    clock = FixedClock(NOW)
    with OnePlan.open("memory://", clock=clock, keys=Keys.generate()) as app:
        citizen = acting(app, ANNE).register_citizen(name="Sara", birth_date=date(1990, 1, 1))
        clock.now += timedelta(days=365 * 6)
        command_id = uuid4()
        first = acting(app, ANNE).erase_citizen(citizen_id=citizen, command_id=command_id)
        stored = app.recorder.max_notification_id()

        again = acting(app, ANNE).erase_citizen(citizen_id=citizen, command_id=command_id)

        assert (first.citizen_id, first.keys_destroyed) == (citizen, 1)
        assert (again.citizen_id, again.keys_destroyed) == (citizen, 0)
        assert app.recorder.max_notification_id() == stored
        with pytest.raises(CitizenErased):
            acting(app, ANNE).erase_citizen(citizen_id=citizen)
        with pytest.raises(CommandIdReused):
            acting(app, ANNE).erase_citizen(
                citizen_id=citizen, reason="other", command_id=command_id
            )
        assert app.recorder.max_notification_id() == stored

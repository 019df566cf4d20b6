"""Every command has its use case on a session (``OnePlan.as_(principal)``), named after it."""

from __future__ import annotations

import inspect
import re

import pytest

from oneplan import Session
from oneplan.commands import COMMANDS, Command


def _method_name(command: type[Command]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()


def test_the_command_list_holds_every_command_class() -> None:
    assert set(COMMANDS) == set(Command.__subclasses__())
    assert len(COMMANDS) >= 35


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_every_command_has_a_method_on_the_application_that_takes_it(
    command: type[Command],
) -> None:
    method = getattr(Session, _method_name(command), None)
    assert method is not None, f"Session has no {_method_name(command)}() for {command.__name__}"
    parameters = list(inspect.signature(method).parameters.values())
    assert parameters[1].name == "command"
    assert parameters[1].kind is inspect.Parameter.POSITIONAL_ONLY
    assert command.__name__ in str(parameters[1].annotation)

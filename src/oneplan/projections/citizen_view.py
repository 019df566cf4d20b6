"""The citizen as views need them: who they are, which plan they are in, and their
consents (*samtykker*), which every sector view is filtered by at the time of reading."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

import attrs

from oneplan.aggregates.citizen import Citizen, Consent
from oneplan.projections.base import Fold, Route, replace
from oneplan.values import Actor, InformationCategory, Sector

__all__ = ["CitizenState", "CitizenView"]


@attrs.frozen
class CitizenState:
    """One citizen's row: name, plan, consents and social-services contact person. Once
    the citizen is erased, every personal field reads as its placeholder (``[erased]``,
    None) and ``erased`` is set."""

    citizen_id: UUID
    name: str = ""
    birth_date: date | None = None
    registered_at: datetime | None = None
    plan_id: UUID | None = None
    consents: dict[UUID, Consent] = attrs.field(factory=dict)
    social_contact_person: Actor | None = None
    erased: bool = False

    def covering(
        self, sector: Sector, category: InformationCategory, at: datetime
    ) -> tuple[UUID, ...]:
        """The consents that let ``sector`` receive ``category`` at ``at``."""
        return tuple(c.consent_id for c in self.consents.values() if c.covers(sector, category, at))


class CitizenView(Fold[CitizenState]):
    """One row per citizen."""

    name: ClassVar[str] = "citizen"
    version: ClassVar[int] = 2
    state_type: ClassVar[type[Any]] = CitizenState

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        return (str(event.originator_id),) if self.handles(event) else ()

    def initial(self, key: str) -> CitizenState:
        return CitizenState(citizen_id=UUID(key))


_on = CitizenView.on


@_on(Citizen.Registered)
def _registered(state: CitizenState, e: Citizen.Registered) -> CitizenState:
    return replace(state, name=e.name, birth_date=e.birth_date, registered_at=e.effective_at)


@_on(Citizen.ConsentGranted)
def _granted(state: CitizenState, e: Citizen.ConsentGranted) -> CitizenState:
    consent = e.consent()
    return replace(state, consents={**state.consents, e.consent_id: consent})


@_on(Citizen.ConsentRevoked)
def _revoked(state: CitizenState, e: Citizen.ConsentRevoked) -> CitizenState:
    consent = state.consents.get(e.consent_id)
    if consent is None:
        return state
    revoked = consent.revoked(e.sectors, e.effective_at)
    return replace(state, consents={**state.consents, e.consent_id: revoked})


@_on(Citizen.SocialContactPersonRecorded)
def _contact(state: CitizenState, e: Citizen.SocialContactPersonRecorded) -> CitizenState:
    return replace(state, social_contact_person=e.contact_person)


@_on(Citizen.JoinedPlan)
def _joined(state: CitizenState, e: Citizen.JoinedPlan) -> CitizenState:
    return replace(state, plan_id=e.plan_id)


@_on(Citizen.LeftPlan)
def _left(state: CitizenState, e: Citizen.LeftPlan) -> CitizenState:
    return replace(state, plan_id=None)


@_on(Citizen.Erased)
def _erased(state: CitizenState, e: Citizen.Erased) -> CitizenState:
    return replace(state, erased=True, consents={}, social_contact_person=None)

"""The citizen as views need them: who they are, which plan they are in, their
consents (*samtykker*), which every sector view is filtered by at the time of reading,
and their own sector plans as case files (for retention)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

import attrs

from oneplan.aggregates.citizen import Citizen, Consent
from oneplan.aggregates.intervention import Intervention
from oneplan.projections.base import Fold, KeysOf, Route, no_keys, replace
from oneplan.trusted_events import uuid_text
from oneplan.values import Actor, InformationCategory, LegalBasis, Sector, SectorPlanRef

__all__ = ["CitizenState", "CitizenView", "SectorPlanRow"]


@attrs.frozen
class SectorPlanRow:
    """One of the citizen's own sector plans holding interventions outside any
    coordinated plan, as a case file: when each intervention finished (None: not yet),
    their legal bases and the sector plan's, and when it was delivered to the archive."""

    sector_plan: SectorPlanRef
    ended: dict[UUID, datetime | None]
    """Each intervention held under it, with when it finished (completed, stopped or
    cancelled), in the order proposed."""
    legal_bases: tuple[LegalBasis, ...]
    archived_at: datetime | None = None

    @property
    def running(self) -> tuple[UUID, ...]:
        """The interventions that have not finished."""
        return tuple(i for i, ended in self.ended.items() if ended is None)

    @property
    def closed_at(self) -> datetime | None:
        """When the last of its interventions finished; None while one runs."""
        ends = list(self.ended.values())
        if not ends or any(e is None for e in ends):
            return None
        return max(e for e in ends if e is not None)


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
    sector_plans: tuple[SectorPlanRow, ...] = ()
    """Their own sector plans that hold interventions, in the order first used."""

    def covering(
        self, sector: Sector, category: InformationCategory, at: datetime
    ) -> tuple[UUID, ...]:
        """The consents that let ``sector`` receive ``category`` at ``at``."""
        return tuple(c.consent_id for c in self.consents.values() if c.covers(sector, category, at))


class CitizenView(Fold[CitizenState]):
    """One row per citizen."""

    name: ClassVar[str] = "citizen"
    version: ClassVar[int] = 3
    """3: the citizen's sector plans, from their interventions."""
    state_type: ClassVar[type[Any]] = CitizenState

    def keys(self, event: Any, route: Route | None) -> tuple[str, ...]:
        if not self.handles(event):
            return ()
        if isinstance(event, Citizen.Event):
            return (uuid_text(event.originator_id),)
        if isinstance(event, Intervention.ProposedUnderSectorPlan):
            return (uuid_text(event.citizen_id),)
        if route is not None and route.plan_id is None and route.citizen_ids:
            return (uuid_text(route.citizen_ids[0]),)  # an intervention under a sector plan
        return ()

    def keys_for(self, event_class: type[Any]) -> KeysOf:
        """``keys``, with the branch for ``event_class`` taken once."""
        if type(self).keys is not CitizenView.keys or type(self).handles is not Fold.handles:
            return self.keys
        if event_class not in self._handlers:
            return no_keys
        if issubclass(event_class, Citizen.Event):
            return lambda event, route: (uuid_text(event.originator_id),)
        if issubclass(event_class, Intervention.ProposedUnderSectorPlan):
            return lambda event, route: (uuid_text(event.citizen_id),)
        return _under_own_sector_plan

    def initial(self, key: str) -> CitizenState:
        return CitizenState(citizen_id=UUID(key))


def _under_own_sector_plan(event: Any, route: Route | None) -> tuple[str, ...]:
    """The citizen of an intervention under their own sector plan (none in a plan)."""
    if route is not None and route.plan_id is None and route.citizen_ids:
        return (uuid_text(route.citizen_ids[0]),)
    return ()


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


@_on(Intervention.ProposedUnderSectorPlan)
def _under_sector_plan(
    state: CitizenState, e: Intervention.ProposedUnderSectorPlan
) -> CitizenState:
    rows = list(state.sector_plans)
    found = next((n for n, row in enumerate(rows) if row.sector_plan == e.sector_plan), None)
    if found is None:
        rows.append(SectorPlanRow(e.sector_plan, {}, (e.sector_plan.legal_basis,)))
        found = len(rows) - 1
    row = rows[found]
    bases = row.legal_bases
    rows[found] = attrs.evolve(
        row,
        ended={**row.ended, e.originator_id: None},
        legal_bases=bases if e.legal_basis in bases else (*bases, e.legal_basis),
    )
    return replace(state, sector_plans=tuple(rows))


@_on(Intervention.Completed, Intervention.Stopped, Intervention.Cancelled)
def _finished(state: CitizenState, e: Any) -> CitizenState:
    rows = tuple(
        attrs.evolve(row, ended={**row.ended, e.originator_id: e.effective_at})
        if e.originator_id in row.ended
        else row
        for row in state.sector_plans
    )
    return replace(state, sector_plans=rows)


@_on(Citizen.SectorPlanDeliveredToArchive)
def _sector_plan_archived(
    state: CitizenState, e: Citizen.SectorPlanDeliveredToArchive
) -> CitizenState:
    rows = tuple(
        attrs.evolve(row, archived_at=e.effective_at) if row.sector_plan == e.sector_plan else row
        for row in state.sector_plans
    )
    return replace(state, sector_plans=rows)

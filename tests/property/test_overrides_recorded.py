"""Random courses of consents (any sectors, any categories, granted and revoked) and
caseworkers added with and without an override: no override given is ever lost. Every
accepted command that gave one has recorded it, and while the caseworker takes part
their sector sees what it covers, each item naming the override or a consent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from oneplan import Actor, ActorKind, ConsentGiver, InformationCategory, Law, OnePlan, Sector
from oneplan.aggregates.plan import Plan
from oneplan.errors import OnePlanError
from oneplan.projections.sector_view import OVERRIDE_CATEGORIES
from oneplan.values import DisclosureBasis as Basis
from oneplan.values import LegalBasis, MeetingAttendee, Period
from tests.builders import acting, record
from tests.conftest import NOW, FixedClock

C = InformationCategory
LAWS = {
    Sector.EMPLOYMENT: Law.LAB,
    Sector.SOCIAL: Law.SEL,
    Sector.HEALTH: Law.SUL,
    Sector.CHILDREN_AND_FAMILY: Law.BL,
    Sector.EDUCATION: Law.STU,
    Sector.HOUSING: Law.ABL,
}
LEAD = Actor.caseworker("lead", Sector.EMPLOYMENT, Law.LAB, Law.SEL)
WORKERS = {s: Actor.caseworker(f"cw-{s.value}", s, law) for s, law in LAWS.items()}
KIND_NEEDS = {
    "goal": (C.GOALS,),
    "wishes": (C.GOALS,),
    "intervention": (C.INTERVENTIONS,),
    "meeting": (C.MEETING_DECISIONS,),
}
BASES = ("RSL § 11 c", "SEL § 49 b", "LAB § 30 b")
sectors = st.sampled_from(list(LAWS))
some_sectors = st.sets(sectors, min_size=1).map(lambda s: tuple(sorted(s)))
some_categories = st.sets(st.sampled_from(list(C)), min_size=1).map(lambda s: tuple(sorted(s)))


class Overrides(RuleBasedStateMachine):
    """One citizen's plan, coordinated by the employment sector, that sectors join."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(NOW)
        self.app = OnePlan.open("memory://", clock=self.clock)
        self.citizen: UUID | None = None
        self.plan_id: UUID | None = None
        self.consents: list[UUID] = []
        self.given: list[tuple[str, LegalBasis]] = []
        """Every override given in an accepted ``add_participant`` or hand-over:
        (caseworker, basis)."""

    def teardown(self) -> None:
        self.app.close()

    def _try(self, command: str, **fields: Any) -> Any:
        """``command`` sent by the plan's coordinator now (the lead before any hand-over)."""
        coordinator = record(self.app).plan(self.plan_id).coordinator if self.plan_id else None
        try:
            return getattr(acting(self.app, coordinator or LEAD), command)(**fields)
        except OnePlanError:
            return None

    @initialize(categories=some_categories)
    def open_plan(self, categories: tuple[C, ...]) -> None:
        for staff in (LEAD, *WORKERS.values()):
            acting(self.app, staff)
        self.citizen = acting(self.app, LEAD).register_citizen(
            name="Mette", birth_date=date(1980, 1, 1)
        )
        self.consents.append(self._grant((Sector.EMPLOYMENT,), categories))
        self.plan_id = acting(self.app, LEAD).open_plan(
            citizen_ids=[self.citizen],
            consent_ids=self.consents,
            legal_bases=["LAB § 30 b"],
            coordinator=LEAD,
        )
        goal = acting(self.app, LEAD).set_goal(plan_id=self.plan_id, description="in work")
        acting(self.app, LEAD).record_goal_progress(
            plan_id=self.plan_id, goal_id=goal, achievement="improving", note="a note"
        )
        acting(self.app, LEAD).hold_meeting(
            plan_id=self.plan_id,
            attendees=[MeetingAttendee(id=LEAD.id, sector=Sector.EMPLOYMENT)],
            decisions=["who does what"],
        )
        today = self.clock().date()
        for sector in (Sector.EMPLOYMENT, Sector.HEALTH):
            acting(self.app, LEAD).propose_intervention(
                plan_id=self.plan_id,
                citizen_id=self.citizen,
                sector=sector,
                legal_basis="LAB § 32" if sector is Sector.EMPLOYMENT else "SUL § 140",
                title=f"help from {sector.value}",
                responsible=WORKERS[sector],
                planned_period=Period(start=today, end=today + timedelta(days=200)),
                planned_cost="1000.00",
            )

    def _grant(self, to: tuple[Sector, ...], categories: tuple[C, ...]) -> UUID:
        today = self.clock().date()
        return acting(self.app, LEAD).grant_consent(
            given_how="in-meeting",
            citizen_id=self.citizen,
            recipient_sectors=to,
            categories=categories,
            purpose="one coordinated plan",
            period=Period(start=today, end=today + timedelta(days=365)),
            given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        )

    @rule(to=some_sectors, categories=some_categories)
    def grant_consent(self, to: tuple[Sector, ...], categories: tuple[C, ...]) -> None:
        self.consents.append(self._grant(to, categories))

    @rule(pick=st.integers(0, 20))
    def revoke_consent(self, pick: int) -> None:
        if len(self.consents) > 1:  # (the plan's own consent stays)
            consent = self.consents[1 + pick % (len(self.consents) - 1)]
            self._try(
                "revoke_consent",
                given_how="in-meeting",
                citizen_id=self.citizen,
                consent_id=consent,
                reason="changed my mind",
            )

    @rule(sector=sectors, basis=st.sampled_from((None, *BASES)))
    def add_participant(self, sector: Sector, basis: str | None) -> None:
        worker = WORKERS[sector]
        added = self._try(
            "add_participant",
            plan_id=self.plan_id,
            participant=worker,
            override_legal_basis=basis,
        )
        if added is not None and basis is not None:
            self.given.append((worker.id, LegalBasis.model_validate(basis)))

    @rule(sector=sectors, basis=st.sampled_from((None, *BASES)), back=st.booleans())
    def hand_over(self, sector: Sector, basis: str | None, back: bool) -> None:
        new = LEAD if back else WORKERS[sector]
        handed = self._try(
            "hand_over_coordinator",
            plan_id=self.plan_id,
            new_coordinator=new,
            reason="a new lead",
            override_legal_basis=basis,
        )
        if handed is not None and basis is not None:
            self.given.append((new.id, LegalBasis.model_validate(basis)))

    @rule(sector=sectors)
    def remove_participant(self, sector: Sector) -> None:
        self._try(
            "remove_participant",
            plan_id=self.plan_id,
            caseworker_id=WORKERS[sector].id,
            reason="done",
        )

    # --- what must always hold ---------------------------------------------------------

    @invariant()
    def no_override_given_is_lost(self) -> None:
        if self.plan_id is None:
            return
        recorded: list[tuple[str, LegalBasis]] = []
        for e in record(self.app).history(self.plan_id):
            if isinstance(e, Plan.ParticipantJoined) and e.shared_under_law is not None:
                recorded.append((e.participant.id, e.shared_under_law))
            if isinstance(e, Plan.CoordinatorHandedOver) and e.shared_under_law is not None:
                recorded.append((e.new_coordinator.id, e.shared_under_law))
        assert recorded == self.given

    @invariant()
    def a_participants_sector_sees_what_their_override_covers(self) -> None:
        if self.plan_id is None:
            return
        plan = record(self.app).plan(self.plan_id)
        self.app.views.catch_up()
        state = self.app._plan_state(self.plan_id, None)
        takers: list[tuple[Actor, LegalBasis | None]] = [
            (p.actor, p.shared_under_law) for p in plan.participants.values()
        ]
        assert plan.coordinator is not None
        takers.append((plan.coordinator, state.coordinator_shared_under_law))
        overrides = {(a.sector, law) for a, law in takers if law is not None}
        for taker, law in takers:
            view = acting(self.app, taker).sector_view(self.plan_id)
            if taker.id == plan.coordinator.id:
                assert view.coordinator_shared_under is not None
                assert view.coordinator_shared_under.legal_basis == law
            else:
                (own,) = [p for p in view.participants if p.actor.id == taker.id]
                assert own == state.participants[taker.id]
                assert own.shared_under_law == law
            if law is None:
                continue
            assert len(view.goals) == 1
            assert len(view.meetings) == 1
            assert Sector.EMPLOYMENT in {i.item.sector for i in view.interventions}
            for _, _, shown in view.shown():
                if shown.allowed_by.basis is Basis.LEGAL_BASIS:
                    assert (taker.sector, shown.allowed_by.legal_basis) in overrides

    @invariant()
    def an_override_shows_nothing_beyond_what_it_covers(self) -> None:
        if self.plan_id is None:
            return
        for sector in LAWS:
            view = acting(self.app, WORKERS[sector]).sector_view(self.plan_id)
            for kind, _, shown in view.shown():
                if shown.allowed_by.basis is Basis.LEGAL_BASIS:
                    assert kind in ("goal", "wishes", "intervention", "meeting"), kind
                    assert set(KIND_NEEDS[kind]) <= OVERRIDE_CATEGORIES
                    if kind == "intervention":
                        assert shown.item.sector is not Sector.HEALTH


Overrides.TestCase.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
TestOverrides = Overrides.TestCase

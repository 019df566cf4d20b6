"""Random courses of a household plan across every sector: after every step, no sector
view holds an item that no consent active at the time of reading (or the sector's own
record, or a recorded override) allows; views kept incrementally equal views rebuilt
from zero; an event delivered twice changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from oneplan import (
    Actor,
    ActorKind,
    ConsentGiver,
    InformationCategory,
    Law,
    OnePlan,
    Principal,
    Sector,
)
from oneplan.aggregates.access import items_shown
from oneplan.errors import OnePlanError
from oneplan.projections import MemoryViewStore, ProjectionRunner, SectorView, codec
from oneplan.values import DisclosureBasis as Basis
from oneplan.values import MeetingAttendee, Period
from tests.builders import acting, record
from tests.conftest import NOW, FixedClock

C = InformationCategory
SECTORS = list(Sector)
LAWS = {
    Sector.EMPLOYMENT: (Law.LAB, "LAB § 32"),
    Sector.SOCIAL: (Law.SEL, "SEL § 85"),
    Sector.HEALTH: (Law.SUL, "SUL § 140"),
    Sector.CHILDREN_AND_FAMILY: (Law.BL, "BL § 32"),
    Sector.EDUCATION: (Law.STU, "STU § 1"),
    Sector.HOUSING: (Law.ABL, "ABL § 59"),
}
WORKERS = {s: Actor.caseworker(f"cw-{s.value}", s, LAWS[s][0]) for s in SECTORS}
READERS = {s: Actor.caseworker(f"reader-{s.value}", s, LAWS[s][0]) for s in SECTORS}
CATEGORIES: dict[str, tuple[C, ...]] = {
    "coordinator": (C.CONTACT_DETAILS,),
    "wishes": (C.GOALS,),
    "goal": (C.GOALS,),
    "progress-note": (C.PROGRESS_NOTES,),
    "meeting": (C.MEETING_DECISIONS,),
    "withheld-intervention": (C.INTERVENTIONS,),
}
sectors = st.sampled_from(SECTORS)
some_sectors = st.sets(sectors, min_size=1).map(lambda s: tuple(sorted(s)))
some_categories = st.sets(st.sampled_from(list(C)), min_size=1).map(lambda s: tuple(sorted(s)))


class SectorViews(RuleBasedStateMachine):
    """A household plan (two citizens) that every sector writes to and reads."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(NOW)
        self.app = OnePlan.open("memory://", clock=self.clock)
        self.citizens: list[UUID] = []
        self.consents: dict[UUID, list[UUID]] = {}
        self.goals: list[UUID] = []
        self.interventions: list[UUID] = []
        self.plan_id: UUID | None = None

    def teardown(self) -> None:
        """At the end of every course: rebuilt equals incremental, and a redelivered
        event changes nothing (checked once per course: a rebuild folds the whole log)."""
        try:
            if self.plan_id is not None:
                self.views_kept_incrementally_equal_views_rebuilt_from_zero()
                self.an_event_delivered_twice_changes_nothing()
                self.every_row_reads_back_exactly()
        finally:
            self.app.close()

    def _try(self, command: str, by: Actor | Principal, **fields: Any) -> Any:
        try:
            return getattr(acting(self.app, by), command)(**fields)
        except OnePlanError:
            return None

    def _holder(self, sector: Sector) -> Actor:
        """Who of ``sector`` holds the plan (its coordinator, or a participant), to write
        as that sector; the coordinator if nobody of the sector does."""
        plan = record(self.app).plan(self.plan_id)  # type: ignore[arg-type]
        assert plan.coordinator is not None
        for who in (WORKERS[sector], READERS[sector]):
            if who.id == plan.coordinator.id or who.id in plan.participants:
                return who
        return plan.coordinator

    # --- the course --------------------------------------------------------------------

    @initialize(coordinator=sectors, categories=some_categories, others=some_sectors)
    def open_household_plan(
        self, coordinator: Sector, categories: tuple[C, ...], others: tuple[Sector, ...]
    ) -> None:
        lead = WORKERS[coordinator]
        for staff in (*WORKERS.values(), *READERS.values()):  # (in the directory first)
            acting(self.app, staff)
        for name in ("Mette", "Ole"):
            citizen = acting(self.app, lead).register_citizen(
                name=name, birth_date=date(1980, 1, 1)
            )
            self.citizens.append(citizen)
            self.consents[citizen] = [self._grant(citizen, (coordinator, *others), categories, 400)]
        self.plan_id = acting(self.app, lead).open_plan(
            citizen_ids=self.citizens,
            consent_ids=[self.consents[c][0] for c in self.citizens],
            legal_bases=["LAB § 30 b"],
            coordinator=lead,
        )

    def _grant(
        self, citizen: UUID, to: tuple[Sector, ...], categories: tuple[C, ...], days: int
    ) -> UUID:
        today = self.clock().date()
        return acting(self.app, WORKERS[Sector.SOCIAL]).grant_consent(  # type: ignore[no-any-return]
            given_how="in-meeting",
            citizen_id=citizen,
            recipient_sectors=to,
            categories=categories,
            purpose="one coordinated plan",
            period=Period(start=today, end=today + timedelta(days=days)),
            given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        )

    @rule(
        who=st.integers(0, 1), to=some_sectors, categories=some_categories, days=st.integers(0, 90)
    )
    def grant_consent(
        self, who: int, to: tuple[Sector, ...], categories: tuple[C, ...], days: int
    ) -> None:
        citizen = self.citizens[who]
        self.consents[citizen].append(self._grant(citizen, to, categories, days))

    @rule(who=st.integers(0, 1), pick=st.integers(0, 20), partly=some_sectors, whole=st.booleans())
    def revoke_consent(self, who: int, pick: int, partly: tuple[Sector, ...], whole: bool) -> None:
        citizen = self.citizens[who]
        consent = self.consents[citizen][pick % len(self.consents[citizen])]
        self._try(
            "revoke_consent",
            Principal.citizen(citizen),
            citizen_id=citizen,
            consent_id=consent,
            sectors=() if whole else partly,
            reason="changed my mind",
        )

    @rule(days=st.integers(1, 60))
    def time_passes(self, days: int) -> None:
        self.clock.now += timedelta(days=days)

    @rule(by=sectors, sub=st.booleans())
    def set_goal(self, by: Sector, sub: bool) -> None:
        goal = self._try(
            "set_goal",
            self._holder(by),
            plan_id=self.plan_id,
            parent_id=self.goals[-1] if sub and self.goals else None,
            description=f"a goal of {by.value}",
            due=self.clock().date() + timedelta(days=30),
        )
        if goal is not None:
            self.goals.append(goal)

    @rule(by=sectors, pick=st.integers(0, 20))
    def record_progress(self, by: Sector, pick: int) -> None:
        if self.goals:
            self._try(
                "record_goal_progress",
                self._holder(by),
                plan_id=self.plan_id,
                goal_id=self.goals[pick % len(self.goals)],
                achievement="improving",
                note=f"note by {by.value}",
            )

    @rule(sector=sectors, who=st.integers(0, 1), start=st.booleans())
    def propose_intervention(self, sector: Sector, who: int, start: bool) -> None:
        today = self.clock().date()
        intervention = self._try(
            "propose_intervention",
            self._holder(sector),
            plan_id=self.plan_id,
            citizen_id=self.citizens[who],
            sector=sector,
            legal_basis=LAWS[sector][1],
            title=f"help from {sector.value}",
            responsible=WORKERS[sector],
            planned_period=Period(start=today, end=today + timedelta(days=200)),
            planned_cost="1000.00",
        )
        if intervention is None:
            return
        self.interventions.append(intervention)
        if start:
            self._try("grant_intervention", WORKERS[sector], intervention_id=intervention)
            self._try("start_intervention", WORKERS[sector], intervention_id=intervention)

    @rule(pick=st.integers(0, 20))
    def pause_intervention(self, pick: int) -> None:
        if self.interventions:
            i = self.interventions[pick % len(self.interventions)]
            responsible = record(self.app).intervention(i).responsible
            self._try("pause_intervention", responsible, intervention_id=i, reason="ill")

    @rule(pick=st.integers(0, 20), amount=st.integers(1, 5000))
    def record_cost(self, pick: int, amount: int) -> None:
        if self.interventions:
            i = self.interventions[pick % len(self.interventions)]
            today = self.clock().date()
            self._try(
                "record_actual_cost",
                record(self.app).intervention(i).responsible,
                intervention_id=i,
                amount=str(amount),
                period=Period(start=today, end=today),
            )

    @rule(at=some_sectors)
    def hold_meeting(self, at: tuple[Sector, ...]) -> None:
        coordinator = record(self.app).plan(self.plan_id).coordinator  # type: ignore[arg-type]
        assert coordinator is not None
        self._try(
            "hold_meeting",
            coordinator,
            plan_id=self.plan_id,
            attendees=[MeetingAttendee(id=WORKERS[s].id, sector=s) for s in at],
            decisions=["who does what"],
        )

    @rule(sector=sectors, override=st.booleans(), co=st.booleans())
    def add_participant(self, sector: Sector, override: bool, co: bool) -> None:
        coordinator = record(self.app).plan(self.plan_id).coordinator  # type: ignore[arg-type]
        assert coordinator is not None
        self._try(
            "add_participant",
            coordinator,
            plan_id=self.plan_id,
            participant=READERS[sector],
            role="co-coordinator" if co else "caseworker",
            override_legal_basis="RSL § 11 c" if override else None,
        )

    @rule(to=sectors)
    def hand_over(self, to: Sector) -> None:
        plan = record(self.app).plan(self.plan_id)  # type: ignore[arg-type]
        if plan.coordinator is not None and plan.coordinator.id != WORKERS[to].id:
            self._try(
                "hand_over_coordinator",
                plan.coordinator,
                plan_id=self.plan_id,
                new_coordinator=WORKERS[to],
                reason="new lead",
            )

    # --- what must always hold ---------------------------------------------------------

    @invariant()
    def every_item_shown_is_allowed_at_the_time_of_reading(self) -> None:
        if self.plan_id is None:
            return
        plan = record(self.app).plan(self.plan_id)
        readers = [*READERS.values()]
        if plan.coordinator is not None:
            readers.append(plan.coordinator)
        for reader in readers:
            assert reader.sector is not None
            view = acting(self.app, reader).sector_view(self.plan_id, sector=reader.sector)
            self._check(view, reader)

    def _check(self, view: SectorView, reader: Actor) -> None:
        runs = view.items_shown()
        assert runs == items_shown(view.items())
        assert tuple(item for run in runs for item in run.items()) == view.items()
        plan = record(self.app).plan(view.plan_id)
        coordinating = (plan.coordinator is not None and plan.coordinator.id == reader.id) or any(
            p.actor.id == reader.id and p.role.value == "co-coordinator"
            for p in plan.participants.values()
        )
        for kind, item_id, shown in view.shown():
            allowed = shown.allowed_by
            about = tuple(plan.citizen_ids)
            needs = CATEGORIES.get(kind, ())
            if kind == "wishes":
                about = (UUID(item_id),)
            if kind == "intervention":
                item = record(self.app).intervention(UUID(item_id))
                about = (item.citizen_id,)
                needs = (C.INTERVENTIONS,) + ((C.HEALTH,) if item.sector is Sector.HEALTH else ())
                if "costs" not in shown.withheld and allowed.basis is Basis.CONSENT:
                    needs += (C.COSTS,)
                if allowed.basis is Basis.OWN_SECTOR:
                    assert item.sector is view.sector
                    assert allowed.legal_basis == item.legal_basis
                    continue
                assert item.sector is not view.sector
                if "costs" in shown.withheld:
                    assert shown.item.planned_cost is None
                    assert shown.item.costs == ()
            if kind == "withheld-intervention":
                about = (record(self.app).intervention(UUID(item_id)).citizen_id,)
            if allowed.basis is Basis.OWN_SECTOR:
                assert kind in ("coordinator", "goal", "progress-note", "meeting"), kind
                continue
            if allowed.basis is Basis.LEGAL_BASIS:
                assert set(needs) <= {C.GOALS, C.INTERVENTIONS, C.MEETING_DECISIONS}, kind
                assert any(
                    p.actor.sector is view.sector and p.shared_under_law == allowed.legal_basis
                    for p in plan.participants.values()
                ), kind
                continue
            for citizen_id in about:
                consents = record(self.app).citizen(citizen_id).consents
                for category in needs:
                    assert any(
                        (consent := consents.get(cid)) is not None
                        and consent.is_active_at(view.read_at)
                        and category in consent.categories
                        and (
                            view.sector in consent.recipient_sectors
                            or (coordinating and cid in plan.consent_ids)
                        )
                        for cid in allowed.consent_ids
                    ), (kind, item_id, category, citizen_id)

    def views_kept_incrementally_equal_views_rebuilt_from_zero(self) -> None:
        self.app.views.catch_up()
        rebuilt = ProjectionRunner(self.app, MemoryViewStore())
        rebuilt.rebuild()
        for name in rebuilt.versions:
            keys = self.app.views.keys(name)
            assert keys == rebuilt.keys(name)
            for key in keys:
                assert self.app.views.get(name, key) == rebuilt.get(name, key), (name, key)

    def an_event_delivered_twice_changes_nothing(self) -> None:
        self.app.views.catch_up()
        before = self._all_views()
        last = self.app.recorder.select_notifications(start=None, limit=10**9)[-5:]
        assert self.app.views.process(last) == 0
        assert self._all_views() == before

    def every_row_reads_back_exactly(self) -> None:
        """The trusted row codec (no validation) reads every stored row as the validating
        one does, and what it writes back reads the same again (the bytes of a set may
        come in another order)."""
        views = self.app.views
        for name in views.versions:
            state_type = views._projection(name).state_type
            for key, raw in views.store.read_prefix(name, ""):
                state = codec.loads(raw, state_type)
                assert state == codec.loads_validated(raw, state_type), (name, key)
                assert codec.loads(codec.dumps(state), state_type) == state, (name, key)

    def _all_views(self) -> dict[str, dict[str, Any]]:
        views = self.app.views
        return {n: {k: views.get(n, k) for k in views.keys(n)} for n in views.versions}


SectorViews.TestCase.settings = settings(stateful_step_count=30)
TestSectorViews = SectorViews.TestCase

"""A Hypothesis state machine of backdated courses (rule 15): every command is entered
after the fact, at a random effective time in the citizen's course, in any order.

After every step the stored log, folded **in effective time** (steps at the same time in
the order recorded), keeps rules 5, 6 and 8: each intervention's steps form a lawful
lifecycle (a pause has a reason, only a paused one resumes, nothing after an end, a
start after its grant); a start comes no earlier than what it waits for (the other's
end, start or cancellation); no sanction comes before the contact with the contact
person since that person was recorded and since the sanction before. These invariants
read the stored events only, never oneplan's own state.

The model says, for each command, whether the course would still keep those rules with
it: such a command must be accepted (what may still be entered after the fact), any
other refused with a ``RuleViolation`` and nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from oneplan import (
    Actor,
    Citizen,
    DependencyType,
    Intervention,
    InterventionOutcome,
    InterventionStatus,
    InvalidInput,
    Law,
    OnePlan,
    OnePlanError,
    OutOfOrderInEffectiveTime,
    RuleViolation,
    SanctionBackdatedBeforeSocialContact,
    Sector,
    StartBackdatedBeforeDependency,
)
from tests.builders import ANNE, LARS, PETER, acting, at, open_plan, propose, record
from tests.conftest import NOW, FixedClock

S = InterventionStatus
D = DependencyType
SARA = Actor.caseworker("sara", Sector.SOCIAL, Law.SEL)
PROPOSED_AT = at(2026, 1, 20)
BASE = at(2026, 2, 1)
Moment = tuple[bool, int, int]
MOMENTS: st.SearchStrategy[Moment] = st.tuples(
    st.integers(0, 3).map(lambda n: n == 0), st.integers(0, 8), st.integers(0, 1)
)
"""When a command is effective, on a coarse grid (days and half days) from the latest
step it meets: mostly after it (or at the same time), a quarter of the time before it
(backdated past it), so that steps meet at the same time and pass each other often."""
PICKS = st.integers(0, 99)
"""Which intervention a command is for: mostly one it fits (by the model), a quarter of
the time any (``BackdatedCourses._pick``)."""
KINDS = st.sampled_from((D.AFTER_END, D.AFTER, D.AFTER_START, D.CONCURRENT, D.BEFORE_START))
WAITING = (D.AFTER_END, D.AFTER, D.AFTER_START)
NOT_YET = (S.NOT_STARTED, S.SCHEDULED)
FINISHED = (S.COMPLETED, S.STOPPED, S.CANCELLED)
STARTED = (S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.STOPPED)


@dataclass
class InterventionModel:
    """What the record holds of one intervention, in the order recorded."""

    status: S = S.NOT_STARTED
    granted_at: datetime | None = None
    scheduled_start: date | None = None
    last_step_at: datetime | None = None
    latest_at: datetime = PROPOSED_AT
    """The latest event of any kind (what an end must follow)."""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    dependencies: dict[UUID, D] = field(default_factory=dict)


def waited_since(kind: D, other: InterventionModel) -> datetime | None:
    """When ``other`` reached what ``kind`` waits for (None: not yet), as the model
    reads rule 6: a cancelled one holds nothing back from its cancellation on."""
    if other.status is S.CANCELLED:
        return other.ended_at
    if kind is D.AFTER_START:
        return other.started_at
    if kind in (D.AFTER_END, D.AFTER) and other.status in (S.COMPLETED, S.STOPPED):
        return other.ended_at
    return None


def in_course_order(events: Iterable[Any]) -> list[Any]:
    """Events in effective time; at the same time, in the order recorded."""
    return sorted(events, key=lambda e: e.effective_at)


def randers_kept(steps: Iterable[tuple[str, datetime, str]]) -> bool:
    """Rule 8 in effective time, as the test reads it: (kind, time, ref) steps."""
    person: str | None = None
    contacted = False
    for kind, _, ref in sorted(steps, key=lambda s: s[1]):
        if kind == "person":
            person, contacted = ref, False
        elif kind == "contact":
            contacted = True
        else:
            if person is not None and not contacted:
                return False
            contacted = False
    return True


class BackdatedCourses(RuleBasedStateMachine):
    interventions = Bundle("interventions")

    def __init__(self) -> None:
        super().__init__()
        self.app = OnePlan.open("memory://", clock=FixedClock(NOW))
        for caseworker in (ANNE, LARS, PETER, SARA):
            acting(self.app, caseworker)
        self.plan, self.citizen = open_plan(self.app)
        self.models: dict[UUID, InterventionModel] = {}
        self.randers: list[tuple[str, datetime, str]] = []
        self.person: str | None = None
        self.starts_on = date(2026, 3, 1)
        self.refusals: dict[str, int] = {}

    def teardown(self) -> None:
        self.app.close()

    # --- running a command against the model ------------------------------------------

    def _events(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def _attempt(
        self,
        ok: bool,
        call: Callable[[], object],
        errors: tuple[type[OnePlanError], ...] = (RuleViolation,),
    ) -> bool:
        """Run ``call``: accepted when the model says ``ok``, else refused with one of
        ``errors`` (a rule's, by default) and nothing stored."""
        before = self._events()
        refusal: OnePlanError | None = None
        try:
            call()
        except OnePlanError as error:
            refusal = error
        if refusal is None:
            assert ok, "accepted, but it breaks the course"
            assert self._events() > before
            return True
        assert self._events() == before, f"refused ({refusal!r}) but stored events"
        assert not ok, f"refused, but the course allows it: {refusal!r}"
        assert isinstance(refusal, errors), repr(refusal)
        name = type(refusal).__name__
        self.refusals[name] = self.refusals.get(name, 0) + 1
        return False

    def _pick(self, pick: int, fits: Callable[[InterventionModel], bool]) -> UUID:
        everyone = list(self.models)
        fitting = [i for i in everyone if fits(self.models[i])]
        pool = fitting if fitting and pick % 4 else everyone
        return pool[pick // 4 % len(pool)]

    @staticmethod
    def _at(anchor: datetime, moment: Moment) -> datetime:
        """The effective time ``moment`` names from ``anchor``, within the course."""
        back, days, half = moment
        delta = timedelta(days=days, hours=12 * half)
        return max(PROPOSED_AT, min(anchor - delta if back else anchor + delta, NOW))

    def _when(self, intervention: UUID, moment: Moment) -> datetime:
        return self._at(self.models[intervention].latest_at, moment)

    def _randers_when(self, moment: Moment) -> datetime:
        return self._at(max((t for _, t, _ in self.randers), default=BASE), moment)

    def _in_order(self, model: InterventionModel, when: datetime) -> bool:
        return model.last_step_at is None or when >= model.last_step_at

    def _step(self, intervention: UUID, status: S, when: datetime) -> None:
        model = self.models[intervention]
        model.status = status
        model.last_step_at = when
        model.latest_at = max(model.latest_at, when)

    # --- interventions -------------------------------------------------------------------

    @initialize(target=interventions)
    def a_first_intervention(self) -> UUID:
        return self._propose()

    @precondition(lambda self: len(self.models) < 6)
    @rule(target=interventions, granted=st.booleans())
    def propose_intervention(self, granted: bool = False) -> UUID:
        return self._propose(granted)

    def _propose(self, granted: bool = False) -> UUID:
        """A proposed intervention; ``granted``: granted at once, at ``BASE`` (so that
        courses reach their starts, pauses and ends more often)."""
        intervention = propose(self.app, self.plan, self.citizen, effective_at=PROPOSED_AT)
        self.models[intervention] = model = InterventionModel()
        if granted:
            acting(self.app, LARS).grant_intervention(
                intervention_id=intervention, effective_at=BASE
            )
            model.granted_at = model.latest_at = BASE
        return intervention

    @rule(pick=PICKS, moment=MOMENTS)
    def grant(self, pick: int, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status in NOT_YET and m.granted_at is None)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        ok = model.status in NOT_YET and model.granted_at is None
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).grant_intervention(
                intervention_id=intervention, effective_at=when
            ),
        ):
            model.granted_at = when
            model.latest_at = max(model.latest_at, when)

    @rule(pick=PICKS, moment=MOMENTS)
    def schedule(self, pick: int, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status in NOT_YET)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        self.starts_on += timedelta(days=1)
        start_on = self.starts_on
        ok = model.status in NOT_YET and self._in_order(model, when)
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).schedule_intervention(
                intervention_id=intervention, start_on=start_on, effective_at=when
            ),
        ):
            self._step(intervention, S.SCHEDULED, when)

    @rule(pick=PICKS, moment=MOMENTS)
    def start(self, pick: int, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status in NOT_YET and m.granted_at is not None)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        waited = [waited_since(kind, self.models[o]) for o, kind in model.dependencies.items()]
        ok = (
            model.status in NOT_YET
            and model.granted_at is not None
            and when >= model.granted_at
            and self._in_order(model, when)
            and all(
                since is not None and since <= when
                for since, kind in zip(waited, model.dependencies.values(), strict=True)
                if kind in WAITING
            )
        )
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).start_intervention(
                intervention_id=intervention, effective_at=when
            ),
        ):
            self._step(intervention, S.IN_PROGRESS, when)
            model.started_at = when

    @rule(pick=PICKS, moment=MOMENTS)
    def pause(self, pick: int, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status is S.IN_PROGRESS)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        ok = model.status is S.IN_PROGRESS and self._in_order(model, when)
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).pause_intervention(
                intervention_id=intervention, reason="hospital stay", effective_at=when
            ),
        ):
            self._step(intervention, S.ON_HOLD, when)

    @rule(pick=PICKS, moment=MOMENTS)
    def resume(self, pick: int, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status is S.ON_HOLD)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        ok = model.status is S.ON_HOLD and self._in_order(model, when)
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).resume_intervention(
                intervention_id=intervention, effective_at=when
            ),
        ):
            self._step(intervention, S.IN_PROGRESS, when)

    @rule(pick=PICKS, moment=MOMENTS)
    def complete(self, pick: int, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status is S.IN_PROGRESS)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        ok = model.status is S.IN_PROGRESS and when >= model.latest_at
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).complete_intervention(
                intervention_id=intervention,
                outcome=InterventionOutcome.GOALS_MET,
                effective_at=when,
            ),
        ):
            self._step(intervention, S.COMPLETED, when)
            model.ended_at = when

    @rule(pick=PICKS, moment=MOMENTS)
    def stop(self, pick: int, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status in (S.IN_PROGRESS, S.ON_HOLD))
        model = self.models[intervention]
        when = self._when(intervention, moment)
        ok = model.status in (S.IN_PROGRESS, S.ON_HOLD) and when >= model.latest_at
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).stop_intervention(
                intervention_id=intervention, reason="moved away", effective_at=when
            ),
        ):
            self._step(intervention, S.STOPPED, when)
            model.ended_at = when

    @rule(pick=PICKS, moment=MOMENTS)
    def cancel(self, pick: int, moment: Moment) -> None:
        if pick % 3:
            return  # (a cancellation ends a course early: one in three draws)
        intervention = self._pick(pick, lambda m: m.status in NOT_YET)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        ok = model.status in NOT_YET and when >= model.latest_at
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).cancel_intervention(
                intervention_id=intervention, reason="not needed", effective_at=when
            ),
        ):
            self._step(intervention, S.CANCELLED, when)
            model.ended_at = when

    @rule(pick=PICKS, on=interventions, kind=KINDS, moment=MOMENTS)
    def add_dependency(self, pick: int, on: UUID, kind: D, moment: Moment) -> None:
        intervention = self._pick(pick, lambda m: m.status in NOT_YET)
        model = self.models[intervention]
        when = self._when(intervention, moment)
        ok = (
            model.status not in FINISHED
            and intervention != on
            and on not in model.dependencies
            and not (model.status in STARTED and kind in WAITING)
            and not (kind in WAITING and self._waits_for(on, intervention))
        )
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).add_dependency(
                intervention_id=intervention, on_intervention_id=on, type=kind, effective_at=when
            ),
            (RuleViolation, InvalidInput) if intervention == on else (RuleViolation,),
        ):
            model.dependencies[on] = kind
            model.latest_at = max(model.latest_at, when)

    def _waits_for(self, start: UUID, target: UUID) -> bool:
        seen: set[UUID] = set()
        frontier = [start]
        while frontier:
            current = frontier.pop()
            if current == target:
                return True
            if current not in seen:
                seen.add(current)
                frontier.extend(
                    o for o, k in self.models[current].dependencies.items() if k in WAITING
                )
        return False

    # --- the Randers rule ------------------------------------------------------------------

    @rule(who=st.sampled_from((LARS, SARA)), moment=MOMENTS)
    def record_contact_person(self, who: Actor, moment: Moment) -> None:
        when = self._randers_when(moment)
        ok = who.id != self.person and all(t <= when for _, t, _ in self.randers)
        if self._attempt(
            ok,
            lambda: acting(self.app, LARS).record_social_contact_person(
                citizen_id=self.citizen, contact_person=who.id, effective_at=when
            ),
        ):
            self.person = who.id
            self.randers.append(("person", when, who.id))

    @rule(moment=MOMENTS)
    def contact(self, moment: Moment) -> None:
        when = self._randers_when(moment)
        person = self.person
        ok = person is not None and all(
            t <= when for kind, t, _ in self.randers if kind == "person"
        )
        if self._attempt(
            ok,
            lambda: acting(self.app, PETER).record_social_contact_made(
                citizen_id=self.citizen, regarding="a planned sanction", effective_at=when
            ),
        ):
            assert person is not None
            self.randers.append(("contact", when, person))

    @rule(moment=MOMENTS)
    def sanction(self, moment: Moment) -> None:
        when = self._randers_when(moment)
        ok = randers_kept([*self.randers, ("sanction", when, "")])
        if self._attempt(
            ok,
            lambda: acting(self.app, PETER).impose_sanction(
                citizen_id=self.citizen,
                legal_basis="LAS § 36",
                reason="missed the job interview",
                effective_at=when,
            ),
        ):
            self.randers.append(("sanction", when, ""))

    # --- the rules, in effective time, on the stored log -----------------------------------

    def _history(self, aggregate_id: UUID) -> list[Any]:
        return record(self.app).history(aggregate_id)

    @invariant()
    def rule_5_each_intervention_has_a_lawful_course(self) -> None:
        for intervention in self.models:
            status = S.NOT_STARTED
            granted: datetime | None = None
            for event in in_course_order(self._history(intervention)):
                assert status not in FINISHED, f"{type(event).__name__} after the end"
                if isinstance(event, Intervention.Granted):
                    assert status in NOT_YET
                    granted = event.effective_at
                elif isinstance(event, Intervention.Scheduled):
                    assert status in NOT_YET
                    status = S.SCHEDULED
                elif isinstance(event, Intervention.Started):
                    assert status in NOT_YET
                    assert granted is not None, "started before its grant"
                    status = S.IN_PROGRESS
                elif isinstance(event, Intervention.Paused):
                    assert status is S.IN_PROGRESS
                    assert event.reason.strip()
                    status = S.ON_HOLD
                elif isinstance(event, Intervention.Resumed):
                    assert status is S.ON_HOLD, "resumed what was not paused"
                    status = S.IN_PROGRESS
                elif isinstance(event, Intervention.Completed):
                    assert status is S.IN_PROGRESS
                    status = S.COMPLETED
                elif isinstance(event, Intervention.Stopped):
                    assert status in (S.IN_PROGRESS, S.ON_HOLD)
                    status = S.STOPPED
                elif isinstance(event, Intervention.Cancelled):
                    assert status in NOT_YET
                    status = S.CANCELLED

    @invariant()
    def rule_6_no_start_before_what_it_waits_for(self) -> None:
        steps: dict[UUID, dict[str, datetime]] = {}
        waits: dict[UUID, dict[UUID, D]] = {}
        for intervention in self.models:
            steps[intervention] = {}
            waits[intervention] = {}
            for event in self._history(intervention):
                if isinstance(event, Intervention.DependencyAdded):
                    waits[intervention][event.on_intervention_id] = event.type
                else:
                    steps[intervention].setdefault(type(event).__name__, event.effective_at)
        for intervention, mine in steps.items():
            started = mine.get("Started")
            if started is None:
                continue
            for other, kind in waits[intervention].items():
                theirs = steps[other]
                if kind is D.AFTER_START:
                    reached = [theirs.get("Started"), theirs.get("Cancelled")]
                elif kind in (D.AFTER_END, D.AFTER):
                    reached = [theirs.get(s) for s in ("Completed", "Stopped", "Cancelled")]
                else:
                    continue
                assert any(t is not None and t <= started for t in reached), (
                    f"{intervention} started {started} before {other} allowed ({kind.value})"
                )

    @invariant()
    def rule_8_no_sanction_before_the_contact(self) -> None:
        steps: list[tuple[str, datetime, str]] = []
        for event in self._history(self.citizen):
            if isinstance(event, Citizen.SocialContactPersonRecorded):
                steps.append(("person", event.effective_at, event.contact_person.id))
            elif isinstance(event, Citizen.SocialContactPersonContacted):
                steps.append(("contact", event.effective_at, event.contact_person_id))
            elif isinstance(event, Citizen.SanctionImposed):
                steps.append(("sanction", event.effective_at, str(event.sanction_id)))
        assert randers_kept(steps)
        # (and the contacts are of the person recorded at their time)
        person: str | None = None
        for kind, _, ref in sorted(steps, key=lambda s: s[1]):
            if kind == "person":
                person = ref
            elif kind == "contact":
                assert ref == person


BackdatedCourses.TestCase.settings = settings(stateful_step_count=80)
TestBackdatedCourses = BackdatedCourses.TestCase


def test_the_machine_meets_each_typed_refusal_of_rule_15() -> None:
    """A hand-run course through the machine: its model and invariants see each typed
    refusal of rule 15 (the machine is not vacuous)."""
    machine = BackdatedCourses()
    try:
        first = cast(UUID, machine.a_first_intervention())
        second = cast(UUID, machine.propose_intervention())
        one, two = 1, 5  # (picks: the first, the second of those fitting)
        assert machine._pick(one, lambda m: True) == first
        assert machine._pick(two, lambda m: True) == second
        machine.grant(one, (False, 0, 0))  # (at its proposal, T)
        machine.grant(one, (False, 0, 0))  # (the second: the only one fitting now)
        machine.start(one, (False, 1, 0))  # T + 1 day
        machine.pause(one, (False, 2, 0))  # + 3
        machine.resume(one, (True, 1, 0))  # + 2: before its pause
        machine.resume(one, (False, 1, 0))  # + 4
        machine.add_dependency(one, first, D.AFTER_END, (False, 0, 0))  # second waits, T
        machine.complete(one, (False, 6, 0))  # + 10
        machine.start(one, (False, 5, 0))  # + 5: before the other ended
        machine.start(one, (False, 10, 0))  # + 10
        machine.record_contact_person(LARS, (False, 0, 0))  # (BASE)
        machine.contact((False, 10, 0))  # + 10
        machine.sanction((True, 5, 0))  # + 5: before the contact
        machine.sanction((False, 0, 0))  # + 10
        assert machine.models[second].started_at == PROPOSED_AT + timedelta(days=10)
        machine.rule_5_each_intervention_has_a_lawful_course()
        machine.rule_6_no_start_before_what_it_waits_for()
        machine.rule_8_no_sanction_before_the_contact()
    finally:
        machine.teardown()
    assert machine.refusals == {
        OutOfOrderInEffectiveTime.__name__: 1,
        StartBackdatedBeforeDependency.__name__: 1,
        SanctionBackdatedBeforeSocialContact.__name__: 1,
    }

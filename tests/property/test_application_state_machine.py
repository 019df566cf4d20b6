"""A Hypothesis state machine over the whole OnePlan application: every command.

Random courses of every command in ``oneplan.commands.COMMANDS`` (a test below fails when
a command has no rule here), valid and invalid, across several citizens (adults and a
son of 17), a household plan and single plans, interventions in plans and under the
citizens' own sector plans, consents, sanctions, benefits, archive delivery and
erasure, with the clock moving on by days and years. Encryption is on (fresh keys), so
erasure really destroys keys.

Unlike ``test_plan_and_intervention_state_machine`` (a precise model of what each plan
and intervention command should do), this machine keeps no model of the outcome: it
checks what must hold whatever happened.

- Every refusal is a ``OnePlanError`` (of the class the input makes certain, where it
  does) and stores nothing: the notification log's last id is unchanged.
- A command repeated with its ``command_id`` returns the first result and stores
  nothing; the id reused for another command is refused.
- After every step, DOMAIN.md's rules hold on the aggregates as the application reads
  them: one open plan per citizen, one coordinator, the plan and intervention state
  machines, a decision only under authority, consent behind every plan and every
  sharing, the Randers sanction rule, nothing recorded on an erased citizen's own record
  after the erasure, and the interventions under sector plans known to their
  citizen's record.
- Every ten steps and at the end: replay equals live (every aggregate read by a fresh
  application over the same store and key store equals the live one), and the views
  kept incrementally equal the views rebuilt from zero.

Run it long by hand: ``python scripts/soak_state_machines.py --machine whole`` (or
``HYPOTHESIS_PROFILE=soak pytest`` this file).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from oneplan import (
    Actor,
    ActorKind,
    Citizen,
    ConsentGiver,
    InformationCategory,
    Intervention,
    InterventionStatus,
    Keys,
    Law,
    OnePlan,
    OnePlanError,
    Plan,
    PlanStatus,
    Sector,
)
from oneplan import errors as e
from oneplan.aggregates.base import OnePlanAggregate
from oneplan.commands import COMMANDS
from oneplan.persistence import OnePlanMapper, env_for_url
from oneplan.privacy.retention import RetentionClass, RetentionPolicy
from oneplan.privacy.sealing import Sealer
from oneplan.projections import MemoryViewStore, ProjectionRunner
from oneplan.values import AchievementStatus, InterventionOutcome, PlanOutcome
from tests.builders import ANNE, HOUSING, KARIN, LARS, PETER, SOFIE, acting, record
from tests.conftest import NOW, FixedClock

S = InterventionStatus
UNKNOWN = UUID("00000000-0000-4000-8000-00000000dead")
MIA = Actor.caseworker("mia", Sector.EDUCATION, Law.STU, Law.FGU)
OLE = Actor.caseworker("ole", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.FGU)
CITIZEN = Actor(id="the-citizen", kind=ActorKind.CITIZEN)
GUARDIAN = Actor(id="the-guardian", kind=ActorKind.GUARDIAN)
CASEWORKERS = (ANNE, PETER, LARS, SOFIE, KARIN, HOUSING, MIA, OLE)
CASEWORKER_BY_SECTOR = {
    Sector.EMPLOYMENT: PETER,
    Sector.SOCIAL: LARS,
    Sector.HEALTH: SOFIE,
    Sector.CHILDREN_AND_FAMILY: KARIN,
    Sector.EDUCATION: MIA,
    Sector.HOUSING: HOUSING,
}
LEGAL_BASES = {
    Sector.EMPLOYMENT: "LAB § 32",
    Sector.SOCIAL: "SEL § 85",
    Sector.HEALTH: "SUL § 140",
    Sector.CHILDREN_AND_FAMILY: "BL § 32",
    Sector.EDUCATION: "STU § 2",
    Sector.HOUSING: "ABL § 59",
}
SECTOR_PLANS = ("employment:LAB § 30", "social:SEL § 141", "health:SUL § 140:H-1")
ZERO_YEARS = RetentionPolicy(dict.fromkeys(RetentionClass, 0))
"""Retention ends on the first of January after a case file closes: erasure is reached."""

FINISHED = (S.COMPLETED, S.STOPPED, S.CANCELLED)
NEXT: dict[S, tuple[S, ...]] = {
    S.NOT_STARTED: (S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED),
    S.SCHEDULED: (S.IN_PROGRESS, S.CANCELLED),
    S.IN_PROGRESS: (S.ON_HOLD, S.COMPLETED, S.STOPPED),
    S.ON_HOLD: (S.IN_PROGRESS, S.COMPLETED, S.STOPPED),
}
"""The intervention lifecycle (FHIR care-plan activity status; rule 5)."""
PLAN_NEXT: dict[PlanStatus, tuple[PlanStatus, ...]] = {
    PlanStatus.DRAFT: (PlanStatus.ACTIVE, PlanStatus.REVOKED, PlanStatus.ENTERED_IN_ERROR),
    PlanStatus.ACTIVE: (
        PlanStatus.ON_HOLD,
        PlanStatus.COMPLETED,
        PlanStatus.REVOKED,
        PlanStatus.ENTERED_IN_ERROR,
    ),
    PlanStatus.ON_HOLD: (
        PlanStatus.ACTIVE,
        PlanStatus.COMPLETED,
        PlanStatus.REVOKED,
        PlanStatus.ENTERED_IN_ERROR,
    ),
    PlanStatus.COMPLETED: (PlanStatus.ENTERED_IN_ERROR,),
    PlanStatus.REVOKED: (PlanStatus.ENTERED_IN_ERROR,),
}
"""The plan lifecycle (FHIR CarePlan.status): a closed plan may still be found to have
been entered in error (a correction); one entered in error never changes status."""
OPEN = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD)

PICK = st.integers(0, 1_000)


def bad(*kinds: str) -> st.SearchStrategy[str | None]:
    """Mostly a valid command (None), about one in six times one of ``kinds`` of bad input."""
    return st.one_of(st.none(), st.none(), st.none(), st.none(), st.none(), st.sampled_from(kinds))


def note(outcome: str) -> None:
    """Count an outcome in the statistics (``pytest --hypothesis-show-statistics``)."""
    with contextlib.suppress(InvalidArgument):  # (outside a test, as when replaying by hand)
        event(outcome)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def state_of(aggregate: OnePlanAggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


class SameStore(OnePlan):
    """A fresh application over the live one's in-memory store and key store: no cache,
    no folded state, nothing but what was stored."""

    def __init__(self, live: OnePlan) -> None:
        self._live_recorder = live.recorder
        super().__init__(env_for_url("memory://"), clock=live.clock, keys=live.keys)
        assert self.sealer is not None
        assert live.keys.master_key is not None
        self.sealer.store.close()
        self.sealer = Sealer(live.key_store, live.keys.master_key, self._first_event)
        cast(OnePlanMapper, self.mapper).sealer = self.sealer

    def construct_recorder(self) -> Any:
        return self._live_recorder


class WholeApplication(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(NOW)
        self.app = OnePlan(
            env_for_url("memory://"), clock=self.clock, keys=Keys.generate(), retention=ZERO_YEARS
        )
        self.citizens: list[UUID] = []
        self.consents: dict[UUID, list[UUID]] = {}
        self.plans: list[UUID] = []
        self.goals: list[tuple[UUID, UUID]] = []
        self.interventions: list[UUID] = []
        self.sent: list[tuple[str, dict[str, Any], Any]] = []
        """Commands accepted with a command id: (method, fields, result)."""
        self.seen_status: dict[UUID, tuple[S, int]] = {}
        self.seen_plan_status: dict[UUID, PlanStatus] = {}
        self.erased: set[UUID] = set()
        self.steps = 0
        self.ids = 0

    def teardown(self) -> None:
        try:
            if self.citizens:
                self.replay_equals_live()
                self.views_rebuilt_from_zero_equal_views_kept_incrementally()
        finally:
            self.app.close()

    # --- sending -----------------------------------------------------------------------

    def _head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def _command_id(self) -> UUID:
        self.ids += 1
        return UUID(int=(0xC0 << 96) | self.ids)

    def _send(
        self,
        method: str,
        fields: dict[str, Any],
        how: str | None = None,
        *,
        expect: type[OnePlanError] | None = None,
        text: str | None = None,
        target: str | None = None,
        caseworker: str = "actor",
    ) -> Any:
        """Send a command, made bad in the way ``how`` says (``expect``: the refusal that
        bad input makes certain; None: some typed refusal, or any outcome if valid)."""
        fields = dict(fields)
        refuse: type[OnePlanError] | None = expect
        if how == "unknown" and target is not None:
            fields[target], refuse = UNKNOWN, e.NotFound
        elif how == "blank" and text is not None:
            fields[text], refuse = " \t ", e.InvalidInput
        elif how == "future":
            fields["effective_at"], refuse = (
                self.clock() + timedelta(hours=2),
                e.EffectiveTimeInvalid,
            )
        elif how == "naive":
            fields["effective_at"], refuse = self.clock().replace(tzinfo=None), e.InvalidInput
        elif how == "extra":
            fields["colour"], refuse = "red", e.InvalidInput
        elif how == "long" and text is not None:
            fields[text], refuse = "x" * 2_001, e.InvalidInput
        elif how == "control" and text is not None:
            fields[text], refuse = "one\x00two", e.InvalidInput
        must_refuse = refuse is not None or how in ("past", "not-caseworker")
        if how == "past":
            fields["effective_at"] = datetime(1990, 1, 1, tzinfo=NOW.tzinfo)
        elif how == "not-caseworker":
            fields[caseworker] = CITIZEN
        if refuse is None and how is None and self.steps % 2:
            fields["command_id"] = self._command_id()
        before = self._head()
        refusal: OnePlanError | None = None
        try:
            result = getattr(self.app, method)(**fields)
        except OnePlanError as error:  # anything else fails the test
            refusal = error
        if refusal is not None:
            assert self._head() == before, f"{method} refused ({refusal!r}) but stored events"
            if refuse is not None:
                assert isinstance(refusal, refuse), f"{method}: {refusal!r}, expected {refuse}"
            note(f"{method}: refused ({type(refusal).__name__})")
            return None
        assert not must_refuse, f"{method} accepted bad input ({how}): {fields}"
        assert self._head() > before, f"{method} accepted but stored nothing"
        note(f"{method}: accepted")
        if "command_id" in fields:
            self.sent.append((method, fields, result))
        return result

    def _pick(self, items: list[Any], n: int) -> Any:
        return items[n % len(items)] if items else UNKNOWN

    def _today(self) -> date:
        return self.clock().date()

    def _latest_consent(self, citizen: UUID) -> UUID:
        return (self.consents.get(citizen) or [UNKNOWN])[-1]

    # --- the setting ---------------------------------------------------------------------

    def _register(self, name: str, born: date, cpr: str | None = None) -> UUID:
        citizen = self._send(
            "register_citizen",
            {"name": name, "birth_date": None if cpr else born, "cpr": cpr, "actor": ANNE},
        )
        assert citizen is not None
        self.citizens.append(citizen)
        self.consents[citizen] = []
        return cast(UUID, citizen)

    def _consent(self, citizen: UUID, *givers: ActorKind, sectors: tuple[Sector, ...]) -> UUID:
        consent = self._send(
            "grant_consent",
            {
                "citizen_id": citizen,
                "recipient_sectors": sectors,
                "categories": tuple(InformationCategory),
                "purpose": "one coordinated plan",
                "period": {"start": self._today(), "end": self._today() + timedelta(days=800)},
                "given_by": [ConsentGiver(kind=k) for k in givers],
                "actor": LARS,
            },
        )
        assert consent is not None
        self.consents[citizen].append(consent)
        return cast(UUID, consent)

    @initialize(household=st.booleans(), coordinator=st.sampled_from((LARS, ANNE, KARIN)))
    def a_household_and_a_citizen_with_a_sector_plan(
        self, household: bool, coordinator: Actor
    ) -> None:
        """A mother and her son of 17 (a household plan, or hers alone), and a man whose
        two efforts (job training, granted, and a mentor) are held under his job centre's
        own sector plan."""
        mother = self._register("Mette", date(1984, 5, 2), cpr="0205841234")
        son = self._register("Emil", date(2009, 3, 1))
        man = self._register("Ole", date(1971, 9, 30))
        everyone = tuple(Sector)
        self._consent(mother, ActorKind.CITIZEN, sectors=everyone)
        self._consent(son, ActorKind.CITIZEN, ActorKind.GUARDIAN, sectors=everyone)
        self._consent(man, ActorKind.CITIZEN, sectors=(Sector.EMPLOYMENT, Sector.SOCIAL))
        members = (mother, son) if household else (mother,)
        plan = self._send(
            "open_plan",
            {
                "citizen_ids": members,
                "consent_ids": [self._latest_consent(c) for c in members],
                "legal_bases": ["LAB § 30 b", "SEL § 141 stk. 7", "BL § 110"],
                "coordinator": coordinator,
                "actor": coordinator,
            },
        )
        assert plan is not None
        self.plans.append(plan)
        intervention = self._send(
            "propose_intervention_under_sector_plan",
            {
                "citizen_id": man,
                "sector_plan": SECTOR_PLANS[0],
                "legal_basis": "LAB § 32",
                "title": "Job training",
                "responsible": PETER,
                "planned_period": {"start": self._today()},
                "actor": PETER,
            },
        )
        assert intervention is not None
        self.interventions.append(intervention)
        self._send("grant_intervention", {"intervention_id": intervention, "actor": PETER})
        mentor = self._send(
            "propose_intervention_under_sector_plan",
            {
                "citizen_id": man,
                "sector_plan": SECTOR_PLANS[0],
                "legal_basis": "LAB § 31",
                "title": "Mentor",
                "responsible": PETER,
                "planned_period": {"start": self._today()},
                "actor": PETER,
            },
        )
        self.interventions.append(mentor)
        goal = self._send(
            "set_goal", {"plan_id": plan, "description": "Works 10 hours a week", "actor": ANNE}
        )
        self.goals.append((plan, goal))

    # --- time ------------------------------------------------------------------------

    @rule(days=st.sampled_from((1, 30, 400, 400)))
    def time_passes(self, days: int) -> None:
        self.clock.now += timedelta(days=days)

    # --- the citizen -----------------------------------------------------------------

    @precondition(lambda self: len(self.citizens) < 6)
    @rule(
        name=st.sampled_from(("Sara", "  Jens  ", "Åse Øster")),
        born=st.sampled_from((date(1990, 1, 1), date(2008, 6, 1), date(2015, 2, 2))),
        cpr=st.sampled_from((None, None, "0205841234", "1503901111", "0106104321")),
        how=bad("blank", "no-birth-date", "id-in-use", "future", "extra", "control", "long"),
    )
    def register_citizen(self, name: str, born: date, cpr: str | None, how: str | None) -> None:
        fields: dict[str, Any] = {"name": name, "birth_date": born, "cpr": cpr, "actor": ANNE}
        expect: type[OnePlanError] | None = None
        if how == "no-birth-date":
            fields.update(birth_date=None, cpr=None)
            expect = e.InvalidInput
        elif how == "id-in-use":
            fields["citizen_id"] = self.citizens[0]
            expect = e.InvalidInput
        citizen = self._send("register_citizen", fields, how, expect=expect, text="name")
        if citizen is not None:
            self.citizens.append(citizen)
            self.consents[citizen] = []

    @rule(
        who=PICK,
        sectors=st.sets(st.sampled_from(list(Sector)), min_size=1).map(sorted),
        givers=st.sampled_from(
            ((ActorKind.CITIZEN,), (ActorKind.GUARDIAN,), (ActorKind.CITIZEN, ActorKind.GUARDIAN))
        ),
        days=st.sampled_from((0, 30, 800)),
        how=bad("unknown", "blank", "no-sectors", "caseworker-gives", "ends-first", "past"),
    )
    def grant_consent(
        self,
        who: int,
        sectors: list[Sector],
        givers: tuple[ActorKind, ...],
        days: int,
        how: str | None,
    ) -> None:
        citizen = self._pick(self.citizens, who)
        period = {"start": self._today(), "end": self._today() + timedelta(days=days)}
        fields: dict[str, Any] = {
            "citizen_id": citizen,
            "recipient_sectors": sectors,
            "categories": tuple(InformationCategory),
            "purpose": "one coordinated plan",
            "period": period,
            "given_by": [ConsentGiver(kind=k) for k in givers],
            "actor": LARS,
        }
        expect: type[OnePlanError] | None = None
        if how == "no-sectors":
            fields["recipient_sectors"], expect = (), e.InvalidInput
        elif how == "caseworker-gives":
            fields["given_by"], expect = [{"kind": "caseworker"}], e.InvalidInput
        elif how == "ends-first":
            period["end"], expect = self._today() - timedelta(days=1), e.InvalidInput
        consent = self._send(
            "grant_consent", fields, how, expect=expect, text="purpose", target="citizen_id"
        )
        if consent is not None:
            self.consents[citizen].append(consent)

    @rule(
        who=PICK,
        which=PICK,
        sectors=st.sampled_from(((), (Sector.HEALTH,), (Sector.EMPLOYMENT, Sector.SOCIAL))),
        how=bad("unknown", "other-citizens", "long", "future"),
    )
    def revoke_consent(
        self, who: int, which: int, sectors: tuple[Sector, ...], how: str | None
    ) -> None:
        citizen = self._pick(self.citizens, who)
        consent = self._pick(self.consents.get(citizen, []), which)
        expect: type[OnePlanError] | None = e.ConsentNotFound if consent == UNKNOWN else None
        if how == "other-citizens":
            others = [
                c for other in self.citizens if other != citizen for c in self.consents[other]
            ]
            if others:
                consent, expect = self._pick(others, which), e.NotFound
        fields = {
            "citizen_id": citizen,
            "consent_id": consent,
            "sectors": sectors,
            "reason": "changed my mind",
            "actor": CITIZEN,
        }
        self._send("revoke_consent", fields, how, expect=expect, text="reason", target="consent_id")

    @rule(who=PICK, contact=st.sampled_from((LARS, LARS, PETER)), how=bad("unknown", "future"))
    def record_social_contact_person(self, who: int, contact: Actor, how: str | None) -> None:
        fields = {
            "citizen_id": self._pick(self.citizens, who),
            "contact_person": contact,
            "actor": LARS,
        }
        expect = e.InvalidInput if contact is not LARS else None
        self._send("record_social_contact_person", fields, how, expect=expect, target="citizen_id")

    @rule(who=PICK, by=st.sampled_from((PETER, ANNE, LARS)), how=bad("unknown", "blank"))
    def record_social_contact_made(self, who: int, by: Actor, how: str | None) -> None:
        known = [c for c in self.citizens if record(self.app).citizen(c).social_contact_person]
        fields = {
            "citizen_id": self._pick(known if known and who % 4 != 3 else self.citizens, who // 4),
            "regarding": "a sanction of kontanthjælp",
            "actor": by,
        }
        self._send("record_social_contact_made", fields, how, text="regarding", target="citizen_id")

    @rule(
        who=PICK,
        by=st.sampled_from((PETER, PETER, ANNE, LARS)),
        law=st.sampled_from(("LAS § 36", "LAB § 32", "SEL § 85")),
        how=bad("unknown", "blank", "not-caseworker"),
    )
    def impose_sanction(self, who: int, by: Actor, law: str, how: str | None) -> None:
        fields = {
            "citizen_id": self._pick(self.citizens, who),
            "legal_basis": law,
            "reason": "missed three meetings",
            "actor": by,
        }
        expect = e.AuthorityMissing if by is LARS or law.startswith("SEL") else None
        self._send(
            "impose_sanction", fields, how, expect=expect, text="reason", target="citizen_id"
        )

    @rule(
        who=PICK,
        amount=st.sampled_from(("11902.00", "0", "0.01")),
        how=bad("unknown", "negative", "float", "absurd", "period-open", "wrong-sector"),
    )
    def record_benefit_paid(self, who: int, amount: str, how: str | None) -> None:
        month = self._today().replace(day=1) - timedelta(days=31)
        fields: dict[str, Any] = {
            "citizen_id": self._pick(self.citizens, who),
            "sector": Sector.EMPLOYMENT,
            "legal_basis": "LAS § 25",
            "amount": amount,
            "period": {"start": month, "end": month + timedelta(days=27)},
            "actor": PETER,
        }
        expect: type[OnePlanError] | None = None
        if how == "negative":
            fields["amount"], expect = "-100.00", e.InvalidInput
        elif how == "float":
            fields["amount"], expect = 100.5, e.InvalidInput
        elif how == "absurd":
            fields["amount"], expect = "1e30", e.InvalidInput
        elif how == "period-open":
            fields["period"], expect = {"start": month}, e.InvalidInput
        elif how == "wrong-sector":
            fields["sector"], expect = Sector.HEALTH, e.LegalBasisOutsideSector
        self._send("record_benefit_paid", fields, how, expect=expect, target="citizen_id")

    @rule(who=PICK, outcome=st.sampled_from(list(PlanOutcome)), how=bad("unknown", "extra"))
    def record_outcome(self, who: int, outcome: PlanOutcome, how: str | None) -> None:
        fields = {"citizen_id": self._pick(self.citizens, who), "outcome": outcome, "actor": ANNE}
        self._send("record_outcome", fields, how, target="citizen_id")

    @rule(
        who=PICK,
        legal_basis=st.sampled_from((None, None, "RSL § 12")),
        how=bad("unknown", "blank", "not-caseworker"),
    )
    def erase_citizen(self, who: int, legal_basis: str | None, how: str | None) -> None:
        free = [c for c in self.citizens if record(self.app).citizen(c).plan_id is None]
        citizen = self._pick(free if free and who % 4 != 3 else self.citizens, who // 4)
        fields = {
            "citizen_id": citizen,
            "legal_basis": legal_basis,
            "reason": "retention ended",
            "actor": ANNE,
        }
        expect = e.CitizenErased if citizen in self.erased and how is None else None
        if self._send(
            "erase_citizen", fields, how, expect=expect, text="reason", target="citizen_id"
        ):
            self.erased.add(citizen)

    # --- the plan ------------------------------------------------------------------------

    @precondition(lambda self: len(self.plans) < 5)
    @rule(
        who=st.lists(PICK, min_size=1, max_size=2),
        coordinator=st.sampled_from((None, LARS, ANNE, SOFIE, HOUSING)),
        replaces=st.sampled_from(((), (SECTOR_PLANS[0],), (SECTOR_PLANS[1], SECTOR_PLANS[2]))),
        how=bad("unknown", "no-consent", "other-consent", "no-law", "future"),
    )
    def open_plan(
        self, who: list[int], coordinator: Actor | None, replaces: tuple[str, ...], how: str | None
    ) -> None:
        members = list(dict.fromkeys(self._pick(self.citizens, n) for n in who))
        fields: dict[str, Any] = {
            "citizen_ids": members,
            "consent_ids": [self._latest_consent(c) for c in members],
            "legal_bases": ["LAB § 30 b"],
            "replaces": replaces,
            "coordinator": coordinator,
            "actor": coordinator or ANNE,
        }
        expect: type[OnePlanError] | None = None
        if how == "unknown":
            fields["citizen_ids"], expect = [*members, UNKNOWN], e.CitizenNotFound
        elif how == "no-consent":
            fields["consent_ids"], expect = [], e.InvalidInput
        elif how == "other-consent":
            fields["consent_ids"], expect = [UNKNOWN], e.ConsentMissing
        elif how == "no-law":
            fields["legal_bases"], expect = ["LAB § 0 x y"], e.InvalidInput
        plan = self._send("open_plan", fields, how if how == "future" else None, expect=expect)
        if plan is not None:
            self.plans.append(plan)

    def _plan_fields(self, n: int, **fields: Any) -> dict[str, Any]:
        return {"plan_id": self._pick(self.plans, n), **fields}

    def _coordinator_of(self, plan_id: UUID) -> Actor:
        try:
            plan = record(self.app).plan(plan_id)
        except OnePlanError:
            return ANNE
        return plan.coordinator or ANNE

    @rule(
        plan=PICK,
        who=PICK,
        kind=st.sampled_from(("work", "education", "partial-self-support")),
        how=bad("unknown", "blank", "control"),
    )
    def record_citizens_wishes(self, plan: int, who: int, kind: str, how: str | None) -> None:
        fields = self._plan_fields(
            plan,
            citizen_id=self._pick(self.citizens, who),
            wishes="I want to work with animals",
            overarching_goal={"kind": kind},
            actor=ANNE,
        )
        self._send("record_citizens_wishes", fields, how, text="wishes", target="plan_id")

    @rule(
        plan=PICK,
        coordinator=st.sampled_from(CASEWORKERS),
        override=st.booleans(),
        how=bad("unknown", "not-caseworker", "future"),
    )
    def assign_coordinator(
        self, plan: int, coordinator: Actor, override: bool, how: str | None
    ) -> None:
        fields = self._plan_fields(
            plan,
            coordinator=coordinator,
            override_legal_basis="RSL § 11 c" if override else None,
            actor=coordinator,
        )
        self._send("assign_coordinator", fields, how, target="plan_id", caseworker="coordinator")

    @rule(
        plan=PICK,
        to=st.sampled_from(CASEWORKERS),
        stays=st.sampled_from((None, "advisory-partner", "co-coordinator")),
        how=bad("unknown", "blank", "long", "not-caseworker"),
    )
    def hand_over_coordinator(
        self, plan: int, to: Actor, stays: str | None, how: str | None
    ) -> None:
        fields = self._plan_fields(
            plan,
            new_coordinator=to,
            reason="moves to another team",
            previous_stays_as=stays,
            actor=self._coordinator_of(self._pick(self.plans, plan)),
        )
        self._send(
            "hand_over_coordinator",
            fields,
            how,
            text="reason",
            target="plan_id",
            caseworker="new_coordinator",
        )

    @rule(
        plan=PICK,
        who=st.sampled_from(CASEWORKERS),
        role=st.sampled_from(("caseworker", "advisory-partner", "co-coordinator")),
        override=st.booleans(),
        how=bad("unknown", "not-caseworker", "extra"),
    )
    def add_participant(
        self, plan: int, who: Actor, role: str, override: bool, how: str | None
    ) -> None:
        fields = self._plan_fields(
            plan,
            participant=who,
            role=role,
            override_legal_basis="RSL § 11 c" if override else None,
            actor=self._coordinator_of(self._pick(self.plans, plan)),
        )
        self._send("add_participant", fields, how, target="plan_id", caseworker="participant")

    @rule(plan=PICK, who=st.sampled_from(CASEWORKERS), how=bad("unknown", "blank"))
    def remove_participant(self, plan: int, who: Actor, how: str | None) -> None:
        fields = self._plan_fields(
            plan, caseworker_id=who.id, reason="no longer involved", actor=ANNE
        )
        self._send("remove_participant", fields, how, text="reason", target="plan_id")

    @rule(
        plan=PICK,
        parent=st.one_of(st.none(), PICK),
        due=st.sampled_from((None, 30, 365, -10)),
        how=bad("unknown", "blank", "long", "control", "far-future"),
    )
    def set_goal(self, plan: int, parent: int | None, due: int | None, how: str | None) -> None:
        plan_id = self._pick(self.plans, plan)
        parents = [g for p, g in self.goals if p == plan_id]
        fields = {
            "plan_id": plan_id,
            "parent_id": self._pick(parents, parent) if parent is not None and parents else None,
            "description": "Takes the bus alone to job training",
            "target": {"measure": "trips alone a week", "value": "3"},
            "due": self._today() + timedelta(days=due) if due is not None else None,
            "actor": ANNE,
        }
        expect: type[OnePlanError] | None = None
        if how == "far-future":
            fields["due"] = date(9999, 12, 31)  # allowed: a far due date is no error
        goal = self._send(
            "set_goal", fields, how, expect=expect, text="description", target="plan_id"
        )
        if goal is not None:
            self.goals.append((plan_id, goal))

    def _goal_fields(self, n: int, how: str | None, **fields: Any) -> dict[str, Any]:
        plan_id, goal_id = self.goals[n % len(self.goals)] if self.goals else (UNKNOWN, UNKNOWN)
        if how == "wrong-goal":
            goal_id = UNKNOWN
        return {"plan_id": plan_id, "goal_id": goal_id, "actor": ANNE, **fields}

    @rule(
        goal=PICK,
        status=st.sampled_from((None, "on-hold", "active", "accepted")),
        how=bad("wrong-goal", "blank", "nothing-revised"),
    )
    def revise_goal(self, goal: int, status: str | None, how: str | None) -> None:
        fields = self._goal_fields(
            goal, how, reason="the citizen asked", status=status, due=self._today()
        )
        expect: type[OnePlanError] | None = None
        if how == "wrong-goal":
            expect = e.OnePlanError  # GoalNotFound, or the plan refuses first
        self._send("revise_goal", fields, how, expect=expect, text="reason")

    @rule(
        goal=PICK,
        achievement=st.sampled_from(list(AchievementStatus)),
        value=st.sampled_from((None, "2", "-1", "1e13")),
        how=bad("wrong-goal", "long", "nan"),
    )
    def record_goal_progress(
        self, goal: int, achievement: AchievementStatus, value: str | None, how: str | None
    ) -> None:
        fields = self._goal_fields(
            goal, how, achievement=achievement, measured_value=value, note="better"
        )
        expect: type[OnePlanError] | None = e.OnePlanError if how == "wrong-goal" else None
        if how == "nan":
            fields["measured_value"], expect = "NaN", e.InvalidInput
        self._send("record_goal_progress", fields, how, expect=expect, text="note")

    @rule(goal=PICK, achievement=st.sampled_from(list(AchievementStatus)), how=bad("wrong-goal"))
    def complete_goal(self, goal: int, achievement: AchievementStatus, how: str | None) -> None:
        fields = self._goal_fields(goal, how, achievement=achievement)
        self._send("complete_goal", fields, expect=e.OnePlanError if how else None)

    @rule(goal=PICK, how=bad("wrong-goal", "blank"))
    def cancel_goal(self, goal: int, how: str | None) -> None:
        fields = self._goal_fields(goal, how, reason="no longer wanted")
        expect = e.OnePlanError if how == "wrong-goal" else None
        self._send("cancel_goal", fields, how, expect=expect, text="reason")

    @rule(
        plan=PICK,
        responsible=st.one_of(st.none(), st.tuples(PICK, st.sampled_from(CASEWORKERS))),
        next_meeting=st.sampled_from((None, 14)),
        how=bad("unknown", "no-attendees", "blank-decision", "unknown-intervention"),
    )
    def hold_meeting(
        self,
        plan: int,
        responsible: tuple[int, Actor] | None,
        next_meeting: int | None,
        how: str | None,
    ) -> None:
        plan_id = self._pick(self.plans, plan)
        responsibilities = []
        if responsible is not None and self.interventions:
            n, caseworker = responsible
            intervention = UNKNOWN if how == "unknown-intervention" else None
            responsibilities.append(
                {
                    "intervention_id": intervention or self._pick(self.interventions, n),
                    "caseworker": caseworker,
                }
            )
        coordinator = self._coordinator_of(plan_id)
        fields: dict[str, Any] = {
            "plan_id": plan_id,
            "attendees": [{"id": coordinator.id, "sector": coordinator.sector}, {"id": "mette"}],
            "decisions": ["the job centre starts job training"],
            "responsibilities": responsibilities,
            "next_meeting": self._today() + timedelta(days=next_meeting) if next_meeting else None,
            "actor": coordinator,
        }
        expect: type[OnePlanError] | None = None
        if how == "no-attendees":
            fields["attendees"], expect = [], e.InvalidInput
        elif how == "blank-decision":
            fields["decisions"], expect = ["  "], e.InvalidInput
        elif how == "unknown-intervention" and responsibilities:
            expect = e.OnePlanError  # (not in the plan: refused before it is looked up)
        self._send("hold_meeting", fields, how, expect=expect, target="plan_id")

    @rule(
        plan=PICK,
        channel=st.sampled_from(("digital-post", "letter", "in-person")),
        how=bad("unknown"),
    )
    def deliver_plan(self, plan: int, channel: str, how: str | None) -> None:
        fields = self._plan_fields(plan, channel=channel, actor=ANNE)
        self._send("deliver_plan", fields, how, target="plan_id")

    @rule(plan=PICK, how=bad("unknown", "blank", "long"))
    def deliver_to_archive(self, plan: int, how: str | None) -> None:
        fields = self._plan_fields(plan, archive="Rigsarkivet", reference="AV-2026-1", actor=ANNE)
        self._send("deliver_to_archive", fields, how, text="archive", target="plan_id")

    @rule(who=PICK, which=PICK, how=bad("unknown", "blank", "not-caseworker"))
    def deliver_sector_plan_to_archive(self, who: int, which: int, how: str | None) -> None:
        files = [
            (c, str(f)) for c in self.citizens for f in record(self.app).citizen(c).sector_plans
        ]
        citizen, sector_plan = (
            self._pick(files, which // 4)
            if files and which % 4 != 3
            else (self._pick(self.citizens, who), self._pick(list(SECTOR_PLANS), which))
        )
        fields = {
            "citizen_id": citizen,
            "sector_plan": sector_plan,
            "archive": "Rigsarkivet",
            "reference": "AV-2026-2",
            "actor": PETER,
        }
        self._send(
            "deliver_sector_plan_to_archive", fields, how, text="reference", target="citizen_id"
        )

    @rule(plan=PICK, how=bad("unknown", "blank"))
    def put_plan_on_hold(self, plan: int, how: str | None) -> None:
        fields = self._plan_fields(plan, reason="the citizen is in hospital", actor=ANNE)
        self._send("put_plan_on_hold", fields, how, text="reason", target="plan_id")

    @rule(plan=PICK, how=bad("unknown", "future"))
    def resume_plan(self, plan: int, how: str | None) -> None:
        on_hold = [p for p in self.plans if record(self.app).plan(p).status is PlanStatus.ON_HOLD]
        fields = {
            "plan_id": self._pick(on_hold if on_hold and plan % 4 != 3 else self.plans, plan // 4)
        }
        self._send("resume_plan", {**fields, "actor": ANNE}, how, target="plan_id")

    @rule(plan=PICK, outcome=st.sampled_from(list(PlanOutcome)), how=bad("unknown", "extra"))
    def complete_plan(self, plan: int, outcome: PlanOutcome, how: str | None) -> None:
        fields = self._plan_fields(plan, outcome=outcome, actor=ANNE)
        self._send("complete_plan", fields, how, target="plan_id")

    @rule(plan=PICK, how=bad("unknown", "long"))
    def withdraw_plan(self, plan: int, how: str | None) -> None:
        fields = self._plan_fields(plan, reason="I do not want it", actor=CITIZEN)
        self._send("withdraw_plan", fields, how, text="reason", target="plan_id")

    @rule(plan=PICK, how=bad("unknown", "blank"))
    def enter_plan_in_error(self, plan: int, how: str | None) -> None:
        fields = self._plan_fields(plan, reason="opened for the wrong citizen", actor=ANNE)
        self._send("enter_plan_in_error", fields, how, text="reason", target="plan_id")

    # --- interventions -------------------------------------------------------------------

    @precondition(lambda self: len(self.interventions) < 10)
    @rule(
        plan=PICK,
        who=PICK,
        sector=st.sampled_from(list(Sector)),
        mismatched=st.booleans(),
        cost=st.sampled_from(("0", "1250.50", "99999999.99")),
        how=bad("unknown", "blank", "not-caseworker", "negative-cost", "period-backwards"),
    )
    def propose_intervention(
        self, plan: int, who: int, sector: Sector, mismatched: bool, cost: str, how: str | None
    ) -> None:
        plan_id = self._pick(self.plans, plan)
        goals = [g for p, g in self.goals if p == plan_id][:2]
        members = self._members(plan_id)
        legal_basis = LEGAL_BASES[Sector.HEALTH if mismatched else sector]
        fields: dict[str, Any] = {
            "plan_id": plan_id,
            "citizen_id": self._pick(members or self.citizens, who),
            "sector": sector,
            "legal_basis": legal_basis,
            "title": "Support contact person",
            "goal_ids": goals,
            "responsible": CASEWORKER_BY_SECTOR[sector],
            "planned_period": {"start": self._today(), "end": self._today() + timedelta(days=90)},
            "planned_cost": cost,
            "actor": self._coordinator_of(plan_id),
        }
        expect: type[OnePlanError] | None = None
        if how == "negative-cost":
            fields["planned_cost"], expect = "-1", e.InvalidInput
        elif how == "period-backwards":
            fields["planned_period"] = {"start": self._today(), "end": date(1999, 1, 1)}
            expect = e.InvalidInput
        intervention = self._send(
            "propose_intervention",
            fields,
            how,
            expect=expect,
            text="title",
            target="plan_id",
            caseworker="responsible",
        )
        if intervention is not None:
            self.interventions.append(intervention)

    def _members(self, plan_id: UUID) -> list[UUID]:
        try:
            return list(record(self.app).plan(plan_id).citizen_ids)
        except OnePlanError:
            return []

    @precondition(lambda self: len(self.interventions) < 10)
    @rule(
        who=PICK,
        which=st.integers(0, len(SECTOR_PLANS) - 1),
        how=bad("unknown", "blank", "not-caseworker", "wrong-law"),
    )
    def propose_intervention_under_sector_plan(self, who: int, which: int, how: str | None) -> None:
        sector_plan = SECTOR_PLANS[which]
        sector = Sector(sector_plan.split(":")[0])
        fields: dict[str, Any] = {
            "citizen_id": self._pick(self.citizens, who),
            "sector_plan": sector_plan,
            "legal_basis": LEGAL_BASES[sector],
            "title": "Physiotherapy" if sector is Sector.HEALTH else "Support",
            "responsible": CASEWORKER_BY_SECTOR[sector],
            "planned_period": {"start": self._today()},
            "actor": CASEWORKER_BY_SECTOR[sector],
        }
        if how == "wrong-law":
            fields["legal_basis"] = (
                "BL § 32" if sector is not Sector.CHILDREN_AND_FAMILY else "LAB § 32"
            )
        intervention = self._send(
            "propose_intervention_under_sector_plan",
            fields,
            how,
            text="title",
            target="citizen_id",
            caseworker="responsible",
        )
        if intervention is not None:
            self.interventions.append(intervention)

    def _responsible(self, intervention_id: UUID) -> Actor:
        try:
            return record(self.app).intervention(intervention_id).responsible
        except OnePlanError:
            return ANNE

    def _fitting(self, n: int, fits: Callable[[Intervention], bool] | None) -> UUID:
        """Mostly an intervention the command fits, else any: deep states are reached
        without losing the refusals."""
        if fits is None or n % 4 == 3:
            return cast(UUID, self._pick(self.interventions, n // 4))
        fit = [i for i in self.interventions if fits(record(self.app).intervention(i))]
        return cast(UUID, self._pick(fit or self.interventions, n // 4))

    def _on_intervention(
        self,
        method: str,
        n: int,
        how: str | None,
        *,
        fits: Callable[[Intervention], bool] | None = None,
        by: Actor | None = None,
        text: str | None = None,
        expect: type[OnePlanError] | None = None,
        **fields: Any,
    ) -> None:
        intervention = self._fitting(n, fits)
        actor = by or self._responsible(intervention)
        fields = {"intervention_id": intervention, "actor": actor, **fields}
        self._send(method, fields, how, expect=expect, text=text, target="intervention_id")

    @rule(
        which=PICK,
        by=st.sampled_from((None, None, *CASEWORKERS)),
        how=bad("unknown", "not-caseworker", "long"),
    )
    def grant_intervention(self, which: int, by: Actor | None, how: str | None) -> None:
        intervention = self._fitting(which, lambda i: i.decision is None)
        expect: type[OnePlanError] | None = None
        if by is not None and intervention != UNKNOWN and how is None:
            law = record(self.app).intervention(intervention).legal_basis.law
            if not by.holds_authority_under(law):
                expect = e.OnePlanError  # AuthorityMissing, or the status refuses first
        fields = {"intervention_id": intervention, "actor": by or self._responsible(intervention)}
        self._send(
            "grant_intervention",
            {**fields, "note": "granted"},
            how,
            expect=expect,
            text="note",
            target="intervention_id",
        )

    @rule(which=PICK, days=st.sampled_from((0, 10, -400)), how=bad("unknown", "far-past"))
    def schedule_intervention(self, which: int, days: int, how: str | None) -> None:
        start = self._today() + timedelta(days=days)
        if how == "far-past":
            start = date(1, 1, 1)
        self._on_intervention(
            "schedule_intervention", which, how if how == "unknown" else None, start_on=start
        )

    @rule(which=PICK, how=bad("unknown", "future", "past"))
    def start_intervention(self, which: int, how: str | None) -> None:
        self._on_intervention(
            "start_intervention",
            which,
            how,
            fits=lambda i: i.status in (S.NOT_STARTED, S.SCHEDULED),
        )

    @rule(which=PICK, resume=st.sampled_from((None, 30)), how=bad("unknown", "blank", "control"))
    def pause_intervention(self, which: int, resume: int | None, how: str | None) -> None:
        self._on_intervention(
            "pause_intervention",
            which,
            how,
            fits=lambda i: i.status is S.IN_PROGRESS,
            text="reason",
            reason="the citizen is ill",
            expected_resume=self._today() + timedelta(days=resume) if resume else None,
        )

    @rule(which=PICK, how=bad("unknown", "naive"))
    def resume_intervention(self, which: int, how: str | None) -> None:
        self._on_intervention(
            "resume_intervention", which, how, fits=lambda i: i.status is S.ON_HOLD
        )

    @rule(which=PICK, outcome=st.sampled_from(list(InterventionOutcome)), how=bad("unknown"))
    def complete_intervention(
        self, which: int, outcome: InterventionOutcome, how: str | None
    ) -> None:
        self._on_intervention(
            "complete_intervention",
            which,
            how,
            fits=lambda i: i.status.has_started,
            outcome=outcome,
            note="done",
        )

    @rule(which=PICK, how=bad("unknown", "blank"))
    def stop_intervention(self, which: int, how: str | None) -> None:
        self._on_intervention(
            "stop_intervention",
            which,
            how,
            fits=lambda i: i.status.has_started,
            text="reason",
            reason="moved away",
        )

    @rule(which=PICK, how=bad("unknown", "blank"))
    def cancel_intervention(self, which: int, how: str | None) -> None:
        self._on_intervention(
            "cancel_intervention",
            which,
            how,
            fits=lambda i: not i.status.has_started,
            text="reason",
            reason="no longer needed",
        )

    @rule(which=PICK, to=st.sampled_from(CASEWORKERS), how=bad("unknown", "blank", "citizen"))
    def reassign_responsible(self, which: int, to: Actor, how: str | None) -> None:
        self._on_intervention(
            "reassign_responsible",
            which,
            None if how == "citizen" else how,
            by=ANNE,
            text="reason",
            expect=e.OnePlanError if how == "citizen" else None,
            new_responsible=CITIZEN if how == "citizen" else to,
            reason="new team",
        )

    @rule(
        which=PICK,
        amount=st.sampled_from(("10.00", "0", "5000000.00")),
        how=bad("unknown", "negative", "too-precise", "huge"),
    )
    def record_actual_cost(self, which: int, amount: str, how: str | None) -> None:
        expect: type[OnePlanError] | None = None
        if how in ("negative", "too-precise", "huge"):
            amount = {"negative": "-10", "too-precise": "0.001", "huge": "9" * 20}[how]
            expect = e.InvalidInput
        self._on_intervention(
            "record_actual_cost",
            which,
            how if how == "unknown" else None,
            expect=expect,
            amount=amount,
            budget_area="service",
            period={"start": self._today() - timedelta(days=30), "end": self._today()},
        )

    @rule(
        which=PICK,
        on=PICK,
        type=st.sampled_from(("after-end", "after-start", "concurrent")),
        how=bad("unknown", "itself"),
    )
    def add_dependency(self, which: int, on: int, type: str, how: str | None) -> None:
        intervention = self._fitting(which, lambda i: not i.status.has_started)
        held = (
            record(self.app).intervention(intervention).held_under if self.interventions else None
        )
        others = [i for i in self.interventions if i != intervention]
        same_plan = [i for i in others if record(self.app).intervention(i).held_under == held]
        other = (
            intervention
            if how == "itself"
            else self._pick(same_plan if same_plan and on % 4 != 3 else others, on // 4)
        )
        fields = {
            "intervention_id": intervention,
            "on_intervention_id": other,
            "type": type,
            "actor": ANNE,
        }
        expect = e.OnePlanError if how == "itself" else None
        self._send(
            "add_dependency",
            fields,
            None if how == "itself" else how,
            expect=expect,
            target="on_intervention_id",
        )

    # --- commands again ------------------------------------------------------------------

    @precondition(lambda self: self.sent)
    @rule(which=PICK)
    def a_command_repeated_with_its_id_adds_nothing(self, which: int) -> None:
        method, fields, result = self._pick(self.sent, which)
        before = self._head()
        again = getattr(self.app, method)(**fields)
        if method == "erase_citizen":  # (an erasure says what it did: nothing more now)
            assert (again.citizen_id, again.keys_destroyed) == (result.citizen_id, 0)
        else:
            assert again == result
        assert self._head() == before, f"repeating {method} stored events"

    @precondition(lambda self: self.sent and self.citizens)
    @rule(which=PICK, outcome=st.sampled_from(list(PlanOutcome)))
    def a_command_id_used_for_another_command_is_refused(
        self, which: int, outcome: PlanOutcome
    ) -> None:
        method, fields, _ = self._pick(self.sent, which)
        if method == "record_outcome":
            return
        self._send(
            "record_outcome",
            {
                "citizen_id": self.citizens[0],
                "outcome": outcome,
                "actor": ANNE,
                "command_id": fields["command_id"],
            },
            expect=e.CommandIdReused,
        )

    @rule(plan=PICK, sector=st.sampled_from(list(Sector)))
    def a_sector_reads_its_view(self, plan: int, sector: Sector) -> None:
        """Reading is logged (an access record): the access log view has rows to keep."""
        with contextlib.suppress(OnePlanError):
            acting(self.app, CASEWORKER_BY_SECTOR[sector]).sector_view(
                self._pick(self.plans, plan), sector=sector
            )

    # --- what must hold after every step -------------------------------------------------

    def _aggregates(self) -> tuple[list[Citizen], list[Plan], list[Intervention]]:
        return (
            [record(self.app).citizen(c) for c in self.citizens],
            [record(self.app).plan(p) for p in self.plans],
            [record(self.app).intervention(i) for i in self.interventions],
        )

    @invariant()
    def domain_rules_hold(self) -> None:
        self.steps += 1
        citizens, plans, interventions = self._aggregates()
        by_id: dict[UUID, Any] = {a.id: a for a in (*citizens, *plans, *interventions)}
        self._one_open_plan_per_citizen(citizens, plans)
        for plan in plans:
            self._plan_rules(plan, by_id)
        for intervention in interventions:
            self._intervention_rules(intervention, by_id)
        for citizen in citizens:
            self._citizen_rules(citizen, by_id)
        if self.steps % 10 == 0:
            self.replay_equals_live()
            self.views_rebuilt_from_zero_equal_views_kept_incrementally()

    def _one_open_plan_per_citizen(self, citizens: list[Citizen], plans: list[Plan]) -> None:
        """Rule 1."""
        for citizen in citizens:
            open_plans = [p.id for p in plans if p.status in OPEN and citizen.id in p.citizen_ids]
            assert len(open_plans) <= 1, f"citizen {citizen.id} in open plans {open_plans}"
            assert citizen.plan_id == (open_plans[0] if open_plans else None)

    def _plan_rules(self, plan: Plan, by_id: dict[UUID, Any]) -> None:
        # Rule 7: one coordinator, a caseworker, while active; none in draft.
        if plan.status in (PlanStatus.ACTIVE, PlanStatus.ON_HOLD):
            assert plan.coordinator is not None
            assert plan.coordinator.is_caseworker
            assert plan.coordinator.id not in plan.participants
        if plan.status is PlanStatus.DRAFT:
            assert plan.coordinator is None
        # The plan's lifecycle: closed is closed.
        before = self.seen_plan_status.get(plan.id)
        if before is not None and before is not plan.status:
            assert plan.status in PLAN_NEXT.get(before, ()), f"{before} -> {plan.status}"
        self.seen_plan_status[plan.id] = plan.status
        # Rule 1: by the citizens' consent, each citizen's own consent among the plan's.
        for citizen_id in plan.citizen_ids:
            consents = by_id[citizen_id].consents
            assert any(
                c in consents and consents[c].granted_at <= cast(datetime, plan.began_at)
                for c in plan.consent_ids
            ), f"plan {plan.id} holds no consent of citizen {citizen_id}"
        # Rule 9: every participant was let in by consent or by a named legal basis.
        for participant in plan.participants.values():
            assert participant.actor.is_caseworker
            assert participant.shared_under_consents or participant.shared_under_law
            for consent_id in participant.shared_under_consents:
                assert any(consent_id in by_id[c].consents for c in plan.citizen_ids)
        # Rule 2: the plan covers its interventions, which point back to it.
        for intervention_id in plan.intervention_ids:
            intervention = by_id[intervention_id]
            assert intervention.plan_id == plan.id
            assert intervention.citizen_id in plan.citizen_ids
        for goal in plan.goals.values():
            if goal.parent_id is not None:
                assert goal.parent_id in plan.goals

    def _intervention_rules(self, intervention: Intervention, by_id: dict[UUID, Any]) -> None:
        # Rule 4: exactly one responsible caseworker.
        assert intervention.responsible.is_caseworker
        # Rule 5: the lifecycle, a paused one has a reason, a finished one never changes.
        before = self.seen_status.get(intervention.id)
        if before is not None:
            status, version = before
            if status in FINISHED:
                assert intervention.version == version, f"{intervention.id} changed after {status}"
            elif intervention.status is not status:
                assert intervention.status in NEXT[status], f"{status} -> {intervention.status}"
        self.seen_status[intervention.id] = (intervention.status, intervention.version)
        if intervention.status is S.ON_HOLD:
            assert (intervention.pause_reason or "").strip()
        # Rule 3: granted by a decision under its legal basis, by someone with authority.
        decision = intervention.decision
        if intervention.status.has_started:
            assert decision is not None, f"{intervention.id} started without a decision"
        if decision is not None:
            assert decision.legal_basis == intervention.legal_basis
            assert decision.decided_by.holds_authority_under(intervention.legal_basis.law)
        # Rule 6: a running intervention waited for what it depends on.
        if intervention.status in (S.IN_PROGRESS, S.ON_HOLD):
            for dependency in intervention.dependencies:
                other = by_id[dependency.on_intervention_id]
                assert dependency.type.allows_start(other.status), (intervention.id, other.id)
        # Rule 2: held in a plan, or under the citizen's own sector plan which knows it.
        if intervention.plan_id is None:
            assert intervention.sector_plan is not None
            citizen = by_id[intervention.citizen_id]
            if not citizen.erased:
                assert intervention.id in (
                    citizen.sector_plans[intervention.sector_plan].intervention_ids
                )
        else:
            assert intervention.id in by_id[intervention.plan_id].intervention_ids

    def _citizen_rules(self, citizen: Citizen, by_id: dict[UUID, Any]) -> None:
        history = record(self.app).history(citizen.id)
        # Rule 8, the Randers rule: with a contact person in social services, each
        # sanction is preceded by a contact made since the sanction before it.
        contact_person = contacted = False
        for stored in history:
            if isinstance(stored, Citizen.SocialContactPersonRecorded):
                contact_person = True
            elif isinstance(stored, Citizen.SocialContactPersonContacted):
                contacted = True
            elif isinstance(stored, Citizen.SanctionImposed):
                assert contacted or not contact_person, f"sanction {stored.sanction_id} too early"
                assert stored.legal_basis.law in (Law.LAS, Law.LAB)
                contacted = False
        # Rule 10: an erased citizen is in no open plan, and nothing follows the erasure.
        names = [type(stored).__name__ for stored in history]
        if citizen.erased:
            assert names[-1] == "Erased", names
            assert names.count("Erased") == 1, names
            assert citizen.plan_id is None
            assert citizen.birth_date is None
            for plan_id in citizen.past_plan_ids:
                assert by_id[plan_id].status not in OPEN

    # --- replay, and the views -----------------------------------------------------------

    def replay_equals_live(self) -> None:
        """Every aggregate read by a fresh application over the same store equals the
        one the live application reads (through its cache)."""
        citizens, plans, interventions = self._aggregates()
        fresh = SameStore(self.app)
        try:
            for live in (*citizens, *plans, *interventions):
                replayed: OnePlanAggregate = fresh.repository.get(live.id)
                assert type(replayed) is type(live)
                assert state_of(replayed) == state_of(live), f"{live.id} replays differently"
        finally:
            fresh.close()

    def views_rebuilt_from_zero_equal_views_kept_incrementally(self) -> None:
        kept = self.app.views
        kept.catch_up()
        fresh = SameStore(self.app)
        try:
            rebuilt = ProjectionRunner(fresh, MemoryViewStore())
            rebuilt.rebuild()
            assert rebuilt.position == kept.position
            for name in rebuilt.versions:
                keys = kept.keys(name)
                assert keys == rebuilt.keys(name), name
                for key in keys:
                    assert kept.get(name, key) == rebuilt.get(name, key), (name, key)
        finally:
            fresh.close()


WholeApplication.TestCase.settings = settings(stateful_step_count=25)
TestWholeApplication = WholeApplication.TestCase

NOT_COMMANDS = {
    "time_passes",
    "a_command_repeated_with_its_id_adds_nothing",
    "a_command_id_used_for_another_command_is_refused",
    "a_sector_reads_its_view",
}
"""The rules that send no command of their own."""


def test_every_command_has_a_rule_in_the_machine() -> None:
    rules = {
        name
        for name, member in vars(WholeApplication).items()
        if callable(member) and hasattr(member, "hypothesis_stateful_rule")
    }
    commands = {snake(command.__name__) for command in COMMANDS}
    assert commands - rules == set(), "commands no rule sends"
    assert rules - commands == NOT_COMMANDS
    assert all(hasattr(OnePlan, name) for name in commands)

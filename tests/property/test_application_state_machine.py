"""A Hypothesis state machine over the whole OnePlan application: every command, sent by
principals who may and principals who may not, and the reads of personal data.

Random courses of every command in ``oneplan.commands.COMMANDS`` (a test below fails when
a command has no rule here), valid and invalid, across several citizens (adults and a
son of 17 in his mother's recorded custody), a household plan and single plans,
interventions in plans and under the citizens' own sector plans, consents, custody,
sanctions, benefits, archive delivery and erasure, and the staff directory (staff
registered, given and stripped of roles, delegated authority under laws and stripped of
it, leaving), with the clock moving on by days and years. Encryption is on (fresh
keys), so erasure really destroys keys.

Every command is sent by a principal (``OnePlan.as_``), mostly one who may, sometimes one
who may not: the staff directory's coordinators, sector caseworkers with and without
authority under the laws, a housing caseworker who is never on any plan, a records
officer, the administrator and the sectors' managers; the citizens, and a mother acting
for her son; and impostors: a staff id never registered, a citizen acting for someone
else, an auditor trying to write. The machine keeps its own model of who may do what,
written from DOMAIN.md rules 11-14 (not from ``oneplan.policies``):

- casework is done by staff in the directory holding the caseworker role, at the time;
- a plan is changed by its coordinator and participants (its opener while it has no
  coordinator); sectors are pulled in, and the coordinator assigned or handed over, by
  the coordinator and co-coordinators (the opener of a plan that has none); a
  participant may leave by themself;
- an intervention's steps are taken by its responsible caseworker, its plan's
  coordinators, or staff of its sector holding authority under its law;
- an effort under a sector plan, a benefit, by the sector's own staff; a sanction by
  staff holding authority under its law;
- consent is the citizen's: given or revoked by the citizen (or the holder of their
  custody) as principal, or recorded by a caseworker saying how it was given;
- erasure and archive delivery by the records officer; the staff directory by the
  administrator; authority delegated by a manager of the member's sector, never to
  themself; contact details by the administrator or the staff member themself;
- reads: a sector view by staff; the citizen's plan, the journey and a FHIR export by
  those holding the plan (the citizen, a holder of custody, an auditor; exports to a
  named system, under an active consent or a named legal basis); the full record by
  auditors and system jobs; the access log by the citizen, a holder of custody, an
  auditor or a records officer.

After every step:

- a command the model refuses raised a typed ``OnePlanError`` (``NotPermitted``,
  ``StaffNotFound`` or, for a read, ``DisclosureRefused``, when nothing else in it is
  wrong) and wrote nothing: the notification log's last id is unchanged; a command the
  model allows was not refused for a trust reason;
- every read shown added exactly the access-log entries expected (one in the log of
  each citizen it is about, naming what and who; the log read by each citizen
  themself, which is not logged), and every refused read added none; each citizen's
  log holds exactly the disclosures the model counted;
- the staff directory says what the model says (who is active, their roles, their
  authority now);
- a command repeated with its ``command_id`` returns the first result and stores
  nothing; the id reused for another command is refused;
- DOMAIN.md's rules hold on the aggregates as the application reads them: one open
  plan per citizen, one coordinator, the plan and intervention state machines, a
  decision only under authority, consent behind every plan and every sharing, the
  Randers sanction rule, nothing recorded on an erased citizen's own record after the
  erasure, and the interventions under sector plans known to their citizen's record.
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
from dataclasses import dataclass, field
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
    AuditorPrincipal,
    Citizen,
    CitizenPrincipal,
    ConsentGiver,
    InformationCategory,
    Intervention,
    InterventionStatus,
    Keys,
    Law,
    NotPermitted,
    OnePlan,
    OnePlanError,
    ParticipantRole,
    Plan,
    PlanStatus,
    Principal,
    Sector,
    Session,
    StaffNotFound,
    StaffPrincipal,
    StaffRole,
    SystemPrincipal,
)
from oneplan import errors as e
from oneplan.aggregates.base import OnePlanAggregate
from oneplan.aggregates.staff import StaffMember, staff_member_id
from oneplan.commands import COMMANDS
from oneplan.persistence import OnePlanMapper, env_for_url
from oneplan.privacy.retention import RetentionClass, RetentionPolicy
from oneplan.privacy.sealing import Sealer
from oneplan.projections import MemoryViewStore, ProjectionRunner
from oneplan.values import AchievementStatus, InterventionOutcome, PlanOutcome
from tests.builders import ADMIN, AUDITOR, SYSTEM, record, register_staff
from tests.conftest import NOW, FixedClock

S = InterventionStatus
UNKNOWN = UUID("00000000-0000-4000-8000-00000000dead")
CITIZEN = Actor(id="the-citizen", kind=ActorKind.CITIZEN)
"""Named where a staff member belongs: an id the staff directory does not know."""


@dataclass(frozen=True)
class Staff:
    """A staff member of the course's directory, as registered at the start."""

    id: str
    sector: Sector
    laws: tuple[Law, ...] = ()
    roles: tuple[StaffRole, ...] = (StaffRole.CASEWORKER,)


ANNE = Staff("anne", Sector.EMPLOYMENT, (Law.LAB, Law.LAS, Law.SEL))
LARS = Staff("lars", Sector.SOCIAL, (Law.SEL,))
KARIN = Staff("karin", Sector.CHILDREN_AND_FAMILY, (Law.BL,))
"""The coordinators."""
PETER = Staff("peter", Sector.EMPLOYMENT, (Law.LAB, Law.LAS))
SOFIE = Staff("sofie", Sector.HEALTH, (Law.SUL,))
MIA = Staff("mia", Sector.EDUCATION, (Law.STU, Law.FGU))
BO = Staff("bo", Sector.HOUSING, (Law.ABL,))
"""Sector caseworkers with authority under their sector's laws."""
TOVE = Staff("tove", Sector.HEALTH)
JENS = Staff("jens", Sector.EMPLOYMENT)
"""Sector caseworkers without authority under any law (until a manager delegates it)."""
HANNE = Staff("hanne", Sector.HOUSING, (Law.ABL,))
"""A housing caseworker who is never on any plan, nor named on one."""
RECORDS = Staff("records", Sector.SOCIAL, (), (StaffRole.RECORDS_OFFICER, StaffRole.KEY_CUSTODIAN))
"""The records officer (no casework)."""
DIRECTORY = (ANNE, LARS, KARIN, PETER, SOFIE, MIA, BO, TOVE, JENS, HANNE, RECORDS)
NAMED = (ANNE, LARS, KARIN, PETER, SOFIE, MIA, BO, TOVE, JENS)
"""Who may be named on a plan (a coordinator, a participant, a responsible)."""
CHANGEABLE = ("tove", "jens")
"""Whose roles, delegations and employment the staff rules change (besides the staff
registered during the course): the course's core staff stay as registered."""
CASEWORKER_BY_SECTOR = {
    Sector.EMPLOYMENT: PETER,
    Sector.SOCIAL: LARS,
    Sector.HEALTH: SOFIE,
    Sector.CHILDREN_AND_FAMILY: KARIN,
    Sector.EDUCATION: MIA,
    Sector.HOUSING: BO,
}
LAWS_OF = {
    Sector.EMPLOYMENT: (Law.LAB, Law.LAS, Law.FGU),
    Sector.SOCIAL: (Law.SEL,),
    Sector.HEALTH: (Law.SUL,),
    Sector.CHILDREN_AND_FAMILY: (Law.BL,),
    Sector.EDUCATION: (Law.STU, Law.FGU),
    Sector.HOUSING: (Law.ABL,),
}
GHOST = Principal.staff("ghost")
"""A staff id the directory has never known."""
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
RECIPIENT = "the-hospital-system"

TRUST = (NotPermitted, StaffNotFound)
"""The refusals for who is asking (``DisclosureRefused`` is a ``NotPermitted``)."""

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
BY = st.integers(0, 1_000)
"""Who sends: three times in four one the model lets, else anyone (``_choose``)."""


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


def for_trust(refusal: OnePlanError, by: Principal) -> bool:
    """Whether ``refusal`` is about who asked: not permitted, or the principal themself
    not in the staff directory (a staff member *named* in a command and unknown is no
    trust refusal)."""
    if isinstance(refusal, NotPermitted):
        return True
    return isinstance(refusal, StaffNotFound) and getattr(refusal, "staff_id", None) == by.id


@dataclass
class StaffModel:
    """What the model holds of a staff member: sector, roles, authority, employment."""

    sector: Sector
    roles: set[StaffRole]
    delegations: dict[UUID, tuple[Law, date | None]] = field(default_factory=dict)
    """Delegations in force: law, and the last day of their period (None: open)."""
    left: bool = False

    def laws(self, today: date) -> set[Law]:
        if self.left:
            return set()
        return {law for law, end in self.delegations.values() if end is None or today <= end}


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
        self.custody: dict[UUID, set[UUID]] = {}
        """The model's record of custody: child -> holders."""
        self.plans: list[UUID] = []
        self.goals: list[tuple[UUID, UUID]] = []
        self.interventions: list[UUID] = []
        self.staff: dict[str, StaffModel] = {}
        """The model's staff directory."""
        self.sent: list[tuple[Principal, str, dict[str, Any], Any]] = []
        """Commands accepted with a command id: (principal, method, fields, result)."""
        self.seen_status: dict[UUID, tuple[S, int]] = {}
        self.seen_plan_status: dict[UUID, PlanStatus] = {}
        self.erased: set[UUID] = set()
        self.disclosed: dict[UUID, int] = {}
        """How many disclosures each citizen's access log should show."""
        self.steps = 0
        self.ids = 0
        self.hired = 0

    def teardown(self) -> None:
        try:
            if self.citizens:
                self.replay_equals_live()
                self.views_rebuilt_from_zero_equal_views_kept_incrementally()
        finally:
            self.app.close()

    # --- the model of who may (rules 11-14, independently of oneplan.policies) -----------

    def _today(self) -> date:
        return self.clock().date()

    def _member(self, p: Principal) -> StaffModel | None:
        """The staff member ``p`` is, active now; None for anyone else."""
        if not isinstance(p, StaffPrincipal):
            return None
        found = self.staff.get(p.staff_id)
        return found if found is not None and not found.left else None

    def _has_role(self, p: Principal, role: StaffRole) -> bool:
        member = self._member(p)
        return member is not None and role in member.roles

    def _caseworker(self, p: Principal) -> bool:
        return self._has_role(p, StaffRole.CASEWORKER)

    def _laws(self, p: Principal) -> set[Law]:
        member = self._member(p)
        return member.laws(self._today()) if member is not None else set()

    def _acts_for(self, p: Principal, citizen: UUID) -> bool:
        """A citizen principal acting for themself, or for a child in their custody."""
        return isinstance(p, CitizenPrincipal) and (
            p.citizen_id == citizen or p.citizen_id in self.custody.get(citizen, set())
        )

    def _plan(self, plan_id: UUID) -> Plan | None:
        try:
            return record(self.app).plan(plan_id)
        except OnePlanError:
            return None

    def _holding(self, plan: Plan | None) -> set[str]:
        """Who holds a plan: its coordinator and participants; its opener while it has
        no coordinator."""
        if plan is None:
            return set()
        held = set(plan.participants)
        if plan.coordinator is not None:
            held.add(plan.coordinator.id)
        elif plan.opened_by is not None:
            held.add(plan.opened_by)
        return held

    def _coordinating(self, plan: Plan | None, *, opener: bool = True) -> set[str]:
        """The coordinator and co-coordinators (family coordinators too); the opener of a
        plan that has none."""
        if plan is None:
            return set()
        found = {
            pid
            for pid, p in plan.participants.items()
            if p.role in (ParticipantRole.CO_COORDINATOR, ParticipantRole.FAMILY_COORDINATOR)
        }
        if plan.coordinator is not None:
            found.add(plan.coordinator.id)
        elif not found and opener and plan.opened_by is not None:
            found.add(plan.opened_by)
        return found

    def _changes_plan(self, p: Principal, plan_id: UUID) -> bool:
        return self._caseworker(p) and p.id in self._holding(self._plan(plan_id))

    def _pulls_in(self, p: Principal, plan_id: UUID) -> bool:
        return self._caseworker(p) and p.id in self._coordinating(self._plan(plan_id))

    def _holds_intervention(self, p: Principal, intervention_id: UUID) -> bool:
        if not self._caseworker(p):
            return False
        try:
            i = record(self.app).intervention(intervention_id)
        except OnePlanError:
            return False
        plan = self._plan(i.plan_id) if i.plan_id is not None else None
        member = self._member(p)
        assert member is not None
        return (
            p.id == i.responsible.id
            or p.id in self._coordinating(plan, opener=False)
            or (member.sector is i.sector and i.legal_basis.law in self._laws(p))
        )

    def _of_sector(self, p: Principal, sector: Sector) -> bool:
        member = self._member(p)
        return self._caseworker(p) and member is not None and member.sector is sector

    def _reads_plan(self, p: Principal, plan_id: UUID) -> bool:
        """The citizen's plan, its journey, its export: the citizens (or holders of their
        custody), staff holding it, auditors."""
        plan = self._plan(plan_id)
        if plan is None:
            return False
        if isinstance(p, CitizenPrincipal):
            return any(self._acts_for(p, c) for c in plan.citizen_ids)
        if isinstance(p, AuditorPrincipal):
            return True
        return self._member(p) is not None and p.id in self._holding(plan)

    # --- who sends ---------------------------------------------------------------------

    def _everyone(self) -> list[Principal]:
        """Every principal of the course: the staff directory (those who left too), the
        impostors (a staff id never registered, an auditor), every citizen."""
        return [
            GHOST,
            AUDITOR,
            *(Principal.citizen(c) for c in self.citizens),
            *(Principal.staff(sid) for sid in self.staff),
        ]

    def _choose(
        self,
        n: int,
        may: Callable[[Principal], bool],
        *,
        outsider: bool = False,
        besides: tuple[str, ...] = (),
    ) -> Principal:
        """Three times in four one who may (if anyone may), else anyone (``besides``
        those); an ``outsider`` is one who may not."""
        everyone = [p for p in self._everyone() if p.id not in besides]
        fit = [p for p in everyone if may(p)]
        if outsider:
            pool = [p for p in everyone if not may(p)]
        else:
            pool = fit if fit and n % 4 != 3 else everyone
        return pool[(n // 4) % len(pool)]

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
        by: Principal,
        may: bool,
        expect: type[OnePlanError] | None = None,
        text: str | None = None,
        target: str | None = None,
        caseworker: str | None = None,
    ) -> Any:
        """Send a command as ``by``, made bad in the way ``how`` says (``expect``: the
        refusal that bad input makes certain; None: some typed refusal, or any outcome if
        valid). ``may``: whether the model lets ``by`` send it."""
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
        must_refuse = refuse is not None or how in ("past", "not-caseworker", "outsider")
        judged = True
        if how == "past":  # (before the staff directory and custody: who may is moot)
            fields["effective_at"] = datetime(1990, 1, 1, tzinfo=NOW.tzinfo)
            judged = False
        elif how == "not-caseworker" and caseworker is not None:
            fields[caseworker] = CITIZEN
        if refuse is None and how is None and self.steps % 2:
            fields["command_id"] = self._command_id()
        before = self._head()
        refusal: OnePlanError | None = None
        try:
            result = getattr(self.app.as_(by), method)(**fields)
        except OnePlanError as error:  # anything else fails the test
            refusal = error
        if refusal is not None:
            assert self._head() == before, f"{method} refused ({refusal!r}) but stored events"
            if may and judged:
                assert not for_trust(refusal, by), (
                    f"{method} by {by}: refused for who asked ({refusal!r}), but the model "
                    "lets them"
                )
            elif not may and how is None and refuse is None:
                assert for_trust(refusal, by), (
                    f"{method} by {by}: the model refuses them, but it was refused for "
                    f"something else: {refusal!r}"
                )
            if refuse is not None:
                allowed = refuse if may else (refuse, *TRUST)
                assert isinstance(refusal, allowed), f"{method}: {refusal!r}, expected {refuse}"
            kind = "for trust" if for_trust(refusal, by) else type(refusal).__name__
            note(f"{method}: refused ({kind})")
            return None
        assert may, f"{method} by {by} was accepted, but the model refuses them: {fields}"
        assert not must_refuse, f"{method} accepted bad input ({how}): {fields}"
        assert self._head() > before, f"{method} accepted but stored nothing"
        note(f"{method}: accepted")
        if "command_id" in fields:
            self.sent.append((by, method, fields, result))
        return result

    def _pick(self, items: list[Any], n: int) -> Any:
        return items[n % len(items)] if items else UNKNOWN

    def _latest_consent(self, citizen: UUID) -> UUID:
        return (self.consents.get(citizen) or [UNKNOWN])[-1]

    # --- reading -----------------------------------------------------------------------

    def _logs(self) -> dict[UUID, tuple[Any, ...]]:
        """Each (not erased) citizen's access log, read by the citizen themself (a read
        that is not logged)."""
        return {
            c: self.app.as_(Principal.citizen(c)).access_log(c).entries
            for c in self.citizens
            if c not in self.erased
        }

    def _read(
        self,
        name: str,
        by: Principal,
        may: bool,
        read: Callable[[Session], Any],
        *,
        about: tuple[UUID, ...],
        what: str,
        logged: bool = True,
    ) -> None:
        """Read as ``by``: shown only if the model lets them, and then logged in each
        citizen's access log it is ``about`` (once, naming ``what`` and who read); a
        refused read is neither shown nor logged, and stores nothing."""
        before, logs = self._head(), self._logs()
        refusal: OnePlanError | None = None
        try:
            read(self.app.as_(by))
        except OnePlanError as error:  # anything else fails the test
            refusal = error
        after = self._logs()
        if refusal is not None:
            assert self._head() == before, f"{name} refused ({refusal!r}) but stored events"
            assert after == logs, f"{name} refused ({refusal!r}) but logged a disclosure"
            if may:
                assert not for_trust(refusal, by), (
                    f"{name} by {by}: refused for who asked ({refusal!r}), but the model lets them"
                )
            else:
                assert for_trust(refusal, by), f"{name} by {by}: refused with {refusal!r}"
            note(f"{name}: refused ({'for trust' if for_trust(refusal, by) else 'other'})")
            return
        assert may, f"{name} by {by} was shown, but the model refuses it"
        note(f"{name}: shown")
        for citizen, entries in after.items():
            new = entries[len(logs[citizen]) :]
            assert entries[: len(logs[citizen])] == logs[citizen], f"{name} rewrote a log"
            expected = 1 if logged and citizen in about else 0
            assert len(new) == expected, (
                f"{name} by {by} added {len(new)} entries to the log of {citizen}, "
                f"expected {expected}: {new}"
            )
            if new:
                assert (new[0].what, new[0].reader.id) == (what, by.id), new[0]
                self.disclosed[citizen] = self.disclosed.get(citizen, 0) + 1

    # --- the setting ---------------------------------------------------------------------

    def _staff_directory(self) -> None:
        """The staff directory, each member registered by the administrator with their
        laws delegated by a manager of their sector (``tests.builders.register_staff``:
        no more roles than each is given)."""
        for member in DIRECTORY:
            register_staff(self.app, member.id, member.sector, *member.laws, roles=member.roles)
        self.staff[ADMIN] = StaffModel(
            Sector.SOCIAL, {StaffRole.ADMINISTRATOR, StaffRole.CASEWORKER}
        )
        for member in DIRECTORY:
            if member.laws:
                self.staff[f"manager.{member.sector.value}"] = StaffModel(
                    member.sector, {StaffRole.MANAGER}
                )
        for member in DIRECTORY:
            self.staff[member.id] = StaffModel(
                member.sector,
                set(member.roles),
                {UUID(int=i): (law, None) for i, law in enumerate(member.laws)},
            )

    def _register(self, name: str, born: date, cpr: str | None = None) -> UUID:
        citizen = self._send(
            "register_citizen",
            {"name": name, "birth_date": None if cpr else born, "cpr": cpr},
            by=Principal.staff(ANNE.id),
            may=True,
        )
        assert citizen is not None
        self._registered(citizen)
        return cast(UUID, citizen)

    def _registered(self, citizen: UUID) -> None:
        self.citizens.append(citizen)
        self.consents[citizen] = []
        self.custody[citizen] = set()
        self.disclosed[citizen] = 0

    def _consent(
        self, citizen: UUID, by: Principal, *givers: ActorKind, sectors: tuple[Sector, ...]
    ) -> UUID:
        fields: dict[str, Any] = {
            "citizen_id": citizen,
            "recipient_sectors": sectors,
            "categories": tuple(InformationCategory),
            "purpose": "one coordinated plan",
            "period": {"start": self._today(), "end": self._today() + timedelta(days=800)},
            "given_by": [ConsentGiver(kind=k) for k in givers],
        }
        if isinstance(by, StaffPrincipal):
            fields["given_how"] = "in-meeting"
        consent = self._send("grant_consent", fields, by=by, may=True)
        assert consent is not None
        self.consents[citizen].append(consent)
        return cast(UUID, consent)

    @initialize(household=st.booleans(), coordinator=st.sampled_from((LARS, ANNE, KARIN)))
    def a_household_and_a_citizen_with_a_sector_plan(
        self, household: bool, coordinator: Staff
    ) -> None:
        """The staff directory; a mother and her son of 17 in her recorded custody (a
        household plan, or hers alone), and a man whose two efforts (job training,
        granted, and a mentor) are held under his job centre's own sector plan."""
        self._staff_directory()
        mother = self._register("Mette", date(1984, 5, 2), cpr="0205841234")
        son = self._register("Emil", date(2009, 3, 1))
        man = self._register("Ole", date(1971, 9, 30))
        self._send(
            "record_custody",
            {"citizen_id": son, "holder_id": mother},
            by=Principal.staff(ANNE.id),
            may=True,
        )
        self.custody[son].add(mother)
        everyone = tuple(Sector)
        self._consent(mother, Principal.citizen(mother), sectors=everyone)  # (she gives it)
        self._consent(  # (recorded by a caseworker, given by both)
            son, Principal.staff(LARS.id), ActorKind.CITIZEN, ActorKind.GUARDIAN, sectors=everyone
        )
        self._consent(man, Principal.citizen(man), sectors=(Sector.EMPLOYMENT, Sector.SOCIAL))
        members = (mother, son) if household else (mother,)
        lead = Principal.staff(coordinator.id)
        plan = self._send(
            "open_plan",
            {
                "citizen_ids": members,
                "consent_ids": [self._latest_consent(c) for c in members],
                "legal_bases": ["LAB § 30 b", "SEL § 141 stk. 7", "BL § 110"],
                "coordinator": coordinator.id,
            },
            by=lead,
            may=True,
        )
        assert plan is not None
        self.plans.append(plan)
        peter = Principal.staff(PETER.id)
        intervention = self._send(
            "propose_intervention_under_sector_plan",
            {
                "citizen_id": man,
                "sector_plan": SECTOR_PLANS[0],
                "legal_basis": "LAB § 32",
                "title": "Job training",
                "responsible": PETER.id,
                "planned_period": {"start": self._today()},
            },
            by=peter,
            may=True,
        )
        assert intervention is not None
        self.interventions.append(intervention)
        self._send("grant_intervention", {"intervention_id": intervention}, by=peter, may=True)
        mentor = self._send(
            "propose_intervention_under_sector_plan",
            {
                "citizen_id": man,
                "sector_plan": SECTOR_PLANS[0],
                "legal_basis": "LAB § 31",
                "title": "Mentor",
                "responsible": PETER.id,
                "planned_period": {"start": self._today()},
            },
            by=peter,
            may=True,
        )
        self.interventions.append(mentor)
        goal = self._send(
            "set_goal", {"plan_id": plan, "description": "Works 10 hours a week"}, by=lead, may=True
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
        by=BY,
        how=bad("blank", "no-birth-date", "id-in-use", "future", "extra", "control", "long"),
    )
    def register_citizen(
        self, name: str, born: date, cpr: str | None, by: int, how: str | None
    ) -> None:
        fields: dict[str, Any] = {"name": name, "birth_date": born, "cpr": cpr}
        expect: type[OnePlanError] | None = None
        if how == "no-birth-date":
            fields.update(birth_date=None, cpr=None)
            expect = e.InvalidInput
        elif how == "id-in-use":
            fields["citizen_id"] = self.citizens[0]
            expect = e.InvalidInput
        who = self._choose(by, self._caseworker)
        citizen = self._send(
            "register_citizen",
            fields,
            how,
            by=who,
            may=self._caseworker(who),
            expect=expect,
            text="name",
        )
        if citizen is not None:
            self._registered(citizen)

    def _consent_is_theirs(
        self, citizen: UUID, given_how: str | None
    ) -> Callable[[Principal], bool]:
        """Rule 13: the citizen (or a holder of their custody), or a caseworker saying how
        the citizen gave it."""
        return lambda p: (
            self._acts_for(p, citizen) or (self._caseworker(p) and given_how is not None)
        )

    @rule(
        who=PICK,
        sectors=st.sets(st.sampled_from(list(Sector)), min_size=1).map(sorted),
        givers=st.sampled_from(
            ((ActorKind.CITIZEN,), (ActorKind.GUARDIAN,), (ActorKind.CITIZEN, ActorKind.GUARDIAN))
        ),
        days=st.sampled_from((0, 30, 800)),
        given_how=st.sampled_from(("in-meeting", "in-writing", "by-phone", "digitally", None)),
        by=BY,
        how=bad("unknown", "blank", "no-sectors", "caseworker-gives", "ends-first", "past"),
    )
    def grant_consent(
        self,
        who: int,
        sectors: list[Sector],
        givers: tuple[ActorKind, ...],
        days: int,
        given_how: str | None,
        by: int,
        how: str | None,
    ) -> None:
        """Given by the citizen, by their mother for the son, or recorded by a caseworker
        saying how (or not saying: refused)."""
        citizen = self._pick(self.citizens, who)
        may = self._consent_is_theirs(citizen, given_how)
        sender = self._choose(by, may)
        period = {"start": self._today(), "end": self._today() + timedelta(days=days)}
        fields: dict[str, Any] = {
            "citizen_id": citizen,
            "recipient_sectors": sectors,
            "categories": tuple(InformationCategory),
            "purpose": "one coordinated plan",
            "period": period,
            "given_by": [ConsentGiver(kind=k) for k in givers],
            "given_how": given_how,
        }
        if isinstance(sender, CitizenPrincipal):  # (they gave it: as themself, or as guardian)
            fields["given_by"] = []
        expect: type[OnePlanError] | None = None
        if how == "no-sectors":
            fields["recipient_sectors"], expect = (), e.InvalidInput
        elif how == "caseworker-gives":
            fields["given_by"], expect = [{"kind": "caseworker"}], e.InvalidInput
        elif how == "ends-first":
            period["end"], expect = self._today() - timedelta(days=1), e.InvalidInput
        consent = self._send(
            "grant_consent",
            fields,
            how,
            by=sender,
            may=may(sender),
            expect=expect,
            text="purpose",
            target="citizen_id",
        )
        if consent is not None:
            self.consents[citizen].append(consent)

    @rule(
        who=PICK,
        which=PICK,
        sectors=st.sampled_from(((), (Sector.HEALTH,), (Sector.EMPLOYMENT, Sector.SOCIAL))),
        given_how=st.sampled_from(("in-writing", "by-phone", None)),
        by=BY,
        how=bad("unknown", "other-citizens", "long", "future"),
    )
    def revoke_consent(
        self,
        who: int,
        which: int,
        sectors: tuple[Sector, ...],
        given_how: str | None,
        by: int,
        how: str | None,
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
        may = self._consent_is_theirs(citizen, given_how)
        sender = self._choose(by, may)
        fields = {
            "citizen_id": citizen,
            "consent_id": consent,
            "sectors": sectors,
            "reason": "changed my mind",
            "given_how": given_how,
        }
        self._send(
            "revoke_consent",
            fields,
            how,
            by=sender,
            may=may(sender),
            expect=expect,
            text="reason",
            target="consent_id",
        )

    @rule(
        who=PICK,
        holder=PICK,
        by=BY,
        how=bad("unknown", "themself", "past"),
    )
    def record_custody(self, who: int, holder: int, by: int, how: str | None) -> None:
        """A holder of custody recorded by a caseworker (a child's parent, or anyone: the
        record is what the caseworker says)."""
        citizen = self._pick(self.citizens, who)
        others = [c for c in self.citizens if c != citizen and c not in self.custody[citizen]]
        if how == "themself":
            holder_id = citizen
        elif others:
            holder_id = self._pick(others, holder)
        else:
            return  # (everyone holds custody of them already: recording it again is nothing)
        sender = self._choose(by, self._caseworker)
        result = self._send(
            "record_custody",
            {"citizen_id": citizen, "holder_id": holder_id},
            None if how == "themself" else how,
            by=sender,
            may=self._caseworker(sender),
            expect=e.OnePlanError if how == "themself" else None,
            target="holder_id",
        )
        if result is not None:
            self.custody[citizen].add(holder_id)

    @rule(who=PICK, holder=PICK, by=BY, how=bad("unknown", "blank"))
    def end_custody(self, who: int, holder: int, by: int, how: str | None) -> None:
        held = [(c, h) for c in self.citizens for h in sorted(self.custody[c])]
        citizen, holder_id = (
            self._pick(held, who)
            if held and who % 4 != 3
            else (self._pick(self.citizens, who), self._pick(self.citizens, holder))
        )
        sender = self._choose(by, self._caseworker)
        result = self._send(
            "end_custody",
            {"citizen_id": citizen, "holder_id": holder_id, "reason": "custody moved"},
            how,
            by=sender,
            may=self._caseworker(sender),
            text="reason",
            target="citizen_id",
        )
        if result is not None:
            self.custody[citizen].discard(holder_id)

    @rule(
        who=PICK,
        contact=st.sampled_from((LARS, LARS, PETER)),
        by=BY,
        how=bad("unknown", "future", "not-caseworker"),
    )
    def record_social_contact_person(
        self, who: int, contact: Staff, by: int, how: str | None
    ) -> None:
        fields = {"citizen_id": self._pick(self.citizens, who), "contact_person": contact.id}
        expect = (  # (not of social services)
            e.InvalidInput if contact is not LARS and how != "not-caseworker" else None
        )
        sender = self._choose(by, self._caseworker)
        self._send(
            "record_social_contact_person",
            fields,
            how,
            by=sender,
            may=self._caseworker(sender),
            expect=expect,
            target="citizen_id",
            caseworker="contact_person",
        )

    @rule(who=PICK, by=BY, how=bad("unknown", "blank"))
    def record_social_contact_made(self, who: int, by: int, how: str | None) -> None:
        known = [c for c in self.citizens if record(self.app).citizen(c).social_contact_person]
        fields = {
            "citizen_id": self._pick(known if known and who % 4 != 3 else self.citizens, who // 4),
            "regarding": "a sanction of kontanthjælp",
        }
        sender = self._choose(by, self._caseworker)
        self._send(
            "record_social_contact_made",
            fields,
            how,
            by=sender,
            may=self._caseworker(sender),
            text="regarding",
            target="citizen_id",
        )

    @rule(
        who=PICK,
        law=st.sampled_from(("LAS § 36", "LAB § 32", "SEL § 85")),
        by=BY,
        how=bad("unknown", "blank", "outsider"),
    )
    def impose_sanction(self, who: int, law: str, by: int, how: str | None) -> None:
        """By staff holding authority under the sanction's law (a sanction under SEL is
        refused by the Randers rule's own list of laws)."""
        fields = {
            "citizen_id": self._pick(self.citizens, who),
            "legal_basis": law,
            "reason": "missed three meetings",
        }
        the_law = Law(law.split(" ")[0])
        may = lambda p: self._caseworker(p) and the_law in self._laws(p)  # noqa: E731
        sender = self._choose(by, may, outsider=how == "outsider")
        expect = e.OnePlanError if law.startswith("SEL") else None
        self._send(
            "impose_sanction",
            fields,
            how,
            by=sender,
            may=may(sender),
            expect=expect,
            text="reason",
            target="citizen_id",
        )

    @rule(
        who=PICK,
        amount=st.sampled_from(("11902.00", "0", "0.01")),
        by=BY,
        how=bad("unknown", "negative", "float", "absurd", "period-open", "wrong-sector"),
    )
    def record_benefit_paid(self, who: int, amount: str, by: int, how: str | None) -> None:
        month = self._today().replace(day=1) - timedelta(days=31)
        fields: dict[str, Any] = {
            "citizen_id": self._pick(self.citizens, who),
            "sector": Sector.EMPLOYMENT,
            "legal_basis": "LAS § 25",
            "amount": amount,
            "period": {"start": month, "end": month + timedelta(days=27)},
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
        sector = fields["sector"]
        may = lambda p: self._of_sector(p, sector)  # noqa: E731
        sender = self._choose(by, may)
        if expect is not None and Law.LAS not in self._laws(sender):
            expect = e.OnePlanError  # (rule 3 may refuse first: no authority under LAS)
        self._send(
            "record_benefit_paid",
            fields,
            how,
            by=sender,
            may=may(sender),
            expect=expect,
            target="citizen_id",
        )

    @rule(who=PICK, outcome=st.sampled_from(list(PlanOutcome)), by=BY, how=bad("unknown", "extra"))
    def record_outcome(self, who: int, outcome: PlanOutcome, by: int, how: str | None) -> None:
        fields = {"citizen_id": self._pick(self.citizens, who), "outcome": outcome}
        sender = self._choose(by, self._caseworker)
        self._send(
            "record_outcome",
            fields,
            how,
            by=sender,
            may=self._caseworker(sender),
            target="citizen_id",
        )

    @rule(
        who=PICK,
        legal_basis=st.sampled_from((None, None, "RSL § 12")),
        by=BY,
        how=bad("unknown", "blank", "outsider"),
    )
    def erase_citizen(self, who: int, legal_basis: str | None, by: int, how: str | None) -> None:
        """By the records officer (the staff member holding that role)."""
        free = [c for c in self.citizens if record(self.app).citizen(c).plan_id is None]
        citizen = self._pick(free if free and who % 4 != 3 else self.citizens, who // 4)
        fields = {"citizen_id": citizen, "legal_basis": legal_basis, "reason": "retention ended"}
        may = lambda p: self._has_role(p, StaffRole.RECORDS_OFFICER)  # noqa: E731
        sender = self._choose(by, may, outsider=how == "outsider")
        expect = e.CitizenErased if citizen in self.erased and how is None else None
        if self._send(
            "erase_citizen",
            fields,
            how,
            by=sender,
            may=may(sender),
            expect=expect,
            text="reason",
            target="citizen_id",
        ):
            self.erased.add(citizen)

    # --- the plan ------------------------------------------------------------------------

    @precondition(lambda self: len(self.plans) < 5)
    @rule(
        who=st.lists(PICK, min_size=1, max_size=2),
        coordinator=st.sampled_from((None, LARS, ANNE, SOFIE, BO)),
        replaces=st.sampled_from(((), (SECTOR_PLANS[0],), (SECTOR_PLANS[1], SECTOR_PLANS[2]))),
        by=BY,
        how=bad("unknown", "no-consent", "other-consent", "no-law", "future"),
    )
    def open_plan(
        self,
        who: list[int],
        coordinator: Staff | None,
        replaces: tuple[str, ...],
        by: int,
        how: str | None,
    ) -> None:
        members = list(dict.fromkeys(self._pick(self.citizens, n) for n in who))
        fields: dict[str, Any] = {
            "citizen_ids": members,
            "consent_ids": [self._latest_consent(c) for c in members],
            "legal_bases": ["LAB § 30 b"],
            "replaces": replaces,
            "coordinator": coordinator.id if coordinator else None,
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
        sender = self._choose(by, self._caseworker, besides=(HANNE.id,))  # (never on a plan)
        plan = self._send(
            "open_plan",
            fields,
            how if how == "future" else None,
            by=sender,
            may=self._caseworker(sender),
            expect=expect,
        )
        if plan is not None:
            self.plans.append(plan)

    def _plan_fields(self, n: int, **fields: Any) -> dict[str, Any]:
        return {"plan_id": self._pick(self.plans, n), **fields}

    def _coordinator_of(self, plan_id: UUID) -> str:
        plan = self._plan(plan_id)
        return plan.coordinator.id if plan is not None and plan.coordinator else ANNE.id

    def _on_plan(
        self,
        method: str,
        fields: dict[str, Any],
        how: str | None,
        by: int,
        *,
        may: Callable[[Principal], bool] | None = None,
        **options: Any,
    ) -> Any:
        """Send a command changing the plan ``fields["plan_id"]`` as one who holds it (the
        model's ``_changes_plan``), mostly; ``how == "outsider"``: as one who does not."""
        plan_id = fields["plan_id"]
        may = may or (lambda p: self._changes_plan(p, plan_id))
        sender = self._choose(by, may, outsider=how == "outsider")
        return self._send(method, fields, how, by=sender, may=may(sender), **options)

    @rule(
        plan=PICK,
        who=PICK,
        kind=st.sampled_from(("work", "education", "partial-self-support")),
        by=BY,
        how=bad("unknown", "blank", "control"),
    )
    def record_citizens_wishes(
        self, plan: int, who: int, kind: str, by: int, how: str | None
    ) -> None:
        """The citizen's own words: recorded by the citizen (or their mother for the son)
        as principal, or by staff holding the plan."""
        fields = self._plan_fields(
            plan,
            citizen_id=self._pick(self.citizens, who),
            wishes="I want to work with animals",
            overarching_goal={"kind": kind},
        )
        citizen = fields["citizen_id"]
        self._on_plan(
            "record_citizens_wishes",
            fields,
            how,
            by,
            may=lambda p: (
                self._acts_for(p, citizen)
                or (
                    not isinstance(p, CitizenPrincipal) and self._changes_plan(p, fields["plan_id"])
                )
            ),
            text="wishes",
            target="plan_id",
        )

    @rule(
        plan=PICK,
        coordinator=st.sampled_from(NAMED),
        override=st.booleans(),
        by=BY,
        how=bad("unknown", "not-caseworker", "future", "outsider"),
    )
    def assign_coordinator(
        self, plan: int, coordinator: Staff, override: bool, by: int, how: str | None
    ) -> None:
        fields = self._plan_fields(
            plan,
            coordinator=coordinator.id,
            override_legal_basis="RSL § 11 c" if override else None,
        )
        self._on_plan(
            "assign_coordinator",
            fields,
            how,
            by,
            may=lambda p: self._pulls_in(p, fields["plan_id"]),
            target="plan_id",
            caseworker="coordinator",
        )

    @rule(
        plan=PICK,
        to=st.sampled_from(NAMED),
        stays=st.sampled_from((None, "advisory-partner", "co-coordinator")),
        by=BY,
        how=bad("unknown", "blank", "long", "not-caseworker", "outsider"),
    )
    def hand_over_coordinator(
        self, plan: int, to: Staff, stays: str | None, by: int, how: str | None
    ) -> None:
        fields = self._plan_fields(
            plan, new_coordinator=to.id, reason="moves to another team", previous_stays_as=stays
        )
        self._on_plan(
            "hand_over_coordinator",
            fields,
            how,
            by,
            may=lambda p: self._pulls_in(p, fields["plan_id"]),
            text="reason",
            target="plan_id",
            caseworker="new_coordinator",
        )

    @rule(
        plan=PICK,
        who=st.sampled_from(NAMED),
        role=st.sampled_from(("caseworker", "advisory-partner", "co-coordinator")),
        override=st.booleans(),
        by=BY,
        how=bad("unknown", "not-caseworker", "extra", "outsider"),
    )
    def add_participant(
        self, plan: int, who: Staff, role: str, override: bool, by: int, how: str | None
    ) -> None:
        """A sector pulled in by the coordinator (never the housing caseworker Hanne)."""
        fields = self._plan_fields(
            plan,
            participant=who.id,
            role=role,
            override_legal_basis="RSL § 11 c" if override else None,
        )
        self._on_plan(
            "add_participant",
            fields,
            how,
            by,
            may=lambda p: self._pulls_in(p, fields["plan_id"]),
            target="plan_id",
            caseworker="participant",
        )

    @rule(plan=PICK, who=st.sampled_from(NAMED), by=BY, how=bad("unknown", "blank", "outsider"))
    def remove_participant(self, plan: int, who: Staff, by: int, how: str | None) -> None:
        """Removed by the coordinator, or leaving by themself."""
        fields = self._plan_fields(plan, caseworker_id=who.id, reason="no longer involved")
        self._on_plan(
            "remove_participant",
            fields,
            how,
            by,
            may=lambda p: (
                (self._member(p) is not None and p.id == who.id)
                or self._pulls_in(p, fields["plan_id"])
            ),
            text="reason",
            target="plan_id",
        )

    @rule(
        plan=PICK,
        parent=st.one_of(st.none(), PICK),
        due=st.sampled_from((None, 30, 365, -10)),
        by=BY,
        how=bad("unknown", "blank", "long", "control", "far-future", "outsider"),
    )
    def set_goal(
        self, plan: int, parent: int | None, due: int | None, by: int, how: str | None
    ) -> None:
        plan_id = self._pick(self.plans, plan)
        parents = [g for p, g in self.goals if p == plan_id]
        fields = {
            "plan_id": plan_id,
            "parent_id": self._pick(parents, parent) if parent is not None and parents else None,
            "description": "Takes the bus alone to job training",
            "target": {"measure": "trips alone a week", "value": "3"},
            "due": self._today() + timedelta(days=due) if due is not None else None,
        }
        expect: type[OnePlanError] | None = None
        if how == "far-future":
            fields["due"] = date(9999, 12, 31)
            expect = e.InvalidInput  # (past the last date a command may name)
        goal = self._on_plan(
            "set_goal", fields, how, by, expect=expect, text="description", target="plan_id"
        )
        if goal is not None:
            self.goals.append((plan_id, goal))

    def _goal_fields(self, n: int, how: str | None, **fields: Any) -> dict[str, Any]:
        plan_id, goal_id = self.goals[n % len(self.goals)] if self.goals else (UNKNOWN, UNKNOWN)
        if how == "wrong-goal":
            goal_id = UNKNOWN
        return {"plan_id": plan_id, "goal_id": goal_id, **fields}

    @rule(
        goal=PICK,
        status=st.sampled_from((None, "on-hold", "active", "accepted")),
        by=BY,
        how=bad("wrong-goal", "blank", "nothing-revised", "outsider"),
    )
    def revise_goal(self, goal: int, status: str | None, by: int, how: str | None) -> None:
        fields = self._goal_fields(
            goal, how, reason="the citizen asked", status=status, due=self._today()
        )
        expect: type[OnePlanError] | None = None
        if how == "wrong-goal":
            expect = e.OnePlanError  # GoalNotFound, or the plan refuses first
        self._on_plan("revise_goal", fields, how, by, expect=expect, text="reason")

    @rule(
        goal=PICK,
        achievement=st.sampled_from(list(AchievementStatus)),
        value=st.sampled_from((None, "2", "-1", "1e13")),
        by=BY,
        how=bad("wrong-goal", "long", "nan", "outsider"),
    )
    def record_goal_progress(
        self,
        goal: int,
        achievement: AchievementStatus,
        value: str | None,
        by: int,
        how: str | None,
    ) -> None:
        fields = self._goal_fields(
            goal, how, achievement=achievement, measured_value=value, note="better"
        )
        expect: type[OnePlanError] | None = e.OnePlanError if how == "wrong-goal" else None
        if how == "nan":
            fields["measured_value"], expect = "NaN", e.InvalidInput
        self._on_plan("record_goal_progress", fields, how, by, expect=expect, text="note")

    @rule(
        goal=PICK,
        achievement=st.sampled_from(list(AchievementStatus)),
        by=BY,
        how=bad("wrong-goal", "outsider"),
    )
    def complete_goal(
        self, goal: int, achievement: AchievementStatus, by: int, how: str | None
    ) -> None:
        fields = self._goal_fields(goal, how, achievement=achievement)
        expect = e.OnePlanError if how == "wrong-goal" else None
        self._on_plan("complete_goal", fields, how, by, expect=expect)

    @rule(goal=PICK, by=BY, how=bad("wrong-goal", "blank", "outsider"))
    def cancel_goal(self, goal: int, by: int, how: str | None) -> None:
        fields = self._goal_fields(goal, how, reason="no longer wanted")
        expect = e.OnePlanError if how == "wrong-goal" else None
        self._on_plan("cancel_goal", fields, how, by, expect=expect, text="reason")

    @rule(
        plan=PICK,
        responsible=st.one_of(st.none(), st.tuples(PICK, st.sampled_from(NAMED))),
        next_meeting=st.sampled_from((None, 14)),
        by=BY,
        how=bad("unknown", "no-attendees", "blank-decision", "unknown-intervention", "outsider"),
    )
    def hold_meeting(
        self,
        plan: int,
        responsible: tuple[int, Staff] | None,
        next_meeting: int | None,
        by: int,
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
                    "caseworker": Actor.caseworker(caseworker.id, caseworker.sector),
                }
            )
        coordinator = self._coordinator_of(plan_id)
        fields: dict[str, Any] = {
            "plan_id": plan_id,
            "attendees": [{"id": coordinator}, {"id": "mette", "kind": "citizen"}],
            "decisions": ["the job centre starts job training"],
            "responsibilities": responsibilities,
            "next_meeting": self._today() + timedelta(days=next_meeting) if next_meeting else None,
        }
        expect: type[OnePlanError] | None = None
        if how == "no-attendees":
            fields["attendees"], expect = [], e.InvalidInput
        elif how == "blank-decision":
            fields["decisions"], expect = ["  "], e.InvalidInput
        elif how == "unknown-intervention" and responsibilities:
            expect = e.OnePlanError  # (not in the plan: refused before it is looked up)
        self._on_plan("hold_meeting", fields, how, by, expect=expect, target="plan_id")

    @rule(
        plan=PICK,
        channel=st.sampled_from(("digital-post", "letter", "in-person")),
        by=BY,
        how=bad("unknown", "outsider"),
    )
    def deliver_plan(self, plan: int, channel: str, by: int, how: str | None) -> None:
        fields = self._plan_fields(plan, channel=channel)
        self._on_plan("deliver_plan", fields, how, by, target="plan_id")

    def _records_officer(self, p: Principal) -> bool:
        return self._has_role(p, StaffRole.RECORDS_OFFICER)

    @rule(plan=PICK, by=BY, how=bad("unknown", "blank", "long", "outsider"))
    def deliver_to_archive(self, plan: int, by: int, how: str | None) -> None:
        """By the records officer."""
        fields = self._plan_fields(plan, archive="Rigsarkivet", reference="AV-2026-1")
        self._on_plan(
            "deliver_to_archive",
            fields,
            how,
            by,
            may=self._records_officer,
            text="archive",
            target="plan_id",
        )

    @rule(who=PICK, which=PICK, by=BY, how=bad("unknown", "blank", "outsider"))
    def deliver_sector_plan_to_archive(
        self, who: int, which: int, by: int, how: str | None
    ) -> None:
        """By the records officer."""
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
        }
        sender = self._choose(by, self._records_officer, outsider=how == "outsider")
        self._send(
            "deliver_sector_plan_to_archive",
            fields,
            how,
            by=sender,
            may=self._records_officer(sender),
            text="reference",
            target="citizen_id",
        )

    @rule(plan=PICK, by=BY, how=bad("unknown", "blank", "outsider"))
    def put_plan_on_hold(self, plan: int, by: int, how: str | None) -> None:
        fields = self._plan_fields(plan, reason="the citizen is in hospital")
        self._on_plan("put_plan_on_hold", fields, how, by, text="reason", target="plan_id")

    @rule(plan=PICK, by=BY, how=bad("unknown", "future", "outsider"))
    def resume_plan(self, plan: int, by: int, how: str | None) -> None:
        on_hold = [p for p in self.plans if record(self.app).plan(p).status is PlanStatus.ON_HOLD]
        fields = {
            "plan_id": self._pick(on_hold if on_hold and plan % 4 != 3 else self.plans, plan // 4)
        }
        self._on_plan("resume_plan", fields, how, by, target="plan_id")

    @rule(
        plan=PICK,
        outcome=st.sampled_from(list(PlanOutcome)),
        by=BY,
        how=bad("unknown", "extra", "outsider"),
    )
    def complete_plan(self, plan: int, outcome: PlanOutcome, by: int, how: str | None) -> None:
        fields = self._plan_fields(plan, outcome=outcome)
        self._on_plan("complete_plan", fields, how, by, target="plan_id")

    @rule(plan=PICK, by=BY, how=bad("unknown", "long", "outsider"))
    def withdraw_plan(self, plan: int, by: int, how: str | None) -> None:
        """The citizen (or the mother for her son) withdraws; staff holding the plan may
        send it too (the plan then refuses: only the citizen or a guardian withdraws)."""
        fields = self._plan_fields(plan, reason="I do not want it")
        found = self._plan(fields["plan_id"])
        members = found.citizen_ids if found is not None else ()
        self._on_plan(
            "withdraw_plan",
            fields,
            how,
            by,
            may=lambda p: (
                any(self._acts_for(p, c) for c in members)
                or (
                    not isinstance(p, CitizenPrincipal) and self._changes_plan(p, fields["plan_id"])
                )
            ),
            text="reason",
            target="plan_id",
        )

    @rule(plan=PICK, by=BY, how=bad("unknown", "blank", "outsider"))
    def enter_plan_in_error(self, plan: int, by: int, how: str | None) -> None:
        fields = self._plan_fields(plan, reason="opened for the wrong citizen")
        self._on_plan("enter_plan_in_error", fields, how, by, text="reason", target="plan_id")

    # --- interventions -------------------------------------------------------------------

    @precondition(lambda self: len(self.interventions) < 10)
    @rule(
        plan=PICK,
        who=PICK,
        sector=st.sampled_from(list(Sector)),
        mismatched=st.booleans(),
        cost=st.sampled_from(("0", "1250.50", "99999999.99")),
        by=BY,
        how=bad(
            "unknown", "blank", "not-caseworker", "negative-cost", "period-backwards", "outsider"
        ),
    )
    def propose_intervention(
        self,
        plan: int,
        who: int,
        sector: Sector,
        mismatched: bool,
        cost: str,
        by: int,
        how: str | None,
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
            "responsible": CASEWORKER_BY_SECTOR[sector].id,
            "planned_period": {"start": self._today(), "end": self._today() + timedelta(days=90)},
            "planned_cost": cost,
        }
        expect: type[OnePlanError] | None = None
        if how == "negative-cost":
            fields["planned_cost"], expect = "-1", e.InvalidInput
        elif how == "period-backwards":
            fields["planned_period"] = {"start": self._today(), "end": date(1999, 1, 1)}
            expect = e.InvalidInput
        intervention = self._on_plan(
            "propose_intervention",
            fields,
            how,
            by,
            expect=expect,
            text="title",
            target="plan_id",
            caseworker="responsible",
        )
        if intervention is not None:
            self.interventions.append(intervention)

    def _members(self, plan_id: UUID) -> list[UUID]:
        plan = self._plan(plan_id)
        return list(plan.citizen_ids) if plan is not None else []

    @precondition(lambda self: len(self.interventions) < 10)
    @rule(
        who=PICK,
        which=st.integers(0, len(SECTOR_PLANS) - 1),
        by=BY,
        how=bad("unknown", "blank", "not-caseworker", "wrong-law", "outsider"),
    )
    def propose_intervention_under_sector_plan(
        self, who: int, which: int, by: int, how: str | None
    ) -> None:
        """By the sector's own staff."""
        sector_plan = SECTOR_PLANS[which]
        sector = Sector(sector_plan.split(":")[0])
        fields: dict[str, Any] = {
            "citizen_id": self._pick(self.citizens, who),
            "sector_plan": sector_plan,
            "legal_basis": LEGAL_BASES[sector],
            "title": "Physiotherapy" if sector is Sector.HEALTH else "Support",
            "responsible": CASEWORKER_BY_SECTOR[sector].id,
            "planned_period": {"start": self._today()},
        }
        if how == "wrong-law":
            fields["legal_basis"] = (
                "BL § 32" if sector is not Sector.CHILDREN_AND_FAMILY else "LAB § 32"
            )
        may = lambda p: self._of_sector(p, sector)  # noqa: E731
        sender = self._choose(by, may, outsider=how == "outsider")
        intervention = self._send(
            "propose_intervention_under_sector_plan",
            fields,
            how,
            by=sender,
            may=may(sender),
            text="title",
            target="citizen_id",
            caseworker="responsible",
        )
        if intervention is not None:
            self.interventions.append(intervention)

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
        by: int,
        *,
        fits: Callable[[Intervention], bool] | None = None,
        text: str | None = None,
        expect: type[OnePlanError] | None = None,
        **fields: Any,
    ) -> None:
        """A step of an intervention, sent by one who holds it (its responsible
        caseworker, its plan's coordinators, staff of its sector with authority under its
        law), mostly; ``how == "outsider"``: by one who does not."""
        intervention = self._fitting(n, fits)
        may = lambda p: self._holds_intervention(p, intervention)  # noqa: E731
        sender = self._choose(by, may, outsider=how == "outsider")
        fields = {"intervention_id": intervention, **fields}
        self._send(
            method,
            fields,
            how,
            by=sender,
            may=may(sender),
            expect=expect,
            text=text,
            target="intervention_id",
        )

    @rule(which=PICK, by=BY, how=bad("unknown", "outsider", "long"))
    def grant_intervention(self, which: int, by: int, how: str | None) -> None:
        """By one who holds the intervention; rule 3 then asks for authority under its
        law (a coordinator without it is refused by the intervention, not the trust
        rules)."""
        self._on_intervention(
            "grant_intervention",
            which,
            how,
            by,
            fits=lambda i: i.decision is None,
            text="note",
            note="granted",
        )

    @rule(which=PICK, days=st.sampled_from((0, 10, -400)), by=BY, how=bad("unknown", "far-past"))
    def schedule_intervention(self, which: int, days: int, by: int, how: str | None) -> None:
        start = self._today() + timedelta(days=days)
        if how == "far-past":
            start = date(1, 1, 1)
        self._on_intervention(
            "schedule_intervention",
            which,
            how if how == "unknown" else None,
            by,
            expect=e.InvalidInput if how == "far-past" else None,
            start_on=start,
        )

    @rule(which=PICK, by=BY, how=bad("unknown", "future", "past", "outsider"))
    def start_intervention(self, which: int, by: int, how: str | None) -> None:
        self._on_intervention(
            "start_intervention",
            which,
            how,
            by,
            fits=lambda i: i.status in (S.NOT_STARTED, S.SCHEDULED) and i.decision is not None,
        )

    @rule(
        which=PICK,
        resume=st.sampled_from((None, 30)),
        by=BY,
        how=bad("unknown", "blank", "control", "outsider"),
    )
    def pause_intervention(self, which: int, resume: int | None, by: int, how: str | None) -> None:
        self._on_intervention(
            "pause_intervention",
            which,
            how,
            by,
            fits=lambda i: i.status is S.IN_PROGRESS,
            text="reason",
            reason="the citizen is ill",
            expected_resume=self._today() + timedelta(days=resume) if resume else None,
        )

    @rule(which=PICK, by=BY, how=bad("unknown", "naive", "outsider"))
    def resume_intervention(self, which: int, by: int, how: str | None) -> None:
        self._on_intervention(
            "resume_intervention", which, how, by, fits=lambda i: i.status is S.ON_HOLD
        )

    @rule(
        which=PICK,
        outcome=st.sampled_from(list(InterventionOutcome)),
        by=BY,
        how=bad("unknown", "outsider"),
    )
    def complete_intervention(
        self, which: int, outcome: InterventionOutcome, by: int, how: str | None
    ) -> None:
        self._on_intervention(
            "complete_intervention",
            which,
            how,
            by,
            fits=lambda i: i.status.has_started,
            outcome=outcome,
            note="done",
        )

    @rule(which=PICK, by=BY, how=bad("unknown", "blank", "outsider"))
    def stop_intervention(self, which: int, by: int, how: str | None) -> None:
        self._on_intervention(
            "stop_intervention",
            which,
            how,
            by,
            fits=lambda i: i.status.has_started,
            text="reason",
            reason="moved away",
        )

    @rule(which=PICK, by=BY, how=bad("unknown", "blank", "outsider"))
    def cancel_intervention(self, which: int, by: int, how: str | None) -> None:
        self._on_intervention(
            "cancel_intervention",
            which,
            how,
            by,
            fits=lambda i: not i.status.has_started,
            text="reason",
            reason="no longer needed",
        )

    @rule(
        which=PICK,
        to=st.sampled_from(NAMED),
        by=BY,
        how=bad("unknown", "blank", "citizen", "outsider"),
    )
    def reassign_responsible(self, which: int, to: Staff, by: int, how: str | None) -> None:
        self._on_intervention(
            "reassign_responsible",
            which,
            None if how == "citizen" else how,
            by,
            text="reason",
            expect=e.OnePlanError if how == "citizen" else None,
            new_responsible=CITIZEN if how == "citizen" else to.id,
            reason="new team",
        )

    @rule(
        which=PICK,
        amount=st.sampled_from(("10.00", "0", "5000000.00")),
        by=BY,
        how=bad("unknown", "negative", "too-precise", "huge", "outsider"),
    )
    def record_actual_cost(self, which: int, amount: str, by: int, how: str | None) -> None:
        expect: type[OnePlanError] | None = None
        if how in ("negative", "too-precise", "huge"):
            amount = {"negative": "-10", "too-precise": "0.001", "huge": "9" * 20}[how]
            expect = e.InvalidInput
        self._on_intervention(
            "record_actual_cost",
            which,
            how if how in ("unknown", "outsider") else None,
            by,
            expect=expect,
            amount=amount,
            budget_area="service",
            period={"start": self._today() - timedelta(days=30), "end": self._today()},
        )

    @rule(
        which=PICK,
        on=PICK,
        type=st.sampled_from(("after-end", "after-start", "concurrent")),
        by=BY,
        how=bad("unknown", "itself", "outsider"),
    )
    def add_dependency(self, which: int, on: int, type: str, by: int, how: str | None) -> None:
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
        fields = {"intervention_id": intervention, "on_intervention_id": other, "type": type}
        may = lambda p: self._holds_intervention(p, intervention)  # noqa: E731
        sender = self._choose(by, may, outsider=how == "outsider")
        self._send(
            "add_dependency",
            fields,
            None if how == "itself" else how,
            by=sender,
            may=may(sender),
            expect=e.OnePlanError if how == "itself" else None,
            target="on_intervention_id",
        )

    # --- the staff directory ---------------------------------------------------------

    def _administrator(self, p: Principal) -> bool:
        return self._has_role(p, StaffRole.ADMINISTRATOR)

    def _changeable(self) -> list[str]:
        """The staff the staff rules change: two caseworkers without authority, and
        everyone registered during the course."""
        return [*CHANGEABLE, *(sid for sid in self.staff if sid.startswith("new."))]

    @precondition(lambda self: self.hired < 3)
    @rule(
        sector=st.sampled_from(list(Sector)),
        by=BY,
        how=bad("id-in-use", "blank", "long", "outsider"),
    )
    def register_staff(self, sector: Sector, by: int, how: str | None) -> None:
        """An administrator registers a new caseworker."""
        staff_id = "tove" if how == "id-in-use" else f"new.{self.hired + 1}"
        sender = self._choose(by, self._administrator, outsider=how == "outsider")
        found = self._send(
            "register_staff",
            {"staff_id": staff_id, "name": f"Caseworker {staff_id}", "sector": sector},
            how,
            by=sender,
            may=self._administrator(sender),
            expect=e.InvalidInput if how == "id-in-use" else None,
            text="name",
        )
        if found is not None:
            self.hired += 1
            self.staff[staff_id] = StaffModel(sector, {StaffRole.CASEWORKER})

    @rule(who=PICK, by=BY, how=bad("unknown", "long", "outsider"))
    def change_staff_contact_details(self, who: int, by: int, how: str | None) -> None:
        """By an administrator, or the staff member themself."""
        staff_id = "nobody" if how == "unknown" else self._pick(sorted(self.staff), who)

        def may(p: Principal) -> bool:
            return self._administrator(p) or (self._member(p) is not None and p.id == staff_id)

        sender = self._choose(by, may, outsider=how == "outsider")
        self._send(
            "change_staff_contact_details",
            {"staff_id": staff_id, "title": "Caseworker", "contact": {"phone": "+45 12345678"}},
            None if how == "unknown" else how,
            by=sender,
            may=may(sender),
            expect=e.StaffNotFound if how == "unknown" else None,
            text="title",
        )

    @rule(
        who=PICK,
        role=st.sampled_from(list(StaffRole)),
        by=BY,
        how=bad("unknown", "outsider"),
    )
    def grant_staff_role(self, who: int, role: StaffRole, by: int, how: str | None) -> None:
        staff_id = "nobody" if how == "unknown" else self._pick(self._changeable(), who)
        member = self.staff.get(staff_id)
        if member is not None and role in member.roles and not member.left:
            return  # (held already: granting it again records nothing)
        sender = self._choose(by, self._administrator, outsider=how == "outsider")
        if self._send(
            "grant_staff_role",
            {"staff_id": staff_id, "role": role},
            None if how == "unknown" else how,
            by=sender,
            may=self._administrator(sender),
            expect=e.StaffNotFound if how == "unknown" else None,
        ):
            assert member is not None
            member.roles.add(role)

    @rule(who=PICK, role=PICK, by=BY, how=bad("not-held", "blank", "outsider"))
    def revoke_staff_role(self, who: int, role: int, by: int, how: str | None) -> None:
        staff_id = self._pick(self._changeable(), who)
        member = self.staff[staff_id]
        held = sorted(member.roles)
        revoked = (
            self._pick(held, role)
            if held and how != "not-held"
            else self._pick([r for r in StaffRole if r not in member.roles], role)
        )
        sender = self._choose(by, self._administrator, outsider=how == "outsider")
        if self._send(
            "revoke_staff_role",
            {"staff_id": staff_id, "role": revoked, "reason": "moved to another job"},
            None if how == "not-held" else how,
            by=sender,
            may=self._administrator(sender),
            expect=e.OnePlanError if how == "not-held" or member.left else None,
            text="reason",
        ):
            member.roles.discard(revoked)

    def _delegates_to(self, staff_id: str) -> Callable[[Principal], bool]:
        """A manager of the member's sector, never the member themself."""
        target = self.staff.get(staff_id)
        return lambda p: (
            target is not None
            and self._has_role(p, StaffRole.MANAGER)
            and cast(StaffModel, self._member(p)).sector is target.sector
            and p.id != staff_id
        )

    @rule(
        who=PICK,
        law=PICK,
        lasts=st.sampled_from((None, 30)),
        by=BY,
        how=bad("unknown", "blank", "outsider"),
    )
    def delegate_authority(
        self, who: int, law: int, lasts: int | None, by: int, how: str | None
    ) -> None:
        """A manager of the sector delegates authority under one of its laws (or
        another's: a cross-authority caseworker), open or for a month."""
        staff_id = "nobody" if how == "unknown" else self._pick(self._changeable(), who)
        member = self.staff.get(staff_id)
        laws = [*LAWS_OF[member.sector], Law.SEL] if member is not None else [Law.LAB]
        delegated = self._pick(laws, law)
        end = self._today() + timedelta(days=lasts) if lasts else None
        delegation_id = self._command_id()
        may = self._delegates_to(staff_id)
        sender = self._choose(by, may, outsider=how == "outsider")
        if self._send(
            "delegate_authority",
            {
                "staff_id": staff_id,
                "delegation_id": delegation_id,
                "law": delegated,
                "basis": "the delegation plan, item 4",
                "period": {"start": self._today(), "end": end},
            },
            None if how == "unknown" else how,
            by=sender,
            may=may(sender),
            expect=e.StaffNotFound if how == "unknown" else None,
            text="basis",
        ):
            assert member is not None
            member.delegations[delegation_id] = (delegated, end)

    @rule(who=PICK, which=PICK, by=BY, how=bad("unknown", "blank", "outsider"))
    def revoke_delegation(self, who: int, which: int, by: int, how: str | None) -> None:
        held = [
            (sid, did) for sid in self._changeable() for did in sorted(self.staff[sid].delegations)
        ]
        if not held:
            return
        staff_id, delegation_id = self._pick(held, which)
        if how == "unknown":
            delegation_id = UNKNOWN
        member = self.staff[staff_id]
        may = self._delegates_to(staff_id)
        sender = self._choose(by, may, outsider=how == "outsider")
        if self._send(
            "revoke_delegation",
            {"staff_id": staff_id, "delegation_id": delegation_id, "reason": "reorganised"},
            None if how == "unknown" else how,
            by=sender,
            may=may(sender),
            expect=e.OnePlanError if how == "unknown" else None,
            text="reason",
        ):
            del member.delegations[delegation_id]

    @rule(who=PICK, by=BY, how=bad("blank", "outsider"))
    def staff_leaves(self, who: int, by: int, how: str | None) -> None:
        """An administrator records that a staff member left: from then on they neither
        act, nor read, nor are named."""
        staff_id = self._pick(self._changeable(), who)
        member = self.staff[staff_id]
        sender = self._choose(by, self._administrator, outsider=how == "outsider")
        if self._send(
            "staff_leaves",
            {"staff_id": staff_id, "reason": "left the municipality"},
            how,
            by=sender,
            may=self._administrator(sender),
            expect=e.OnePlanError if member.left else None,
            text="reason",
        ):
            member.left = True

    # --- commands again ------------------------------------------------------------------

    @precondition(lambda self: self.sent)
    @rule(which=PICK)
    def a_command_repeated_with_its_id_adds_nothing(self, which: int) -> None:
        by, method, fields, result = self._pick(self.sent, which)
        before = self._head()
        again = getattr(self.app.as_(by), method)(**fields)
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
        _, method, fields, _ = self._pick(self.sent, which)
        if method == "record_outcome":
            return
        self._send(
            "record_outcome",
            {
                "citizen_id": self.citizens[0],
                "outcome": outcome,
                "command_id": fields["command_id"],
            },
            by=Principal.staff(ANNE.id),
            may=True,
            expect=e.CommandIdReused,
        )

    # --- reads of personal data (rule 14) ----------------------------------------------

    def _citizens_of(self, plan_id: UUID) -> tuple[UUID, ...]:
        plan = self._plan(plan_id)
        return tuple(plan.citizen_ids) if plan is not None else ()

    @rule(plan=PICK, by=BY, own_sector=st.booleans())
    def a_sector_view_is_read(self, plan: int, by: int, own_sector: bool) -> None:
        """By staff, as the sector the directory gives them (naming it, or not); every
        item shown is logged. Anyone else is refused."""
        plan_id = self._pick(self.plans, plan)
        may = lambda p: self._member(p) is not None  # noqa: E731
        reader = self._choose(by, may)
        member = self._member(reader)
        sector = member.sector if own_sector and member is not None else None
        self._read(
            "sector_view",
            reader,
            may(reader),
            lambda s: s.sector_view(plan_id, sector=sector),
            about=self._citizens_of(plan_id),
            what="sector-view",
        )

    @rule(plan=PICK, by=BY)
    def the_citizens_plan_is_read(self, plan: int, by: int) -> None:
        """By the citizen (or the mother, for her son), staff holding the plan, an
        auditor; not by staff outside it, nor another citizen."""
        plan_id = self._pick(self.plans, plan)
        may = lambda p: self._reads_plan(p, plan_id)  # noqa: E731
        reader = self._choose(by, may)
        self._read(
            "citizen_plan",
            reader,
            may(reader),
            lambda s: s.citizen_plan(plan_id, language="en"),
            about=self._citizens_of(plan_id),
            what="citizen-plan",
        )

    @rule(who=PICK, by=BY)
    def a_journey_is_read(self, who: int, by: int) -> None:
        """By the citizen (or a holder of custody), staff holding their plan, an auditor."""
        citizen = self._pick(self.citizens, who)
        plan_id = record(self.app).citizen(citizen).plan_id

        def may(p: Principal) -> bool:
            if isinstance(p, CitizenPrincipal):
                return self._acts_for(p, citizen)
            if isinstance(p, AuditorPrincipal):
                return True
            return (
                self._member(p) is not None
                and plan_id is not None
                and p.id in self._holding(self._plan(plan_id))
            )

        reader = self._choose(by, may)
        self._read(
            "journey",
            reader,
            may(reader),
            lambda s: s.journey(citizen),
            about=(citizen,),
            what="journey",
        )

    @rule(plan=PICK, by=BY, with_basis=st.booleans(), system=st.booleans())
    def a_plan_is_exported_as_fhir(
        self, plan: int, by: int, with_basis: bool, system: bool
    ) -> None:
        """To a named system: by staff holding the plan, an auditor or a system job; under
        the plan's active consents, or a named legal basis."""
        plan_id = self._pick(self.plans, plan)
        found = self._plan(plan_id)
        now = self.clock()
        consented = found is not None and any(
            consent.is_active_at(now)
            for c in found.citizen_ids
            for cid, consent in record(self.app).citizen(c).consents.items()
            if cid in found.consent_ids
        )

        def may(p: Principal) -> bool:
            if isinstance(p, CitizenPrincipal):
                return False
            exports = isinstance(p, AuditorPrincipal | SystemPrincipal) or (
                self._member(p) is not None and p.id in self._holding(found)
            )
            return exports and (with_basis or consented)

        reader = SYSTEM if system else self._choose(by, may)
        self._read(
            "fhir_bundle",
            reader,
            may(reader),
            lambda s: s.fhir_bundle(
                plan_id, recipient=RECIPIENT, legal_basis="SEL § 12" if with_basis else None
            ),
            about=self._citizens_of(plan_id),
            what="fhir-export",
        )

    @rule(
        kind=st.sampled_from(("plan", "citizen", "intervention")),
        which=PICK,
        by=BY,
    )
    def the_full_record_is_read(self, kind: str, which: int, by: int) -> None:
        """By an auditor (logged, under their basis) or a system job (not logged); staff
        and citizens are refused."""
        may = lambda p: isinstance(p, AuditorPrincipal | SystemPrincipal)  # noqa: E731
        reader = self._choose(by, may)
        read: Callable[[Session], Any]
        if kind == "plan":
            plan_id = self._pick(self.plans, which)
            about = self._citizens_of(plan_id)
            read = lambda s: s.record.plan(plan_id)  # noqa: E731
        elif kind == "citizen":
            citizen = self._pick(self.citizens, which)
            about = (citizen,)
            read = lambda s: s.record.citizen(citizen)  # noqa: E731
        else:
            intervention = self._pick(self.interventions, which)
            about = (record(self.app).intervention(intervention).citizen_id,)
            read = lambda s: s.record.intervention(intervention)  # noqa: E731
        self._read(
            f"record.{kind}",
            reader,
            may(reader),
            read,
            about=about,
            what="full-record",
            logged=isinstance(reader, AuditorPrincipal),
        )

    @rule(who=PICK, by=BY)
    def an_access_log_is_read(self, who: int, by: int) -> None:
        """By the citizen (not logged), a holder of their custody, an auditor or the
        records officer (logged: who looked at who looked)."""
        citizen = self._pick([c for c in self.citizens if c not in self.erased], who)
        if citizen == UNKNOWN:
            return
        may = lambda p: (  # noqa: E731
            self._acts_for(p, citizen)
            or isinstance(p, AuditorPrincipal)
            or self._has_role(p, StaffRole.RECORDS_OFFICER)
        )
        reader = self._choose(by, may)
        self._read(
            "access_log",
            reader,
            may(reader),
            lambda s: s.access_log(citizen),
            about=(citizen,),
            what="access-log",
            logged=reader != Principal.citizen(citizen),
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

    @invariant()
    def the_staff_directory_says_what_the_model_says(self) -> None:
        """Rule 11: who is in the directory now, their roles and their authority."""
        now, directory = self.clock(), self.app.as_(SYSTEM)
        for staff_id, model in self.staff.items():
            member = directory.staff_member(staff_id)
            assert member.active_at(now) is not model.left, staff_id
            held = {role for role in StaffRole if member.holds_role(role, now)}
            assert held == (set() if model.left else model.roles), (staff_id, held)
            assert set(member.authorities_at(now)) == model.laws(self._today()), staff_id
        assert {m.staff_id for m in directory.staff()} == set(self.staff)

    @invariant()
    def every_disclosure_is_in_the_access_log(self) -> None:
        """Rule 14: each citizen's access log (read by the citizen themself) holds exactly
        the disclosures of their data the model counted; no command disclosed anything."""
        for citizen, entries in self._logs().items():
            assert len(entries) == self.disclosed[citizen], (
                f"the access log of {citizen} holds {len(entries)} entries, "
                f"{self.disclosed[citizen]} disclosures were made"
            )

    def _one_open_plan_per_citizen(self, citizens: list[Citizen], plans: list[Plan]) -> None:
        """Rule 1."""
        for citizen in citizens:
            open_plans = [p.id for p in plans if p.status in OPEN and citizen.id in p.citizen_ids]
            assert len(open_plans) <= 1, f"citizen {citizen.id} in open plans {open_plans}"
            assert citizen.plan_id == (open_plans[0] if open_plans else None)

    def _plan_rules(self, plan: Plan, by_id: dict[UUID, Any]) -> None:
        assert HANNE.id not in self._holding(plan), "the housing caseworker got onto a plan"
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
        staff = [self.app._load(StaffMember, staff_member_id(sid)) for sid in self.staff]
        fresh = SameStore(self.app)
        try:
            for live in (*citizens, *plans, *interventions, *staff):
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


WholeApplication.TestCase.settings = settings(stateful_step_count=40)
TestWholeApplication = WholeApplication.TestCase

NOT_COMMANDS = {
    "time_passes",
    "a_command_repeated_with_its_id_adds_nothing",
    "a_command_id_used_for_another_command_is_refused",
    "a_sector_view_is_read",
    "the_citizens_plan_is_read",
    "a_journey_is_read",
    "a_plan_is_exported_as_fhir",
    "the_full_record_is_read",
    "an_access_log_is_read",
}
"""The rules that send no command of their own (the reads)."""


def test_every_command_has_a_rule_in_the_machine() -> None:
    rules = {
        name
        for name, member in vars(WholeApplication).items()
        if callable(member) and hasattr(member, "hypothesis_stateful_rule")
    }
    commands = {snake(command.__name__) for command in COMMANDS}
    assert commands - rules == set(), "commands no rule sends"
    assert rules - commands == NOT_COMMANDS
    assert all(hasattr(Session, name) for name in commands)

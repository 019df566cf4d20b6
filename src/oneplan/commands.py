"""Commands: what callers ask oneplan to do, parsed and validated by pydantic.

A command never says who sends it: the principal the host authenticated does
(``app.as_(principal).set_goal(...)``, ``oneplan.principals``), and the ``Actor``
recorded on its events is derived from that principal and the staff directory. A
command may give an ``effective_at`` (when it happened in the citizen's course; never
in the future; defaults to the application's clock) and a caller-chosen
``command_id`` (repeating a command with the same id adds no second event and returns
the first result). Staff named in a command (a coordinator, a responsible caseworker,
a participant) are named by their staff id: their sector and authorities come from
the staff directory, never from the command.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from oneplan.values import (
    AchievementStatus,
    Actor,
    BudgetArea,
    CaseworkerId,
    ConsentGivenHow,
    ConsentGiver,
    ContactDetails,
    CprNumber,
    DeliveryChannel,
    DependencyType,
    GoalStatus,
    InformationCategory,
    InterventionOutcome,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OptionalText,
    OverarchingGoal,
    ParticipantRole,
    Period,
    PlanOutcome,
    Responsibility,
    Sector,
    SectorPlanRef,
    StaffRole,
    Target,
    Text,
)

__all__ = [
    "COMMANDS",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "AddDependency",
    "AddParticipant",
    "AssignCoordinator",
    "CancelGoal",
    "CancelIntervention",
    "ChangeStaffContactDetails",
    "Command",
    "CompleteGoal",
    "CompleteIntervention",
    "CompletePlan",
    "DelegateAuthority",
    "DeliverPlan",
    "DeliverSectorPlanToArchive",
    "DeliverToArchive",
    "EndCustody",
    "EnterPlanInError",
    "EraseCitizen",
    "GrantConsent",
    "GrantIntervention",
    "GrantStaffRole",
    "HandOverCoordinator",
    "HoldMeeting",
    "ImposeSanction",
    "OpenPlan",
    "PauseIntervention",
    "ProposeIntervention",
    "ProposeInterventionUnderSectorPlan",
    "PutPlanOnHold",
    "ReassignResponsible",
    "RecordActualCost",
    "RecordBenefitPaid",
    "RecordCitizensWishes",
    "RecordCustody",
    "RecordGoalProgress",
    "RecordOutcome",
    "RecordSocialContactMade",
    "RecordSocialContactPerson",
    "RegisterCitizen",
    "RegisterStaff",
    "RemoveParticipant",
    "ResponsibilityFor",
    "ResumeIntervention",
    "ResumePlan",
    "ReviseGoal",
    "RevokeConsent",
    "RevokeDelegation",
    "RevokeStaffRole",
    "ScheduleIntervention",
    "SetGoal",
    "StaffLeaves",
    "StaffRef",
    "StartIntervention",
    "StopIntervention",
    "WithdrawPlan",
    "dates_out_of_range",
]


def _staff_id(value: Any) -> Any:
    """A staff member named by id; an ``Actor`` or a staff principal is taken for its id
    only."""
    if isinstance(value, Actor):
        return value.id
    staff_id = getattr(value, "staff_id", None)
    return staff_id if isinstance(staff_id, str) else value


StaffRef = Annotated[CaseworkerId, BeforeValidator(_staff_id)]
"""A staff member named in a command, by their id in the staff directory (an ``Actor``
is accepted for its id alone: the sector and authorities recorded come from the
directory at the command's effective time)."""

Reason = Annotated[OptionalText, Field(max_length=2_000)]


def _responsibility(value: Any) -> Any:
    """A recorded ``Responsibility`` (an ``Actor`` as caseworker) is taken for its ids."""
    if isinstance(value, Responsibility):
        return {"intervention_id": value.intervention_id, "caseworker": value.caseworker.id}
    return value


class ResponsibilityFor(BaseModel):
    """A meeting's decision that a staff member is responsible for an intervention: the
    caseworker named by their staff id (their sector and authorities are read from the
    directory at the meeting's effective time)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    intervention_id: UUID
    caseworker: StaffRef


MeetingResponsibility = Annotated[ResponsibilityFor, BeforeValidator(_responsibility)]
ShortText = Annotated[Text, Field(max_length=500)]


class Command(BaseModel):
    """Base of every command."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    retry_on_conflict: ClassVar[bool] = True
    """Whether a version conflict with a concurrent writer may be retried by deciding
    again on fresh state. False where the caller's intent depends on what they saw."""

    effective_at: AwareDatetime | None = None
    command_id: UUID | None = None


# --- citizen ------------------------------------------------------------------------


class RegisterCitizen(Command):
    citizen_id: UUID | None = None
    name: ShortText
    birth_date: date | None = None
    """Needed unless a CPR number is given (which encodes it)."""
    cpr: CprNumber | None = None
    """The CPR number (*personnummer*), ``DDMMYY-SSSS``: validated (format and date),
    sealed when stored, and found again only through ``OnePlan.citizen_by_cpr``."""


class EraseCitizen(Command):
    """Erase a citizen's personal data at the end of retention (rule 10)."""

    retry_on_conflict: ClassVar[bool] = False
    citizen_id: UUID
    reason: ShortText = "retention ended"
    legal_basis: LegalBasis | None = None
    """The legal basis for erasing case files not delivered to the public archive."""


class GrantConsent(Command):
    citizen_id: UUID
    consent_id: UUID | None = None
    recipient_sectors: tuple[Sector, ...] = Field(min_length=1)
    categories: tuple[InformationCategory, ...] = Field(min_length=1)
    purpose: ShortText
    period: Period
    given_by: tuple[ConsentGiver, ...] = ()
    """Who gave it. A citizen principal may leave it out (they gave it, themself or as
    the holder of custody); a caseworker recording it names who gave it."""
    given_how: ConsentGivenHow | None = None
    """How the citizen gave it: required when a caseworker records it (rule 13)."""


class RevokeConsent(Command):
    citizen_id: UUID
    consent_id: UUID
    sectors: tuple[Sector, ...] = ()
    """Revoke for these sectors only; empty revokes the whole consent."""
    reason: Reason = ""
    given_how: ConsentGivenHow | None = None
    """How the citizen revoked it: required when a caseworker records it (rule 13)."""


class RecordSocialContactPerson(Command):
    """Record the citizen's contact person in social services (the one the Randers rule names)."""

    citizen_id: UUID
    contact_person: StaffRef


class RecordSocialContactMade(Command):
    citizen_id: UUID
    regarding: ShortText


class ImposeSanction(Command):
    citizen_id: UUID
    sanction_id: UUID | None = None
    legal_basis: LegalBasis
    reason: ShortText


class RecordBenefitPaid(Command):
    """A benefit (such as kontanthjælp) paid to the citizen for a closed period, booked to
    the paying sector's transfers budget area."""

    citizen_id: UUID
    benefit_id: UUID | None = None
    sector: Sector
    legal_basis: LegalBasis
    amount: Money
    period: Period


class RecordOutcome(Command):
    """Where the citizen's course stands at a follow-up."""

    citizen_id: UUID
    outcome: PlanOutcome


# --- plan ---------------------------------------------------------------------------


class OpenPlan(Command):
    plan_id: UUID | None = None
    citizen_ids: tuple[UUID, ...] = Field(min_length=1, max_length=20)
    consent_ids: tuple[UUID, ...] = Field(min_length=1)
    legal_bases: tuple[LegalBasis, ...] = Field(min_length=1)
    replaces: tuple[SectorPlanRef, ...] = ()
    coordinator: StaffRef | None = None
    """The plan's first coordinator; without one the plan stays in draft."""


class RecordCitizensWishes(Command):
    plan_id: UUID
    citizen_id: UUID
    wishes: Text
    overarching_goal: OverarchingGoal


class AssignCoordinator(Command):
    """Give a plan its first coordinator (*plankoordinator*); a draft plan becomes active."""

    plan_id: UUID
    coordinator: StaffRef
    override_legal_basis: LegalBasis | None = None


class HandOverCoordinator(Command):
    plan_id: UUID
    new_coordinator: StaffRef
    reason: ShortText
    previous_stays_as: ParticipantRole | None = None
    override_legal_basis: LegalBasis | None = None
    retry_on_conflict: ClassVar[bool] = False


class AddParticipant(Command):
    plan_id: UUID
    participant: StaffRef
    role: ParticipantRole = ParticipantRole.CASEWORKER
    override_legal_basis: LegalBasis | None = None
    """Share without a covering consent under this legal basis (logged as such)."""


class RemoveParticipant(Command):
    """Take a caseworker off the plan, with a reason."""

    plan_id: UUID
    caseworker_id: CaseworkerId
    reason: ShortText


class SetGoal(Command):
    plan_id: UUID
    goal_id: UUID | None = None
    parent_id: UUID | None = None
    description: ShortText
    target: Target | None = None
    due: date | None = None
    status: GoalStatus = GoalStatus.ACTIVE


class ReviseGoal(Command):
    """Revise a goal's description, target, due date or lifecycle status, with a reason."""

    plan_id: UUID
    goal_id: UUID
    reason: ShortText
    description: ShortText | None = None
    target: Target | None = None
    due: date | None = None
    status: GoalStatus | None = None
    retry_on_conflict: ClassVar[bool] = False


class RecordGoalProgress(Command):
    """Record progress against a goal (its achievement status, and a measured value)."""

    plan_id: UUID
    goal_id: UUID
    achievement: AchievementStatus
    measured_value: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=14)] | None = None
    note: Reason = ""


class CompleteGoal(Command):
    """Complete a goal, achieved or not; its sub-goals are finished first."""

    plan_id: UUID
    goal_id: UUID
    achievement: AchievementStatus = AchievementStatus.ACHIEVED


class CancelGoal(Command):
    """Cancel a goal, with a reason; its sub-goals are finished first."""

    plan_id: UUID
    goal_id: UUID
    reason: ShortText


class HoldMeeting(Command):
    plan_id: UUID
    meeting_id: UUID | None = None
    attendees: tuple[MeetingAttendee, ...] = Field(min_length=1)
    decisions: tuple[ShortText, ...] = ()
    responsibilities: tuple[MeetingResponsibility, ...] = ()
    """Who is responsible for which intervention: ``{"intervention_id", "caseworker":
    staff id}`` (a ``Responsibility`` with an ``Actor`` is taken for its ids)."""
    next_meeting: date | None = None


class DeliverPlan(Command):
    plan_id: UUID
    channel: DeliveryChannel = DeliveryChannel.DIGITAL_POST


class DeliverToArchive(Command):
    """Record that a closed plan was delivered to the public archive."""

    plan_id: UUID
    archive: ShortText
    reference: ShortText


class DeliverSectorPlanToArchive(Command):
    """Record that one of a citizen's own sector plans, closed (every intervention held
    under it finished), was delivered to the public archive as a case file."""

    citizen_id: UUID
    sector_plan: SectorPlanRef
    archive: ShortText
    reference: ShortText


class PutPlanOnHold(Command):
    """Put an active plan on hold, with a reason."""

    plan_id: UUID
    reason: ShortText


class ResumePlan(Command):
    """Resume a plan that is on hold."""

    plan_id: UUID


class CompletePlan(Command):
    plan_id: UUID
    outcome: PlanOutcome


class WithdrawPlan(Command):
    plan_id: UUID
    reason: Reason = ""


class EnterPlanInError(Command):
    """Mark a plan as never meant to be opened (a correction: nothing is deleted)."""

    plan_id: UUID
    reason: ShortText


# --- intervention -------------------------------------------------------------------


class ProposeIntervention(Command):
    plan_id: UUID
    intervention_id: UUID | None = None
    citizen_id: UUID
    sector: Sector
    legal_basis: LegalBasis
    title: ShortText
    goal_ids: tuple[UUID, ...] = ()
    responsible: StaffRef
    planned_period: Period
    planned_cost: Money = Money(amount=Decimal(0))
    budget_area: BudgetArea = BudgetArea.SERVICE


class ProposeInterventionUnderSectorPlan(Command):
    """An intervention held under the citizen's own sector plan, for a citizen who has no
    coordinated plan."""

    intervention_id: UUID | None = None
    citizen_id: UUID
    sector_plan: SectorPlanRef
    legal_basis: LegalBasis
    title: ShortText
    responsible: StaffRef
    planned_period: Period
    planned_cost: Money = Money(amount=Decimal(0))
    budget_area: BudgetArea = BudgetArea.SERVICE


class GrantIntervention(Command):
    intervention_id: UUID
    decision_id: UUID | None = None
    note: Reason = ""


class ScheduleIntervention(Command):
    """Schedule an intervention (*indsats*) to start on a date."""

    intervention_id: UUID
    start_on: date


class StartIntervention(Command):
    intervention_id: UUID


class PauseIntervention(Command):
    """Pause a running intervention, with a reason and an expected resume date (rule 5)."""

    intervention_id: UUID
    reason: ShortText
    expected_resume: date | None = None


class ResumeIntervention(Command):
    """Resume a paused intervention (rule 5: only a paused one resumes)."""

    intervention_id: UUID


class CompleteIntervention(Command):
    """Complete a running intervention, with its outcome against its goals."""

    intervention_id: UUID
    outcome: InterventionOutcome
    note: Reason = ""


class StopIntervention(Command):
    """End an intervention early, after it has started, with a reason."""

    intervention_id: UUID
    reason: ShortText


class CancelIntervention(Command):
    """Withdraw an intervention before it starts, with a reason."""

    intervention_id: UUID
    reason: ShortText


class ReassignResponsible(Command):
    """Make another caseworker responsible for an intervention (rule 4: exactly one)."""

    intervention_id: UUID
    new_responsible: StaffRef
    reason: ShortText
    retry_on_conflict: ClassVar[bool] = False


class RecordActualCost(Command):
    """Book an actual cost of an intervention to a budget area, for a period."""

    intervention_id: UUID
    amount: Money
    budget_area: BudgetArea
    period: Period


class AddDependency(Command):
    intervention_id: UUID
    on_intervention_id: UUID
    type: DependencyType = DependencyType.AFTER_END


# --- custody and the staff directory --------------------------------------------------


class RecordCustody(Command):
    """Record who holds custody of a citizen (*forældremyndighed*), so that they may act
    for the child (rule 13)."""

    citizen_id: UUID
    holder_id: UUID
    """The holder of custody, a registered citizen."""
    legal_basis: LegalBasis | None = None


class EndCustody(Command):
    citizen_id: UUID
    holder_id: UUID
    reason: ShortText


class RegisterStaff(Command):
    """Register a staff member in the staff directory (rule 11): by an administrator."""

    staff_id: CaseworkerId
    name: ShortText
    sector: Sector
    title: Annotated[OptionalText, Field(max_length=200)] = ""
    contact: ContactDetails = ContactDetails()
    roles: tuple[StaffRole, ...] = (StaffRole.CASEWORKER,)


class ChangeStaffContactDetails(Command):
    staff_id: CaseworkerId
    name: ShortText | None = None
    title: Annotated[OptionalText, Field(max_length=200)] | None = None
    contact: ContactDetails | None = None


class GrantStaffRole(Command):
    staff_id: CaseworkerId
    role: StaffRole


class RevokeStaffRole(Command):
    retry_on_conflict: ClassVar[bool] = False
    staff_id: CaseworkerId
    role: StaffRole
    reason: ShortText


class DelegateAuthority(Command):
    """A manager delegates authority under a law to a staff member of their sector
    (*bemyndigelse*), on a basis (the delegation plan), for a period."""

    staff_id: CaseworkerId
    delegation_id: UUID | None = None
    law: Law
    basis: ShortText
    period: Period


class RevokeDelegation(Command):
    retry_on_conflict: ClassVar[bool] = False
    staff_id: CaseworkerId
    delegation_id: UUID
    reason: ShortText


class StaffLeaves(Command):
    """A staff member leaves: from then on they neither act nor are assigned."""

    staff_id: CaseworkerId
    reason: ShortText


COMMANDS: tuple[type[Command], ...] = tuple(
    cls
    for cls in Command.__subclasses__()  # every concrete command, in declaration order
)
"""Every command class (for schema generation and fuzzing)."""


EARLIEST_DATE = date(1850, 1, 1)
"""No date or time in a command lies before this (a CPR number's oldest century is the
1800s): a year-1 birth date or cost period is junk, not a course."""
LATEST_DATE = date(2199, 12, 31)
"""No date or time in a command lies after this (far beyond any plan, period or
retention): a year-9999 due date is junk."""


def dates_out_of_range(command: Command) -> list[dict[str, Any]]:
    """The dates and times anywhere in ``command`` (periods, targets and values nested
    in it included) outside ``EARLIEST_DATE``..``LATEST_DATE``, as validation errors."""
    found: Found = []
    _model_dates(command, (), found)
    if not found:
        return []
    return [
        {"loc": loc, "msg": f"{day.isoformat()} is not between {EARLIEST_DATE} and {LATEST_DATE}"}
        for loc, day in found
    ]


Found = list[tuple[tuple[str | int, ...], date]]


def _model_dates(model: BaseModel, loc: tuple[str | int, ...], found: Found) -> None:
    """Every date in ``model`` (nested models, tuples and lists included) outside the
    range, in field order, with where it is. Only the fields whose type may hold one are
    looked at."""
    cls = type(model)
    for name in _DATE_FIELDS.get(cls) or _date_fields(cls):
        value = getattr(model, name)
        if value is None:
            continue
        if isinstance(value, date):  # (a datetime is a date; the common case, inline)
            day = value.date() if isinstance(value, datetime) else value
            if not EARLIEST_DATE <= day <= LATEST_DATE:
                found.append(((*loc, name), value))
        else:
            _dates(value, (*loc, name), found)


def _dates(value: Any, loc: tuple[str | int, ...], found: Found) -> None:
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            found.append((loc, value))
    elif isinstance(value, BaseModel):
        _model_dates(value, loc, found)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            _dates(item, (*loc, index), found)


_DATE_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}


def _date_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls``, in order, whose declared type may hold a date: all but those
    that certainly cannot (text, numbers, ids, enums and models of those only)."""
    found = _DATE_FIELDS.get(cls)
    if found is None:
        found = _DATE_FIELDS[cls] = tuple(
            name
            for name, field in cls.model_fields.items()
            if _may_hold_date(field.annotation, frozenset({cls}))
        )
    return found


_NEVER_DATES = (str, bytes, int, float, Decimal, UUID, Enum)
"""Values of these types are no dates and hold none (``bool`` is an ``int``)."""


def _may_hold_date(annotation: Any, within: frozenset[type[Any]]) -> bool:
    """Whether a value of ``annotation`` may be or hold a date. True when unsure: an
    unknown type is looked at as before, value by value."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _may_hold_date(get_args(annotation)[0], within)
    if origin is Literal:
        return False
    if origin is not None:  # unions, tuples, lists, dicts, ...
        return any(
            _may_hold_date(arg, within) for arg in get_args(annotation) if arg is not Ellipsis
        )
    if annotation is None or annotation is type(None):
        return False
    if not isinstance(annotation, type):
        return True  # (Any, a type variable, a forward reference)
    if issubclass(annotation, date):
        return True
    if issubclass(annotation, BaseModel):
        if annotation in within:
            return True  # (a model that holds itself: looked at value by value)
        return any(
            _may_hold_date(field.annotation, within | {annotation})
            for field in annotation.model_fields.values()
        )
    return not issubclass(annotation, _NEVER_DATES)

"""oneplan: the event-sourced domain core for one coordinated plan with the citizen.

Everything a service, an auditor or an evaluator needs is importable from here.
"""

from typing import TYPE_CHECKING, Any

from oneplan import commands
from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.citizen import Citizen, Consent
from oneplan.aggregates.intervention import CostEntry, Decision, Dependency, Intervention
from oneplan.aggregates.plan import Goal, Meeting, Participant, Plan
from oneplan.application import Clock, OnePlan, system_clock
from oneplan.errors import (
    AuthorityMissing,
    CitizenAlreadyInPlan,
    CitizenNotFound,
    CommandIdReused,
    ConcurrencyConflict,
    ConsentMissing,
    ConsentNotFound,
    CoordinatorRequired,
    DependencyCycle,
    DependencyNotSatisfied,
    EffectiveTimeInvalid,
    GoalNotFound,
    IllegalTransition,
    InterventionFinished,
    InterventionNotFound,
    InterventionOutsidePlan,
    InvalidDatabaseUrl,
    InvalidInput,
    KeyConfigurationError,
    LegalBasisOutsideSector,
    NotFound,
    OnePlanError,
    ParticipantNotFound,
    PlanNotFound,
    ProjectionFailed,
    RuleViolation,
    SanctionBeforeSocialContact,
    SharingNotCovered,
    StorageError,
)
from oneplan.keys import Keys
from oneplan.projections import (
    AccessLogState,
    AllowedBy,
    Caseload,
    DocumentFormat,
    JourneyState,
    Language,
    ProjectionRunner,
    SectorView,
    Shown,
)
from oneplan.values import (
    AccessedItem,
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    ConsentGiver,
    ConsentStatus,
    DeliveryChannel,
    DependencyType,
    DisclosureBasis,
    GoalStatus,
    InformationCategory,
    InterventionOutcome,
    InterventionStatus,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    PlanOutcome,
    PlanStatus,
    Responsibility,
    Sector,
    SectorPlanRef,
    Target,
)

if TYPE_CHECKING:
    from oneplan.interop.fhir import plan_bundle

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "plan_bundle":  # imported on first use: fhir.resources is big
        from oneplan.interop.fhir import plan_bundle

        return plan_bundle
    raise AttributeError(f"module 'oneplan' has no attribute {name!r}")


__all__ = [
    "AccessLogState",
    "AccessRecord",
    "AccessedItem",
    "AchievementStatus",
    "Actor",
    "ActorKind",
    "AllowedBy",
    "AuthorityMissing",
    "BudgetArea",
    "Caseload",
    "Citizen",
    "CitizenAlreadyInPlan",
    "CitizenNotFound",
    "Clock",
    "CommandIdReused",
    "ConcurrencyConflict",
    "Consent",
    "ConsentGiver",
    "ConsentMissing",
    "ConsentNotFound",
    "ConsentStatus",
    "CoordinatorRequired",
    "CostEntry",
    "Decision",
    "DeliveryChannel",
    "Dependency",
    "DependencyCycle",
    "DependencyNotSatisfied",
    "DependencyType",
    "DisclosureBasis",
    "DocumentFormat",
    "EffectiveTimeInvalid",
    "Goal",
    "GoalNotFound",
    "GoalStatus",
    "IllegalTransition",
    "InformationCategory",
    "Intervention",
    "InterventionFinished",
    "InterventionNotFound",
    "InterventionOutcome",
    "InterventionOutsidePlan",
    "InterventionStatus",
    "InvalidDatabaseUrl",
    "InvalidInput",
    "JourneyState",
    "KeyConfigurationError",
    "Keys",
    "Language",
    "Law",
    "LegalBasis",
    "LegalBasisOutsideSector",
    "Meeting",
    "MeetingAttendee",
    "Money",
    "NotFound",
    "OnePlan",
    "OnePlanError",
    "OverarchingGoal",
    "OverarchingGoalKind",
    "Participant",
    "ParticipantNotFound",
    "ParticipantRole",
    "Period",
    "Plan",
    "PlanNotFound",
    "PlanOutcome",
    "PlanStatus",
    "ProjectionFailed",
    "ProjectionRunner",
    "Responsibility",
    "RuleViolation",
    "SanctionBeforeSocialContact",
    "Sector",
    "SectorPlanRef",
    "SectorView",
    "SharingNotCovered",
    "Shown",
    "StorageError",
    "Target",
    "__version__",
    "commands",
    "plan_bundle",
    "system_clock",
]

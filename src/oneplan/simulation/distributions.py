"""The synthetic municipality's figures: every distribution the simulator draws from,
each with where it comes from. ``docs/evaluation.md`` gives the same table for readers.

Figures marked *assumption* are ours: plausible for the target group (citizens with
complex problems across sectors), chosen so that the evaluation has something to find,
and never to be read as results of the trial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from oneplan.values import (
    Law,
    OverarchingGoalKind,
    PlanOutcome,
    Sector,
)

__all__ = [
    "BENEFIT_RATES",
    "CATALOGUE",
    "SECTOR_LAWS",
    "SECTOR_PLANS",
    "InterventionKind",
    "Municipality",
]


@dataclass(frozen=True)
class InterventionKind:
    """A kind of intervention (*indsats*) a sector offers, with its monthly cost."""

    sector: Sector
    legal_basis: str
    title: str
    monthly_cost: Decimal
    """DKK per month while it runs (*assumption*, of the order of municipal unit prices)."""
    months: tuple[int, int]
    """Shortest and longest planned duration in months (*assumption*)."""


CATALOGUE: tuple[InterventionKind, ...] = (
    InterventionKind(Sector.EMPLOYMENT, "LAB § 32", "Job training", Decimal(4_500), (3, 9)),
    InterventionKind(Sector.EMPLOYMENT, "LAB § 32", "Skills course", Decimal(3_000), (2, 6)),
    InterventionKind(Sector.SOCIAL, "SEL § 85", "Support contact person", Decimal(9_000), (4, 18)),
    InterventionKind(
        Sector.SOCIAL, "SEL § 102", "Treatment for addiction", Decimal(14_000), (2, 6)
    ),
    InterventionKind(Sector.HEALTH, "SUL § 140", "Physiotherapy", Decimal(2_500), (2, 5)),
    InterventionKind(Sector.HEALTH, "SUL § 119", "Health course", Decimal(1_500), (1, 3)),
    InterventionKind(
        Sector.CHILDREN_AND_FAMILY, "BL § 32", "Family support", Decimal(12_000), (4, 12)
    ),
    InterventionKind(Sector.EDUCATION, "FGU § 2", "Preparatory education", Decimal(6_000), (5, 12)),
    InterventionKind(Sector.HOUSING, "ABL § 59", "Housing referral", Decimal(1_000), (1, 4)),
)
"""What the municipality offers, per sector. The legal bases are those the seeds and the
demo use (SEL § 85, the support contact person evaluations follow; LAB § 32 job
training); titles are illustrative, and prices and durations are assumptions of the
order of municipal unit prices."""

SECTOR_PLANS: dict[Sector, str] = {
    Sector.EMPLOYMENT: "LAB § 30",
    Sector.SOCIAL: "SEL § 141",
    Sector.HEALTH: "SUL § 119",
    Sector.CHILDREN_AND_FAMILY: "BL § 32",
    Sector.EDUCATION: "FGU § 2",
    Sector.HOUSING: "ABL § 59",
}
"""The legal basis each sector's own plan (*handleplan*) is held under (illustrative)."""

SECTOR_LAWS: dict[Sector, tuple[Law, ...]] = {
    Sector.EMPLOYMENT: (Law.LAB, Law.LAS, Law.FGU),
    Sector.SOCIAL: (Law.SEL, Law.LAS),
    Sector.HEALTH: (Law.SUL, Law.SEL),
    Sector.CHILDREN_AND_FAMILY: (Law.BL,),
    Sector.EDUCATION: (Law.FGU, Law.STU),
    Sector.HOUSING: (Law.ABL, Law.SEL),
}
"""The authorities a caseworker of each sector holds (rule 3)."""

BENEFIT_RATES: dict[str, Decimal] = {
    "30+ provider": Decimal("15874.00"),
    "30+ other": Decimal("11944.00"),
    "under 30": Decimal("7699.00"),
}
"""Kontanthjælp per month, LAS § 25 (Beskæftigelsesministeriet, satser for 2023,
bm.dk: 15,874 kr. for a provider aged 30 or over, 11,944 kr. for others aged 30 or
over, 7,699 kr. for a person aged 25-29 living away from home). Paid under LAS § 11."""


@dataclass(frozen=True)
class Municipality:
    """Every figure the simulator draws from. The defaults are the documented ones."""

    years: int = 3
    """Length of the simulated period; courses start in its first two thirds."""
    household_share: float = 0.12
    """Share of courses that are a household (a family plan). *Assumption*; DOMAIN.md's
    Furesø example is 22 families costing DKK 50 million in one year."""
    household_size: tuple[int, int] = (2, 4)
    """Citizens in a household: one or two adults and children (*assumption*)."""
    plan_share: float = 0.5
    """Share of courses given one coordinated plan; the rest are comparison citizens
    under their sector plans (*assumption*: a balanced design for the comparison)."""
    interventions: tuple[int, int] = (2, 6)
    """Interventions per citizen over the course (*assumption*; the target group has
    efforts in several sectors at once)."""
    sector_weights: dict[Sector, float] = field(
        default_factory=lambda: {
            Sector.EMPLOYMENT: 0.32,
            Sector.SOCIAL: 0.26,
            Sector.HEALTH: 0.2,
            Sector.CHILDREN_AND_FAMILY: 0.08,
            Sector.EDUCATION: 0.08,
            Sector.HOUSING: 0.06,
        }
    )
    """Which sector an adult's intervention comes from (*assumption*; employment, social
    and health dominate, as in the KL/SEP report on citizens with many contact points)."""
    wait_to_grant_days: dict[bool, tuple[int, int]] = field(
        default_factory=lambda: {True: (3, 30), False: (10, 75)}
    )
    """Days from proposal to decision, with a plan (True) and without (*assumption*:
    the reform's promise of faster access, e.g. to SEL § 85)."""
    wait_to_start_days: dict[bool, tuple[int, int]] = field(
        default_factory=lambda: {True: (2, 21), False: (7, 45)}
    )
    """Days from decision to start (*assumption*)."""
    cancel_share: float = 0.08
    """Interventions withdrawn before they start (*assumption*)."""
    stop_share: float = 0.18
    """Interventions that end early after starting (*assumption*)."""
    pause_share: float = 0.22
    """Interventions paused once (sickness, hospital stay; *assumption*)."""
    dependency_share: float = 0.3
    """An employment intervention that waits for a health one to end (*assumption*)."""
    reassign_share: dict[bool, float] = field(default_factory=lambda: {True: 0.08, False: 0.3})
    """Interventions whose responsible caseworker changes during the course, with a plan
    and without (*assumption*: continuity is what coordination is meant to give)."""
    coordinator_does_share: float = 0.45
    """With a plan, the cross-authority coordinator is responsible for an employment or
    social intervention themself (Furesø's *tværmyndig sagsbehandler*; *assumption*)."""
    sector_caseworker_turnover: float = 0.35
    """Without a plan, each sector's own caseworker proposes and decides the citizen's
    efforts in that sector; a new effort finds a new one this often (*assumption*:
    turnover in the silos, behind the 56 caseworkers of DOMAIN.md). With a plan, the
    coordinator decides what they hold authority for."""
    caseload: int = 25
    """Active plans per coordinator the pool is sized for (*assumption*)."""
    citizens_per_caseworker: int = 12
    """Citizens per caseworker in each sector's pool (*assumption*; a large pool means a
    new face for most interventions, as in the 56 caseworkers of DOMAIN.md)."""
    handover_per_year: float = 0.25
    """Chance per plan-year of a coordinator hand-over (staff turnover; *assumption*)."""
    withdraw_share: float = 0.03
    """Plans the citizen withdraws from (*assumption*)."""
    hold_share: float = 0.05
    """Plans put on hold for a while (*assumption*)."""
    revoke_share: float = 0.06
    """Consents partly revoked (for the health sector) during the course (*assumption*)."""
    meeting_every_days: tuple[int, int] = (60, 120)
    """Days between coordinating meetings, held ad hoc (*assumption*)."""
    goals: tuple[int, int] = (1, 3)
    """Goals per plan, each with up to two sub-goals (*assumption*)."""
    goal_achieved_share: float = 0.55
    """Goals achieved by their due date or later (*assumption*)."""
    overarching_goal: dict[OverarchingGoalKind, float] = field(
        default_factory=lambda: {
            OverarchingGoalKind.WORK: 0.45,
            OverarchingGoalKind.EDUCATION: 0.2,
            OverarchingGoalKind.PARTIAL_SELF_SUPPORT: 0.35,
        }
    )
    """The plan's overarching goal (*assumption*; the KL/SEP report makes contact with the
    labour market the steering goal)."""
    outcomes: dict[bool, dict[PlanOutcome, float]] = field(
        default_factory=lambda: {
            True: {
                PlanOutcome.WORK: 0.2,
                PlanOutcome.EDUCATION: 0.1,
                PlanOutcome.PARTIAL_SELF_SUPPORT: 0.2,
                PlanOutcome.NONE: 0.5,
            },
            False: {
                PlanOutcome.WORK: 0.14,
                PlanOutcome.EDUCATION: 0.07,
                PlanOutcome.PARTIAL_SELF_SUPPORT: 0.16,
                PlanOutcome.NONE: 0.63,
            },
        }
    )
    """Where an adult's course ends, with a plan and without (*assumption*: VIVE's final
    evaluation of "Én plan" (2021) found better coordination but gives no effect sizes
    we could use, so these are not trial results)."""
    course_months: tuple[int, int] = (10, 30)
    """Months from a course's start to its follow-up (*assumption*)."""
    benefit_months: int = 6
    """Benefits are booked per period of this many months (one event per period)."""
    cost_months: int = 6
    """Actual costs are booked per period of this many months while an intervention runs."""
    partial_benefit_share: Decimal = Decimal("0.5")
    """Benefit still paid after partial self-support (*assumption*)."""

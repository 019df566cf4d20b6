"""A copy of an aggregate (the application's cache hands out copies) evolves apart from
the original: changing one never changes the other, and the copy has no pending events."""

from __future__ import annotations

from uuid import UUID

from oneplan.aggregates.plan import Plan
from oneplan.values import LegalBasis
from tests.builders import ANNE, LARS, at

PLAN = UUID(int=41)
OPENED_AT = at(2026, 3, 1)


def test_a_copy_and_its_original_evolve_apart() -> None:
    plan = Plan.open(
        plan_id=PLAN,
        citizen_ids=(UUID(int=42),),
        replaces=(),
        legal_bases=(LegalBasis.parse("LAB § 30 b"),),
        consent_ids=(UUID(int=43),),
        actor=ANNE,
        effective_at=OPENED_AT,
    )
    copy = plan.clone()
    assert copy.collect_events() == []
    assert len(plan.collect_events()) == 1

    copy.assign_coordinator(coordinator=ANNE, actor=ANNE, effective_at=OPENED_AT)
    copy.set_goal(goal_id=UUID(int=44), description="work", actor=LARS, effective_at=OPENED_AT)

    assert plan.goals == {}
    assert plan.coordinator is None
    assert (plan.version, copy.version) == (1, 3)
    assert plan.collect_events() == []
    assert [type(e) for e in copy.collect_events()] == [Plan.CoordinatorAssigned, Plan.GoalSet]

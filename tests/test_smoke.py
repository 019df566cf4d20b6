from oneplan import OnePlan, PlanStatus
from tests.builders import open_plan


def test_a_plan_opened_with_a_coordinator_is_active(app: OnePlan) -> None:
    plan_id, _ = open_plan(app)
    assert app.plan(plan_id).status is PlanStatus.ACTIVE

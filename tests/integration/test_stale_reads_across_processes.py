"""A command decided on a cached copy of something it only reads (the caller's own staff
record, above all) is checked in the write's own transaction: if another process has
changed it since, the write is refused there (``StaleRead``), the copy evicted and the
command decided again on the record as it now stands (rules 11-12 hold across
processes, not only within one)."""

from __future__ import annotations

from datetime import date

import pytest

from oneplan import NotPermitted, OnePlan, OnePlanError, Principal
from tests.builders import ANNE, LARS, acting, bootstrap, open_plan, propose


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    return str(
        request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    )


def test_a_caseworker_who_left_in_another_process_is_refused_here(shared_url: str) -> None:
    here = OnePlan.open(shared_url)
    there = OnePlan.open(shared_url)
    try:
        plan, _ = open_plan(here)
        anne = acting(here, ANNE)
        anne.set_goal(plan_id=plan, description="In work", due=date(2027, 6, 30))
        # (``here`` now holds Anne's staff record in its cache, as she left it)

        admin = there.as_(Principal.staff(bootstrap(there)))
        admin.staff_leaves(staff_id="anne", reason="moved to another municipality")

        with pytest.raises(NotPermitted) as refused:
            anne.set_goal(plan_id=plan, description="Takes the bus", due=date(2027, 6, 30))
        assert refused.value.rule == "staff_only"  # type: ignore[attr-defined]
        goals = here.as_(Principal.system("tests")).record.plan(plan).goals
        assert [g.description for g in goals.values()] == ["In work"]
    finally:
        here.close()
        there.close()


def test_a_delegation_revoked_in_another_process_ends_the_authority_here(
    shared_url: str,
) -> None:
    """Lars holds authority under SEL, delegated by his manager; another process revokes
    it. His grant of an SEL intervention, sent here on his cached record, is refused by
    rule 3 (no authority under the law), not decided on the stale copy."""
    here = OnePlan.open(shared_url)
    there = OnePlan.open(shared_url)
    try:
        plan, citizen = open_plan(here)
        intervention = propose(here, plan, citizen)  # (SEL, Lars responsible)
        lars = acting(here, LARS)
        member = there.as_(Principal.staff(bootstrap(there))).staff_member("lars")
        for delegation in member.delegations.values():
            there.as_(Principal.staff(delegation.delegated_by)).revoke_delegation(
                staff_id="lars", delegation_id=delegation.delegation_id, reason="moved"
            )

        with pytest.raises(OnePlanError) as refused:
            lars.grant_intervention(intervention_id=intervention)
        assert "authority" in str(refused.value).lower()
        record = here.as_(Principal.system("tests")).record
        assert record.intervention(intervention).decision is None
    finally:
        here.close()
        there.close()

"""The cross-authority caseworker (*tværmyndig sagsbehandler*), from the sources.

In Furesø's job centre Ditte is no longer "just" a caseworker: she holds authority under
more than one law. She makes the plan for work with the citizen (one authority task)
and arranges the efforts in the other areas so that they support the goals they agreed
(the other). Some efforts must wait, others run at the same time; goals and sub-goals
are measurable ("can she take the bus alone?"), and every effort has a budget. Because
she holds authority under the Social Services Act herself, a support contact person
(SEL § 85) is granted at once, without a referral between departments.

Run it: ``python examples/cross_authority_caseworker.py`` (in memory; takes a second).
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from oneplan import (
    Actor,
    ActorKind,
    AuthorityMissing,
    ConsentGiver,
    DependencyNotSatisfied,
    DependencyType,
    InformationCategory,
    InterventionOutcome,
    Law,
    Money,
    OnePlan,
    OverarchingGoal,
    OverarchingGoalKind,
    Period,
    Sector,
    Target,
)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def clock() -> datetime:
    """The story's "now": the application's clock, for effective times and reads."""
    return on(12, 1)


ditte = Actor.caseworker("ditte.l", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL, name="Ditte")
ole = Actor.caseworker("ole.p", Sector.EMPLOYMENT, Law.LAB, Law.LAS, name="Ole")
pia = Actor.caseworker("pia.e", Sector.SOCIAL, Law.SEL, name="Pia Esbensen")
jakob = Actor.caseworker("jakob.f", Sector.HEALTH, Law.SUL, name="Jakob Friis")

with OnePlan.open("memory://", clock=clock) as app:
    lene = app.register_citizen(
        name="Lene Holm", birth_date=date(1981, 9, 12), actor=ditte, effective_at=on(1, 12)
    )
    consent = app.grant_consent(
        citizen_id=lene,
        recipient_sectors=[Sector.EMPLOYMENT, Sector.SOCIAL, Sector.HEALTH],
        categories=list(InformationCategory),
        purpose="one plan for work, everyday life and health",
        period=Period(start=date(2026, 1, 12)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        actor=ditte,
        effective_at=on(1, 12),
    )
    plan = app.open_plan(
        citizen_ids=[lene],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b", "SEL § 141 stk. 7"],
        coordinator=ditte,
        actor=ditte,
        effective_at=on(1, 14),
    )
    app.record_citizens_wishes(
        plan_id=plan,
        citizen_id=lene,
        wishes="Jeg vil gerne arbejde i et køkken igen, et par dage om ugen.",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.WORK),
        actor=ditte,
        effective_at=on(1, 14),
    )
    work = app.set_goal(
        plan_id=plan,
        description="Works in a kitchen 15 hours a week",
        target=Target(measure="hours of work a week", value=Decimal(15), unit="hours"),
        due=date(2026, 12, 31),
        actor=ditte,
        effective_at=on(1, 14),
    )
    bus = app.set_goal(
        plan_id=plan,
        parent_id=work,
        description="Takes the bus alone to the job training",
        due=date(2026, 3, 31),
        actor=ditte,
        effective_at=on(1, 14),
    )
    back = app.set_goal(
        plan_id=plan,
        parent_id=work,
        description="Can stand for four hours without back pain",
        target=Target(measure="hours standing", value=Decimal(4), unit="hours"),
        due=date(2026, 6, 30),
        actor=ditte,
        effective_at=on(1, 14),
    )
    print("Ditte (authority under LAB, LAS and SEL) makes one plan with Lene: work in a")
    print("  kitchen by December; sub-goals: the bus alone by March, four hours standing by June.")

    def effort(title: str, sector: Sector, basis: str, goal: UUID, who: Actor, start: date,
               end: date, cost: str) -> UUID:  # fmt: skip
        return app.propose_intervention(
            plan_id=plan,
            citizen_id=lene,
            sector=sector,
            legal_basis=basis,
            title=title,
            goal_ids=[goal],
            responsible=who,
            planned_period=Period(start=start, end=end),
            planned_cost=cost,
            actor=ditte,
            effective_at=on(1, 14),
        )

    contact = effort("Support contact person", Sector.SOCIAL, "SEL § 85", bus, pia,
                     date(2026, 1, 19), date(2026, 6, 30), "36000.00")  # fmt: skip
    physio = effort("Physiotherapy for back pain", Sector.HEALTH, "SUL § 140", back, jakob,
                    date(2026, 1, 26), date(2026, 4, 30), "9600.00")  # fmt: skip
    kitchen = effort("Job training in a canteen kitchen", Sector.EMPLOYMENT, "LAB § 32", work,
                     ditte, date(2026, 5, 4), date(2026, 10, 30), "18000.00")  # fmt: skip
    app.add_dependency(
        intervention_id=kitchen,
        on_intervention_id=physio,
        type=DependencyType.AFTER_END,
        actor=ditte,
        effective_at=on(1, 14),
    )
    try:
        app.grant_intervention(intervention_id=contact, actor=ole, effective_at=on(1, 16))
    except AuthorityMissing as refused:
        print(f"  Ole cannot grant the contact person: {refused}")
    app.grant_intervention(
        intervention_id=contact,
        note="granted by the cross-authority caseworker",
        actor=ditte,
        effective_at=on(1, 16),
    )
    app.grant_intervention(intervention_id=physio, actor=jakob, effective_at=on(1, 16))
    app.grant_intervention(intervention_id=kitchen, actor=ditte, effective_at=on(1, 16))
    granted, began = app.intervention(contact).decision, app.plan(plan).began_at
    assert granted is not None
    assert began is not None
    days = (granted.decided_at - began).days
    print(f"  Ditte grants the SEL § 85 contact person herself, {days} days after the plan:")
    print("  no referral to social services and no waiting list between departments.")

    app.start_intervention(intervention_id=contact, actor=pia, effective_at=on(1, 19))
    app.start_intervention(intervention_id=physio, actor=jakob, effective_at=on(1, 26))
    try:
        app.start_intervention(intervention_id=kitchen, actor=ditte, effective_at=on(2, 2))
    except DependencyNotSatisfied:
        print("  The job training waits: it starts after the physiotherapy has ended.")
    app.record_goal_progress(
        plan_id=plan,
        goal_id=bus,
        achievement="achieved",
        note="went alone every day for two weeks",
        actor=pia,
        effective_at=on(3, 20),
    )
    app.complete_goal(plan_id=plan, goal_id=bus, actor=ditte, effective_at=on(3, 23))
    app.record_actual_cost(
        intervention_id=physio,
        amount=Money.dkk("8400.00"),
        budget_area="service",
        period=Period(start=date(2026, 1, 26), end=date(2026, 4, 30)),
        actor=jakob,
        effective_at=on(4, 30),
    )
    app.complete_intervention(
        intervention_id=physio,
        outcome=InterventionOutcome.GOALS_MET,
        actor=jakob,
        effective_at=on(4, 30),
    )
    app.start_intervention(intervention_id=kitchen, actor=ditte, effective_at=on(5, 4))
    print("  Lene takes the bus alone by March; the physiotherapy ends in April; the job")
    print("  training starts in May.")

    print("\nThe plan's efforts, who decided them, and their budgets:")
    for intervention in app.interventions_of(plan):
        decision = intervention.decision
        decided = f"granted by {decision.decided_by.name}" if decision else "not granted"
        print(
            f"  {intervention.title} [{intervention.legal_basis}]: {intervention.status.value},"
            f" {decided}; budget {intervention.planned_cost},"
            f" spent {intervention.total_actual_cost()}"
        )

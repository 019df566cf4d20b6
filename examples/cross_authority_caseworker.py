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
    ActorKind,
    ConsentGivenHow,
    ConsentGiver,
    ContactDetails,
    DependencyNotSatisfied,
    DependencyType,
    InformationCategory,
    InterventionOutcome,
    Law,
    Money,
    NotPermitted,
    OnePlan,
    OverarchingGoal,
    OverarchingGoalKind,
    Period,
    Principal,
    Sector,
    StaffRole,
    Target,
)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def clock() -> datetime:
    """The story's "now": the application's clock, for effective times and reads."""
    return on(12, 1)


STAFF = (  # id, name, sector, the laws their manager delegates to them
    ("ditte.l", "Ditte", Sector.EMPLOYMENT, (Law.LAB, Law.LAS, Law.SEL)),
    ("ole.p", "Ole", Sector.EMPLOYMENT, (Law.LAB, Law.LAS)),
    ("pia.e", "Pia Esbensen", Sector.SOCIAL, (Law.SEL,)),
    ("jakob.f", "Jakob Friis", Sector.HEALTH, (Law.SUL,)),
)

with OnePlan.open("memory://", clock=clock) as app:
    # Furesø's staff directory (rule 11), before the story starts: the first administrator
    # registers a manager per sector and the caseworkers; each manager delegates authority
    # under a law (bemyndigelse) to the caseworkers of their sector: the job centre's
    # manager gives Ditte authority under the Social Services Act too.
    since = on(1, 2)
    app.bootstrap(
        staff_id="it.admin", name="Ida Thorsen", sector=Sector.EMPLOYMENT, effective_at=since
    )
    admin = app.as_(Principal.staff("it.admin"))
    for sector in dict.fromkeys(sector for _, _, sector, _ in STAFF):
        admin.register_staff(
            staff_id=f"leder.{sector.value}",
            name=f"Leder, {sector.value}",
            sector=sector,
            roles=[StaffRole.MANAGER],
            effective_at=since,
        )
    for staff_id, name, sector, laws in STAFF:
        admin.register_staff(
            staff_id=staff_id,
            name=name,
            sector=sector,
            contact=ContactDetails(phone="72 35 40 00", email=f"{staff_id}@furesoe.dk"),
            effective_at=since,
        )
        for law in laws:
            app.as_(Principal.staff(f"leder.{sector.value}")).delegate_authority(
                staff_id=staff_id,
                law=law,
                basis="Furesø Kommunes delegationsplan",
                period=Period(start=since.date()),
                effective_at=since,
            )
    ditte = app.as_(Principal.staff("ditte.l"))
    ole = app.as_(Principal.staff("ole.p"))
    pia = app.as_(Principal.staff("pia.e"))
    jakob = app.as_(Principal.staff("jakob.f"))

    lene = ditte.register_citizen(
        name="Lene Holm", birth_date=date(1981, 9, 12), effective_at=on(1, 12)
    )
    consent = ditte.grant_consent(
        citizen_id=lene,
        recipient_sectors=[Sector.EMPLOYMENT, Sector.SOCIAL, Sector.HEALTH],
        categories=list(InformationCategory),
        purpose="one plan for work, everyday life and health",
        period=Period(start=date(2026, 1, 12)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        given_how=ConsentGivenHow.IN_MEETING,
        effective_at=on(1, 12),
    )
    plan = ditte.open_plan(
        citizen_ids=[lene],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b", "SEL § 141 stk. 7"],
        coordinator="ditte.l",
        effective_at=on(1, 14),
    )
    ditte.record_citizens_wishes(
        plan_id=plan,
        citizen_id=lene,
        wishes="Jeg vil gerne arbejde i et køkken igen, et par dage om ugen.",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.WORK),
        effective_at=on(1, 14),
    )
    work = ditte.set_goal(
        plan_id=plan,
        description="Works in a kitchen 15 hours a week",
        target=Target(measure="hours of work a week", value=Decimal(15), unit="hours"),
        due=date(2026, 12, 31),
        effective_at=on(1, 14),
    )
    bus = ditte.set_goal(
        plan_id=plan,
        parent_id=work,
        description="Takes the bus alone to the job training",
        due=date(2026, 3, 31),
        effective_at=on(1, 14),
    )
    back = ditte.set_goal(
        plan_id=plan,
        parent_id=work,
        description="Can stand for four hours without back pain",
        target=Target(measure="hours standing", value=Decimal(4), unit="hours"),
        due=date(2026, 6, 30),
        effective_at=on(1, 14),
    )
    for colleague in ("pia.e", "jakob.f"):  # the coordinator pulls the other sectors in
        ditte.add_participant(plan_id=plan, participant=colleague, effective_at=on(1, 14))
    print("Ditte (authority under LAB, LAS and SEL) makes one plan with Lene: work in a")
    print("  kitchen by December; sub-goals: the bus alone by March, four hours standing by June.")

    def effort(title: str, sector: Sector, basis: str, goal: UUID, who: str, start: date,
               end: date, cost: str) -> UUID:  # fmt: skip
        return ditte.propose_intervention(
            plan_id=plan,
            citizen_id=lene,
            sector=sector,
            legal_basis=basis,
            title=title,
            goal_ids=[goal],
            responsible=who,
            planned_period=Period(start=start, end=end),
            planned_cost=cost,
            effective_at=on(1, 14),
        )

    contact = effort("Support contact person", Sector.SOCIAL, "SEL § 85", bus, "pia.e",
                     date(2026, 1, 19), date(2026, 6, 30), "36000.00")  # fmt: skip
    physio = effort("Physiotherapy for back pain", Sector.HEALTH, "SUL § 140", back, "jakob.f",
                    date(2026, 1, 26), date(2026, 4, 30), "9600.00")  # fmt: skip
    kitchen = effort("Job training in a canteen kitchen", Sector.EMPLOYMENT, "LAB § 32", work,
                     "ditte.l", date(2026, 5, 4), date(2026, 10, 30), "18000.00")  # fmt: skip
    ditte.add_dependency(
        intervention_id=kitchen,
        on_intervention_id=physio,
        type=DependencyType.AFTER_END,
        effective_at=on(1, 14),
    )
    try:
        ole.grant_intervention(intervention_id=contact, effective_at=on(1, 16))
    except NotPermitted as refused:
        print(f"  Ole cannot grant the contact person: {refused}")
    ditte.grant_intervention(
        intervention_id=contact,
        note="granted by the cross-authority caseworker",
        effective_at=on(1, 16),
    )
    jakob.grant_intervention(intervention_id=physio, effective_at=on(1, 16))
    ditte.grant_intervention(intervention_id=kitchen, effective_at=on(1, 16))
    record = app.as_(Principal.system("story")).record  # the story's own account of the record
    granted, began = record.intervention(contact).decision, record.plan(plan).began_at
    assert granted is not None
    assert began is not None
    days = (granted.decided_at - began).days
    print(f"  Ditte grants the SEL § 85 contact person herself, {days} days after the plan:")
    print("  no referral to social services and no waiting list between departments.")

    pia.start_intervention(intervention_id=contact, effective_at=on(1, 19))
    jakob.start_intervention(intervention_id=physio, effective_at=on(1, 26))
    try:
        ditte.start_intervention(intervention_id=kitchen, effective_at=on(2, 2))
    except DependencyNotSatisfied:
        print("  The job training waits: it starts after the physiotherapy has ended.")
    pia.record_goal_progress(
        plan_id=plan,
        goal_id=bus,
        achievement="achieved",
        note="went alone every day for two weeks",
        effective_at=on(3, 20),
    )
    ditte.complete_goal(plan_id=plan, goal_id=bus, effective_at=on(3, 23))
    jakob.record_actual_cost(
        intervention_id=physio,
        amount=Money.dkk("8400.00"),
        budget_area="service",
        period=Period(start=date(2026, 1, 26), end=date(2026, 4, 30)),
        effective_at=on(4, 30),
    )
    jakob.complete_intervention(
        intervention_id=physio,
        outcome=InterventionOutcome.GOALS_MET,
        effective_at=on(4, 30),
    )
    ditte.start_intervention(intervention_id=kitchen, effective_at=on(5, 4))
    print("  Lene takes the bus alone by March; the physiotherapy ends in April; the job")
    print("  training starts in May.")

    print("\nThe plan's efforts, who decided them, and their budgets:")
    for intervention in record.interventions_of(plan):
        decision = intervention.decision
        decided = f"granted by {decision.decided_by.name}" if decision else "not granted"
        print(
            f"  {intervention.title} [{intervention.legal_basis}]: {intervention.status.value},"
            f" {decided}; budget {intervention.planned_cost},"
            f" spent {intervention.total_actual_cost()}"
        )

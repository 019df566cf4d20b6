"""Furesø's family plan (*familieplan*), from the sources' "five pieces of advice".

A family has met the municipality through many doors. A family coordinator
(*familiekoordinator*) resets the contact, gathers every action plan and effort for the
adults and the children into one family plan, makes sure they pull the same way, and
then steps back into a lighter role: the responsibility lies with the family and the
individual caseworkers. Investing in the service frame should pay back as lower
transfers (kontanthjælp), so costs are booked to both.

Run it: ``python examples/furesoe_family_plan.py`` (in memory; takes a second).
"""

from datetime import UTC, date, datetime

from oneplan import (
    ActorKind,
    BudgetArea,
    ConsentGivenHow,
    ConsentGiver,
    ConsentMissing,
    ContactDetails,
    InformationCategory,
    Law,
    OnePlan,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    Principal,
    Sector,
    SectorPlanRef,
    StaffRole,
)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def clock() -> datetime:
    """The story's "now": the application's clock, for effective times and reads."""
    return on(12, 1)


STAFF = (  # id, name, sector, the laws their manager delegates to them
    ("karin.f", "Karin Friis", Sector.CHILDREN_AND_FAMILY, (Law.BL,)),
    ("jens.m", "Jens Mikkelsen", Sector.EMPLOYMENT, (Law.LAB, Law.LAS)),
    ("birgit.k", "Birgit Krogh", Sector.CHILDREN_AND_FAMILY, (Law.BL,)),
)

with OnePlan.open("memory://", clock=clock) as app:
    # Furesø's staff directory (rule 11), before the story starts: the first administrator
    # registers a manager per sector and the caseworkers; each manager delegates authority
    # under a law (bemyndigelse) to the caseworkers of their sector.
    since = on(1, 2)
    app.bootstrap(staff_id="it.admin", name="Ida Thorsen", sector=Sector.SOCIAL, effective_at=since)
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
    karin = app.as_(Principal.staff("karin.f"))
    jens = app.as_(Principal.staff("jens.m"))
    birgit = app.as_(Principal.staff("birgit.k"))

    sara = karin.register_citizen(
        name="Sara Nielsen", birth_date=date(1988, 2, 14), effective_at=on(1, 5)
    )
    emil = karin.register_citizen(
        name="Emil Nielsen", birth_date=date(2009, 8, 30), effective_at=on(1, 5)
    )
    ida = karin.register_citizen(
        name="Ida Nielsen", birth_date=date(2017, 4, 2), effective_at=on(1, 5)
    )
    print("Furesø: Karin, family coordinator, meets Sara at a café; Emil is 16, Ida 8.")

    whole_family = {  # given at the café: Karin records each consent and how it was given
        "recipient_sectors": [
            Sector.EMPLOYMENT,
            Sector.SOCIAL,
            Sector.CHILDREN_AND_FAMILY,
            Sector.EDUCATION,
        ],
        "categories": [
            InformationCategory.GOALS,
            InformationCategory.INTERVENTIONS,
            InformationCategory.PROGRESS_NOTES,
            InformationCategory.MEETING_DECISIONS,
        ],
        "purpose": "one committing family plan",
        "period": Period(start=date(2026, 1, 5), end=date(2027, 12, 31)),
        "given_how": ConsentGivenHow.IN_MEETING,
        "effective_at": on(1, 5),
    }
    mother = ConsentGiver(kind=ActorKind.GUARDIAN, name="Sara Nielsen")
    consents = [
        karin.grant_consent(
            citizen_id=sara, given_by=[ConsentGiver(kind=ActorKind.CITIZEN)], **whole_family
        )
    ]
    try:
        karin.grant_consent(citizen_id=emil, given_by=[mother], **whole_family)
    except ConsentMissing as refused:
        print(f"  Refused: {refused}")
    consents.append(
        karin.grant_consent(
            citizen_id=emil, given_by=[mother, ConsentGiver(kind=ActorKind.CITIZEN)], **whole_family
        )
    )
    consents.append(karin.grant_consent(citizen_id=ida, given_by=[mother], **whole_family))
    print("  Sara consents; for Emil both Sara (custody) and Emil himself (16) must (BL § 110).")

    plan = karin.open_plan(
        citizen_ids=[sara, emil, ida],
        consent_ids=consents,
        coordinator="karin.f",
        legal_bases=["LAB § 30 b", "SEL § 141 stk. 7", "BL § 110"],
        effective_at=on(1, 19),
        replaces=[
            SectorPlanRef(
                sector=Sector.EMPLOYMENT, legal_basis="LAB § 30 b", reference="Sara's job plan"
            ),
            SectorPlanRef(
                sector=Sector.CHILDREN_AND_FAMILY, legal_basis="BL § 110", reference="Emil's plan"
            ),
            SectorPlanRef(
                sector=Sector.CHILDREN_AND_FAMILY, legal_basis="BL § 110", reference="Ida's plan"
            ),
        ],
    )
    karin.record_citizens_wishes(
        plan_id=plan,
        citizen_id=sara,
        effective_at=on(1, 19),
        wishes="Jeg vil gerne tage en uddannelse, og børnene skal trives i skolen.",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.EDUCATION),
    )
    education = karin.set_goal(
        plan_id=plan,
        description="Sara starts an education",
        due=date(2026, 8, 31),
        effective_at=on(1, 19),
    )
    school = karin.set_goal(
        plan_id=plan,
        description="Emil goes to school every day",
        due=date(2026, 6, 30),
        effective_at=on(1, 19),
    )
    leisure = karin.set_goal(
        plan_id=plan,
        description="Ida has a leisure activity",
        due=date(2026, 4, 30),
        effective_at=on(1, 19),
    )
    print("  One family plan replaces three sector plans; goals: education, school, leisure.")

    def effort(citizen, sector, basis, title, goal, who, cost, area=BudgetArea.SERVICE):
        intervention = karin.propose_intervention(
            plan_id=plan,
            citizen_id=citizen,
            sector=sector,
            legal_basis=basis,
            title=title,
            goal_ids=[goal],
            responsible=who,
            planned_period=Period(start=date(2026, 2, 1), end=date(2026, 12, 31)),
            planned_cost=cost,
            budget_area=area,
            effective_at=on(1, 26),
        )
        responsible = app.as_(Principal.staff(who))
        responsible.grant_intervention(intervention_id=intervention, effective_at=on(1, 28))
        responsible.start_intervention(intervention_id=intervention, effective_at=on(2, 2))
        return intervention

    benefit = effort(
        sara,
        Sector.EMPLOYMENT,
        "LAS § 11",
        "Kontanthjælp",
        education,
        "jens.m",
        "150000.00",
        BudgetArea.TRANSFERS,
    )
    course = effort(
        sara, Sector.EMPLOYMENT, "LAB § 32", "Preparatory course", education, "jens.m", "24000.00"
    )
    mentor = effort(
        emil, Sector.CHILDREN_AND_FAMILY, "BL § 32", "School mentor", school, "birgit.k", "30000.00"
    )
    club = effort(
        ida,
        Sector.CHILDREN_AND_FAMILY,
        "BL § 32",
        "Football club with a volunteer friend",
        leisure,
        "birgit.k",
        "3000.00",
    )
    print("  Four efforts, each with its responsible caseworker: one plan, pulling the same way.")

    karin.hand_over_coordinator(
        plan_id=plan,
        new_coordinator="birgit.k",
        previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
        reason="the family plan is made; the family and its caseworkers carry it",
        effective_at=on(2, 16),
    )
    birgit.add_participant(plan_id=plan, participant="jens.m", effective_at=on(2, 16))
    print("  Karin hands the plan to Birgit and steps back into a lighter role (still recorded).")

    for intervention, amount, area, months in (
        (benefit, "75000.00", BudgetArea.TRANSFERS, (2, 7)),
        (course, "24000.00", BudgetArea.SERVICE, (2, 7)),
        (mentor, "15000.00", BudgetArea.SERVICE, (2, 7)),
        (club, "1500.00", BudgetArea.SERVICE, (2, 7)),
    ):
        birgit.record_actual_cost(
            intervention_id=intervention,
            amount=amount,
            budget_area=area,
            period=Period(start=date(2026, months[0], 1), end=date(2026, months[1], 31)),
            effective_at=on(8, 3),
        )
    jens.stop_intervention(
        intervention_id=benefit,
        reason="Sara starts an education with SU",
        effective_at=on(8, 17),
    )
    jens.complete_goal(plan_id=plan, goal_id=education, effective_at=on(8, 31))
    print("  In August Sara starts an education: her kontanthjælp stops, her goal is achieved.")

    record = app.as_(Principal.system("story")).record  # the story's own account of the record
    family = record.plan(plan)
    print(f"\nThe family plan now (status {family.status.value}):")
    print(f"  coordinator: {family.coordinator}")
    for participant in family.participants.values():
        print(f"  {participant.role.value}: {participant.actor}")
    for area in BudgetArea:
        spent = sum(
            (i.total_actual_cost(area).amount for i in record.interventions_of(plan)), start=0
        )
        print(f"  spent on {area.value}: DKK {spent:,.2f}")
    # Sara receives the one plan herself (her reading it is logged, as every disclosure is).
    print("  " + app.as_(Principal.citizen(sara)).citizen_plan(plan, language="en").splitlines()[0])

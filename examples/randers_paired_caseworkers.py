"""Randers' paired caseworkers (*makkerpar*) and the sanction rule, from the sources.

In Randers a caseworker from social services and one from the job centre work as a
pair on one joint plan for the citizen, meeting the citizen where they are (a drop-in
centre, a psychiatric ward). Their agreement says the employment authority does not
sanction a citizen (cut benefits) before the citizen's contact person in social
services has been contacted, so that they can try to reach the citizen first.

Run it: ``python examples/randers_paired_caseworkers.py`` (in memory; takes a second).
"""

from datetime import UTC, date, datetime

from oneplan import (
    ActorKind,
    ConsentGivenHow,
    ConsentGiver,
    ContactDetails,
    InformationCategory,
    Law,
    MeetingAttendee,
    OnePlan,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    Principal,
    SanctionBeforeSocialContact,
    Sector,
    StaffRole,
)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def clock() -> datetime:
    """The story's "now": the application's clock, for effective times and reads."""
    return on(12, 1)


STAFF = (  # id, name, sector, the laws their manager delegates to them
    ("tine.h", "Tine Holm", Sector.EMPLOYMENT, (Law.LAB, Law.LAS)),
    ("mads.r", "Mads Riis", Sector.SOCIAL, (Law.SEL,)),
)

with OnePlan.open("memory://", clock=clock) as app:
    # Randers' staff directory (rule 11), before the story starts: the first administrator
    # registers a manager per sector and the caseworkers; each manager delegates authority
    # under a law (bemyndigelse) to the caseworkers of their sector.
    since = on(1, 2)
    app.bootstrap(staff_id="it.admin", name="Ib Thorup", sector=Sector.SOCIAL, effective_at=since)
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
            contact=ContactDetails(phone="89 15 15 15", email=f"{staff_id}@randers.dk"),
            effective_at=since,
        )
        for law in laws:
            app.as_(Principal.staff(f"leder.{sector.value}")).delegate_authority(
                staff_id=staff_id,
                law=law,
                basis="Randers Kommunes delegationsplan",
                period=Period(start=since.date()),
                effective_at=since,
            )
    tine = app.as_(Principal.staff("tine.h"))
    mads = app.as_(Principal.staff("mads.r"))

    kim = mads.register_citizen(
        name="Kim Andersen", birth_date=date(1979, 11, 3), effective_at=on(3, 2)
    )
    consent = mads.grant_consent(
        citizen_id=kim,
        recipient_sectors=[Sector.EMPLOYMENT, Sector.SOCIAL],
        categories=list(InformationCategory),
        purpose="one joint plan for the social and the employment area",
        period=Period(start=date(2026, 3, 2)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        given_how=ConsentGivenHow.IN_MEETING,
        effective_at=on(3, 2),
    )
    plan = tine.open_plan(
        citizen_ids=[kim],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b", "SEL § 141 stk. 7"],
        coordinator="tine.h",
        effective_at=on(3, 4),
    )
    tine.add_participant(
        plan_id=plan,
        participant="mads.r",
        role=ParticipantRole.CO_COORDINATOR,
        effective_at=on(3, 4),
    )
    mads.record_social_contact_person(
        citizen_id=kim, contact_person="mads.r", effective_at=on(3, 4)
    )
    record = app.as_(Principal.system("story")).record  # the story's own account of the record
    print("Randers: Tine (job centre) and Mads (social services) hold Kim's plan as a pair.")
    print("  coordinators: " + ", ".join(str(a) for a in record.plan(plan).coordinators()))

    mads.record_citizens_wishes(
        plan_id=plan,
        citizen_id=kim,
        wishes="Jeg vil have styr på hverdagen og have noget at stå op til.",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT),
        effective_at=on(3, 4),
    )
    routine = mads.set_goal(
        plan_id=plan,
        description="Gets up and out of the door three mornings a week",
        due=date(2026, 6, 30),
        effective_at=on(3, 4),
    )
    contact_person = mads.propose_intervention(
        plan_id=plan,
        citizen_id=kim,
        sector=Sector.SOCIAL,
        legal_basis="SEL § 85",
        title="Support contact person",
        goal_ids=[routine],
        responsible="mads.r",
        planned_period=Period(start=date(2026, 3, 9), end=date(2026, 12, 31)),
        planned_cost="40000.00",
        effective_at=on(3, 5),
    )
    workshop = tine.propose_intervention(
        plan_id=plan,
        citizen_id=kim,
        sector=Sector.EMPLOYMENT,
        legal_basis="LAB § 32",
        title="Practice at the drop-in centre's workshop",
        goal_ids=[routine],
        responsible="tine.h",
        planned_period=Period(start=date(2026, 4, 1), end=date(2026, 9, 30)),
        planned_cost="12000.00",
        effective_at=on(3, 5),
    )
    mads.grant_intervention(intervention_id=contact_person, effective_at=on(3, 6))
    tine.grant_intervention(intervention_id=workshop, effective_at=on(3, 6))
    mads.start_intervention(intervention_id=contact_person, effective_at=on(3, 9))
    tine.start_intervention(intervention_id=workshop, effective_at=on(4, 1))
    tine.hold_meeting(
        plan_id=plan,
        attendees=[
            MeetingAttendee(id="tine.h", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="mads.r", sector=Sector.SOCIAL),
            MeetingAttendee(id=str(kim), kind=ActorKind.CITIZEN),
        ],
        decisions=["We meet Kim at the drop-in centre, not at the job centre"],
        effective_at=on(4, 1),
    )
    print("  A meeting at the drop-in centre; a contact person and workshop practice start.")

    print("\nKim misses the workshop three times. The job centre wants to sanction:")
    try:
        tine.impose_sanction(
            citizen_id=kim,
            legal_basis="LAS § 36",
            reason="absent from the workshop without notice",
            effective_at=on(5, 4),
        )
    except SanctionBeforeSocialContact as refused:
        print(f"  Refused ({refused.rule}): {refused}")
    tine.record_social_contact_made(
        citizen_id=kim,
        regarding="absent from the workshop three times",
        effective_at=on(5, 4),
    )
    print("  Tine calls Mads, who goes looking for Kim at the drop-in centre.")
    tine.impose_sanction(
        citizen_id=kim,
        legal_basis="LAS § 36",
        reason="still absent after the contact person tried to reach him",
        effective_at=on(5, 11),
    )
    print("  A week later, with the contact made, the sanction is allowed.")
    try:
        tine.impose_sanction(
            citizen_id=kim,
            legal_basis="LAS § 36",
            reason="absent again",
            effective_at=on(6, 1),
        )
    except SanctionBeforeSocialContact:
        print("  The rule holds once per sanction: the next one needs a new contact first.")

    print("\nBoth sectors read the same plan, each under the consent Kim gave:")
    for name, reader in (("Tine Holm", tine), ("Mads Riis", mads)):
        view = reader.sector_view(plan)  # the reader's sector comes from the staff directory
        items = [kind for kind, _, _ in view.shown()]
        print(
            f"  {name} ({view.sector.value}): {len(items)} items ({', '.join(sorted(set(items)))})"
        )
    journey = mads.journey(kim)
    print(
        f"  Kim has met {journey.caseworker_count} caseworkers in {len(journey.sectors)} sectors."
    )

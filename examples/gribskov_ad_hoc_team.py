"""Gribskov's ad-hoc team with an advisory partner (*sparringspartner*), from the sources.

Gribskov's youth and family effort works inside the existing organisation: a
coordinating caseworker holds the plan, a formal advisory partner who knows another
law is at hand, and coordinating meetings are held when the young person's course needs
them. When the ad-hoc team judges another department's part relevant, that department
may not refuse to take part; the meeting assigns who is responsible for what. Sharing
still needs consent: for a 17-year-old, the holder of custody's and her own.

Run it: ``python examples/gribskov_ad_hoc_team.py`` (in memory; takes a second).
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
    ResponsibilityFor,
    Sector,
    SharingNotCovered,
    StaffRole,
)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def clock() -> datetime:
    """The story's "now": the application's clock, for effective times and reads."""
    return on(12, 1)


STAFF = (  # id, name, sector, the laws their manager delegates to them
    ("henrik.b", "Henrik Bach", Sector.CHILDREN_AND_FAMILY, (Law.BL,)),
    ("susanne.l", "Susanne Lund", Sector.EDUCATION, (Law.FGU, Law.STU)),
    ("rikke.d", "Rikke Dahl", Sector.HEALTH, (Law.SUL,)),
)

with OnePlan.open("memory://", clock=clock) as app:
    # Gribskov's staff directory (rule 11), before the story starts: the first administrator
    # registers a manager per sector and the caseworkers; each manager delegates authority
    # under a law (bemyndigelse) to the caseworkers of their sector.
    since = on(1, 2)
    app.bootstrap(
        staff_id="it.admin", name="Ib Thorup", sector=Sector.CHILDREN_AND_FAMILY, effective_at=since
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
            contact=ContactDetails(phone="72 49 60 00", email=f"{staff_id}@gribskov.dk"),
            effective_at=since,
        )
        for law in laws:
            app.as_(Principal.staff(f"leder.{sector.value}")).delegate_authority(
                staff_id=staff_id,
                law=law,
                basis="Gribskov Kommunes delegationsplan",
                period=Period(start=since.date()),
                effective_at=since,
            )
    henrik = app.as_(Principal.staff("henrik.b"))
    susanne = app.as_(Principal.staff("susanne.l"))

    amalie = henrik.register_citizen(
        name="Amalie Jensen", birth_date=date(2009, 1, 20), effective_at=on(2, 2)
    )
    custody_and_amalie = [
        ConsentGiver(kind=ActorKind.GUARDIAN, name="Helle Jensen"),
        ConsentGiver(kind=ActorKind.CITIZEN, name="Amalie Jensen"),
    ]
    consent = henrik.grant_consent(
        citizen_id=amalie,
        recipient_sectors=[Sector.CHILDREN_AND_FAMILY, Sector.EDUCATION],
        categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
        purpose="a coordinated youth effort",
        period=Period(start=date(2026, 2, 2), end=date(2027, 1, 19)),
        given_by=custody_and_amalie,
        given_how=ConsentGivenHow.IN_MEETING,
        effective_at=on(2, 2),
    )
    plan = henrik.open_plan(
        citizen_ids=[amalie],
        consent_ids=[consent],
        legal_bases=["BL § 110"],
        coordinator="henrik.b",
        effective_at=on(2, 3),
    )
    henrik.record_citizens_wishes(
        plan_id=plan,
        citizen_id=amalie,
        wishes="Jeg vil gerne starte på en uddannelse, men jeg kan ikke overskue det.",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.EDUCATION),
        effective_at=on(2, 3),
    )
    goal = henrik.set_goal(
        plan_id=plan,
        description="Amalie starts at FGU in August",
        due=date(2026, 8, 31),
        effective_at=on(2, 3),
    )
    henrik.add_participant(
        plan_id=plan,
        participant="susanne.l",
        role=ParticipantRole.ADVISORY_PARTNER,
        effective_at=on(2, 3),
    )
    print("Gribskov: Henrik (children and family) coordinates Amalie's plan (she is 17);")
    print("  Susanne, who knows the education laws, is his formal advisory partner.")

    bridge = henrik.propose_intervention(
        plan_id=plan,
        citizen_id=amalie,
        sector=Sector.EDUCATION,
        legal_basis="FGU § 2",
        title="Bridge-building visits at the FGU school",
        goal_ids=[goal],
        responsible="susanne.l",
        planned_period=Period(start=date(2026, 3, 1), end=date(2026, 7, 31)),
        planned_cost="8000.00",
        effective_at=on(2, 10),
    )
    print("\nAnxiety keeps Amalie from the visits. The team wants the health department in:")
    try:
        henrik.add_participant(plan_id=plan, participant="rikke.d", effective_at=on(3, 16))
    except SharingNotCovered as refused:
        print(f"  Not yet ({refused.rule}): {refused}")
    henrik.grant_consent(
        citizen_id=amalie,
        recipient_sectors=[Sector.HEALTH],
        categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
        purpose="help with anxiety as part of the youth effort",
        period=Period(start=date(2026, 3, 16), end=date(2027, 1, 19)),
        given_by=custody_and_amalie,
        given_how=ConsentGivenHow.IN_MEETING,
        effective_at=on(3, 16),
    )
    henrik.add_participant(plan_id=plan, participant="rikke.d", effective_at=on(3, 16))
    print("  Amalie and her mother consent to sharing with health; Rikke joins the team.")

    course = henrik.propose_intervention(
        plan_id=plan,
        citizen_id=amalie,
        sector=Sector.HEALTH,
        legal_basis="SUL § 119",
        title="Anxiety course for young people",
        goal_ids=[goal],
        responsible="henrik.b",
        planned_period=Period(start=date(2026, 3, 23), end=date(2026, 6, 12)),
        planned_cost="6500.00",
        effective_at=on(3, 17),
    )
    henrik.hold_meeting(
        plan_id=plan,
        attendees=[
            MeetingAttendee(id="henrik.b"),
            MeetingAttendee(id="susanne.l"),
            MeetingAttendee(id="rikke.d"),
            MeetingAttendee(id=str(amalie), kind=ActorKind.CITIZEN),
        ],
        decisions=[
            "The anxiety course comes first; the school visits continue after it",
            "Health takes part in the team until August",
        ],
        responsibilities=[  # each caseworker by id: their sector comes from the directory
            ResponsibilityFor(intervention_id=course, caseworker="rikke.d"),
            ResponsibilityFor(intervention_id=bridge, caseworker="susanne.l"),
        ],
        next_meeting=date(2026, 5, 4),
        effective_at=on(3, 18),
    )
    print("  An ad-hoc meeting: health cannot say no; it is made responsible for the course.")

    print("\nThe team around Amalie's plan:")
    record = app.as_(Principal.system("story")).record  # the story's own account of the record
    team = record.plan(plan)
    print(f"  coordinator: {team.coordinator}")
    for participant in team.participants.values():
        print(f"  {participant.role.value}: {participant.actor}")
    for intervention in record.interventions_of(plan):
        print(f"  {intervention.title}: {intervention.responsible} is responsible")
    view = susanne.sector_view(plan)  # the education sector's: Susanne's, from the directory
    print("The advisory partner's view, each item with what allowed it:")
    for kind, _, shown in view.shown():
        print(f"  {kind}: {shown.allowed_by.basis.value}")
    print("  (the anxiety course shows only as an intervention of health: what it is, is health")
    print("  information, and no consent lets the education sector receive that)")

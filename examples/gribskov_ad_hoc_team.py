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
    Actor,
    ActorKind,
    ConsentGiver,
    InformationCategory,
    Law,
    MeetingAttendee,
    OnePlan,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    Responsibility,
    Sector,
    SharingNotCovered,
)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def clock() -> datetime:
    """The story's "now": the application's clock, for effective times and reads."""
    return on(12, 1)


henrik = Actor.caseworker("henrik.b", Sector.CHILDREN_AND_FAMILY, Law.BL, name="Henrik Bach")
susanne = Actor.caseworker("susanne.l", Sector.EDUCATION, Law.FGU, Law.STU, name="Susanne Lund")
rikke = Actor.caseworker("rikke.d", Sector.HEALTH, Law.SUL, name="Rikke Dahl")

with OnePlan.open("memory://", clock=clock) as app:
    amalie = app.register_citizen(
        name="Amalie Jensen", birth_date=date(2009, 1, 20), actor=henrik, effective_at=on(2, 2)
    )
    custody_and_amalie = [
        ConsentGiver(kind=ActorKind.GUARDIAN, name="Helle Jensen"),
        ConsentGiver(kind=ActorKind.CITIZEN, name="Amalie Jensen"),
    ]
    consent = app.grant_consent(
        citizen_id=amalie,
        recipient_sectors=[Sector.CHILDREN_AND_FAMILY, Sector.EDUCATION],
        categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
        purpose="a coordinated youth effort",
        period=Period(start=date(2026, 2, 2), end=date(2027, 1, 19)),
        given_by=custody_and_amalie,
        actor=henrik,
        effective_at=on(2, 2),
    )
    plan = app.open_plan(
        citizen_ids=[amalie],
        consent_ids=[consent],
        legal_bases=["BL § 110"],
        coordinator=henrik,
        actor=henrik,
        effective_at=on(2, 3),
    )
    app.record_citizens_wishes(
        plan_id=plan,
        citizen_id=amalie,
        wishes="Jeg vil gerne starte på en uddannelse, men jeg kan ikke overskue det.",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.EDUCATION),
        actor=henrik,
        effective_at=on(2, 3),
    )
    goal = app.set_goal(
        plan_id=plan,
        description="Amalie starts at FGU in August",
        due=date(2026, 8, 31),
        actor=henrik,
        effective_at=on(2, 3),
    )
    app.add_participant(
        plan_id=plan,
        participant=susanne,
        role=ParticipantRole.ADVISORY_PARTNER,
        actor=henrik,
        effective_at=on(2, 3),
    )
    print("Gribskov: Henrik (children and family) coordinates Amalie's plan (she is 17);")
    print("  Susanne, who knows the education laws, is his formal advisory partner.")

    bridge = app.propose_intervention(
        plan_id=plan,
        citizen_id=amalie,
        sector=Sector.EDUCATION,
        legal_basis="FGU § 2",
        title="Bridge-building visits at the FGU school",
        goal_ids=[goal],
        responsible=susanne,
        planned_period=Period(start=date(2026, 3, 1), end=date(2026, 7, 31)),
        planned_cost="8000.00",
        actor=henrik,
        effective_at=on(2, 10),
    )
    print("\nAnxiety keeps Amalie from the visits. The team wants the health department in:")
    try:
        app.add_participant(plan_id=plan, participant=rikke, actor=henrik, effective_at=on(3, 16))
    except SharingNotCovered as refused:
        print(f"  Not yet ({refused.rule}): {refused}")
    app.grant_consent(
        citizen_id=amalie,
        recipient_sectors=[Sector.HEALTH],
        categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
        purpose="help with anxiety as part of the youth effort",
        period=Period(start=date(2026, 3, 16), end=date(2027, 1, 19)),
        given_by=custody_and_amalie,
        actor=henrik,
        effective_at=on(3, 16),
    )
    app.add_participant(plan_id=plan, participant=rikke, actor=henrik, effective_at=on(3, 16))
    print("  Amalie and her mother consent to sharing with health; Rikke joins the team.")

    course = app.propose_intervention(
        plan_id=plan,
        citizen_id=amalie,
        sector=Sector.HEALTH,
        legal_basis="SUL § 119",
        title="Anxiety course for young people",
        goal_ids=[goal],
        responsible=henrik,
        planned_period=Period(start=date(2026, 3, 23), end=date(2026, 6, 12)),
        planned_cost="6500.00",
        actor=henrik,
        effective_at=on(3, 17),
    )
    app.hold_meeting(
        plan_id=plan,
        attendees=[
            MeetingAttendee(id="henrik.b", sector=Sector.CHILDREN_AND_FAMILY),
            MeetingAttendee(id="susanne.l", sector=Sector.EDUCATION),
            MeetingAttendee(id="rikke.d", sector=Sector.HEALTH),
            MeetingAttendee(id="amalie", kind=ActorKind.CITIZEN),
        ],
        decisions=[
            "The anxiety course comes first; the school visits continue after it",
            "Health takes part in the team until August",
        ],
        responsibilities=[
            Responsibility(intervention_id=course, caseworker=rikke),
            Responsibility(intervention_id=bridge, caseworker=susanne),
        ],
        next_meeting=date(2026, 5, 4),
        actor=henrik,
        effective_at=on(3, 18),
    )
    print("  An ad-hoc meeting: health cannot say no; it is made responsible for the course.")

    print("\nThe team around Amalie's plan:")
    team = app.plan(plan)
    print(f"  coordinator: {team.coordinator}")
    for participant in team.participants.values():
        print(f"  {participant.role.value}: {participant.actor}")
    for intervention in app.interventions_of(plan):
        print(f"  {intervention.title}: {intervention.responsible} is responsible")
    view = app.sector_view(plan, sector=Sector.EDUCATION, reader=susanne)
    print("The advisory partner's view, each item with what allowed it:")
    for kind, _, shown in view.shown():
        print(f"  {kind}: {shown.allowed_by.basis.value}")
    print("  (the anxiety course shows only as an intervention of health: what it is, is health")
    print("  information, and no consent lets the education sector receive that)")

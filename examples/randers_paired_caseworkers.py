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
    SanctionBeforeSocialContact,
    Sector,
)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def clock() -> datetime:
    """The story's "now": the application's clock, for effective times and reads."""
    return on(12, 1)


tine = Actor.caseworker("tine.h", Sector.EMPLOYMENT, Law.LAB, Law.LAS, name="Tine Holm")
mads = Actor.caseworker("mads.r", Sector.SOCIAL, Law.SEL, name="Mads Riis")

with OnePlan.open("memory://", clock=clock) as app:
    kim = app.register_citizen(
        name="Kim Andersen", birth_date=date(1979, 11, 3), actor=mads, effective_at=on(3, 2)
    )
    consent = app.grant_consent(
        citizen_id=kim,
        recipient_sectors=[Sector.EMPLOYMENT, Sector.SOCIAL],
        categories=list(InformationCategory),
        purpose="one joint plan for the social and the employment area",
        period=Period(start=date(2026, 3, 2)),
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        actor=mads,
        effective_at=on(3, 2),
    )
    plan = app.open_plan(
        citizen_ids=[kim],
        consent_ids=[consent],
        legal_bases=["LAB § 30 b", "SEL § 141 stk. 7"],
        coordinator=tine,
        actor=tine,
        effective_at=on(3, 4),
    )
    app.add_participant(
        plan_id=plan,
        participant=mads,
        role=ParticipantRole.CO_COORDINATOR,
        actor=tine,
        effective_at=on(3, 4),
    )
    app.record_social_contact_person(
        citizen_id=kim, contact_person=mads, actor=mads, effective_at=on(3, 4)
    )
    print("Randers: Tine (job centre) and Mads (social services) hold Kim's plan as a pair.")
    print("  coordinators: " + ", ".join(str(a) for a in app.plan(plan).coordinators()))

    app.record_citizens_wishes(
        plan_id=plan,
        citizen_id=kim,
        wishes="Jeg vil have styr på hverdagen og have noget at stå op til.",
        overarching_goal=OverarchingGoal(kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT),
        actor=mads,
        effective_at=on(3, 4),
    )
    routine = app.set_goal(
        plan_id=plan,
        description="Gets up and out of the door three mornings a week",
        due=date(2026, 6, 30),
        actor=mads,
        effective_at=on(3, 4),
    )
    contact_person = app.propose_intervention(
        plan_id=plan,
        citizen_id=kim,
        sector=Sector.SOCIAL,
        legal_basis="SEL § 85",
        title="Support contact person",
        goal_ids=[routine],
        responsible=mads,
        planned_period=Period(start=date(2026, 3, 9), end=date(2026, 12, 31)),
        planned_cost="40000.00",
        actor=mads,
        effective_at=on(3, 5),
    )
    workshop = app.propose_intervention(
        plan_id=plan,
        citizen_id=kim,
        sector=Sector.EMPLOYMENT,
        legal_basis="LAB § 32",
        title="Practice at the drop-in centre's workshop",
        goal_ids=[routine],
        responsible=tine,
        planned_period=Period(start=date(2026, 4, 1), end=date(2026, 9, 30)),
        planned_cost="12000.00",
        actor=tine,
        effective_at=on(3, 5),
    )
    app.grant_intervention(intervention_id=contact_person, actor=mads, effective_at=on(3, 6))
    app.grant_intervention(intervention_id=workshop, actor=tine, effective_at=on(3, 6))
    app.start_intervention(intervention_id=contact_person, actor=mads, effective_at=on(3, 9))
    app.start_intervention(intervention_id=workshop, actor=tine, effective_at=on(4, 1))
    app.hold_meeting(
        plan_id=plan,
        attendees=[
            MeetingAttendee(id="tine.h", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="mads.r", sector=Sector.SOCIAL),
            MeetingAttendee(id="kim", kind=ActorKind.CITIZEN),
        ],
        decisions=["We meet Kim at the drop-in centre, not at the job centre"],
        actor=tine,
        effective_at=on(4, 1),
    )
    print("  A meeting at the drop-in centre; a contact person and workshop practice start.")

    print("\nKim misses the workshop three times. The job centre wants to sanction:")
    try:
        app.impose_sanction(
            citizen_id=kim,
            legal_basis="LAS § 36",
            reason="absent from the workshop without notice",
            actor=tine,
            effective_at=on(5, 4),
        )
    except SanctionBeforeSocialContact as refused:
        print(f"  Refused ({refused.rule}): {refused}")
    app.record_social_contact_made(
        citizen_id=kim,
        regarding="absent from the workshop three times",
        actor=tine,
        effective_at=on(5, 4),
    )
    print("  Tine calls Mads, who goes looking for Kim at the drop-in centre.")
    app.impose_sanction(
        citizen_id=kim,
        legal_basis="LAS § 36",
        reason="still absent after the contact person tried to reach him",
        actor=tine,
        effective_at=on(5, 11),
    )
    print("  A week later, with the contact made, the sanction is allowed.")
    try:
        app.impose_sanction(
            citizen_id=kim,
            legal_basis="LAS § 36",
            reason="absent again",
            actor=tine,
            effective_at=on(6, 1),
        )
    except SanctionBeforeSocialContact:
        print("  The rule holds once per sanction: the next one needs a new contact first.")

    print("\nBoth sectors read the same plan, each under the consent Kim gave:")
    for reader in (tine, mads):
        assert reader.sector is not None
        view = app.sector_view(plan, sector=reader.sector, reader=reader)
        items = [kind for kind, _, _ in view.shown()]
        print(f"  {reader}: {len(items)} items ({', '.join(sorted(set(items)))})")
    journey = app.journey(kim)
    print(
        f"  Kim has met {journey.caseworker_count} caseworkers in {len(journey.sectors)} sectors."
    )

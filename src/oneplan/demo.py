"""The seeds' story, end to end, told through the public application.

Mette is out of work, has back pain, and her family is in trouble; her son Jonas is
16. Karin, a family coordinator (Furesø), builds the family plan with them and then
steps back, handing over to Anne, a cross-authority caseworker. Physiotherapy, a
SEL § 85 support contact person and LAB § 32 job training follow, the job training
waiting for the physiotherapy to end. A coordinating meeting assigns responsibility,
Mette partly revokes a consent, and the job centre's sanction is refused until the
social-services contact person has been contacted (the Randers rule).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from oneplan.application import OnePlan
from oneplan.errors import OnePlanError
from oneplan.principals import Principal
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    ConsentGivenHow,
    ConsentGiver,
    ContactDetails,
    DeliveryChannel,
    DependencyType,
    InformationCategory,
    InterventionOutcome,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    Responsibility,
    Sector,
    SectorPlanRef,
    StaffRole,
    Target,
)

__all__ = ["run_demo"]

KARIN = Principal.staff("karin.f")
ANNE = Principal.staff("anne.t")
PETER = Principal.staff("peter.j")
LARS = Principal.staff("lars.s")
SOFIE = Principal.staff("sofie.h")
HANNE = Principal.staff("hanne.b")
SYSTEM = Principal.system("demo")
"""The demo's account reads the full record as the application's own job."""

STAFF: tuple[tuple[str, str, Sector, tuple[Law, ...], str], ...] = (
    ("karin.f", "Karin Friis", Sector.CHILDREN_AND_FAMILY, (Law.BL,), "familiekoordinator"),
    (
        "anne.t",
        "Anne Thomsen",
        Sector.EMPLOYMENT,
        (Law.LAB, Law.LAS, Law.SEL),
        "tværmyndig sagsbehandler",
    ),
    ("peter.j", "Peter Juhl", Sector.EMPLOYMENT, (Law.LAB, Law.LAS), "jobkonsulent"),
    ("lars.s", "Lars Skov", Sector.SOCIAL, (Law.SEL,), "socialrådgiver"),
    ("sofie.h", "Sofie Holm", Sector.HEALTH, (Law.SUL,), "fysioterapeut"),
    ("hanne.b", "Hanne Berg", Sector.HOUSING, (Law.ABL,), "boligsocial medarbejder"),
)
"""The demo's staff: id, name, sector, the laws delegated to them, title."""


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def staff_directory(app: OnePlan) -> None:
    """The demo municipality's staff directory (rule 11): its first administrator by
    configuration, then staff registered by the administrator and authority under each
    law delegated by a manager of their sector, from 1 December 2025. Kept as it is
    when the demo runs again on the same record."""
    since = _at(date(2025, 12, 1))
    known = {member.staff_id for member in app.as_(SYSTEM).staff()}
    if "it.admin" not in known:
        app.bootstrap(
            staff_id="it.admin", name="Ida Thorsen", sector=Sector.SOCIAL, effective_at=since
        )
    admin = app.as_(Principal.staff("it.admin"))
    for sector in {s for _, _, s, _, _ in STAFF}:
        manager = f"leder.{sector.value}"
        if manager not in known:
            admin.register_staff(
                staff_id=manager,
                name=f"Leder, {sector.value}",
                sector=sector,
                roles=[StaffRole.MANAGER],
                effective_at=since,
            )
    for staff_id, name, sector, laws, title in STAFF:
        if staff_id in known:
            continue
        admin.register_staff(
            staff_id=staff_id,
            name=name,
            sector=sector,
            title=title,
            contact=ContactDetails(
                phone="72 36 00 00",
                email=f"{staff_id}@furesoe.dk",
                digital_post="Furesø Kommune, Borgerservice",
                opening_hours="man-tors 9-15, fre 9-12",
            ),
            effective_at=since,
        )
        for law in laws:
            app.as_(Principal.staff(f"leder.{sector.value}")).delegate_authority(
                staff_id=staff_id,
                law=law,
                basis="Furesø Kommunes delegationsplan 2026",
                period=Period(start=since.date()),
                effective_at=since,
            )


def run_demo(app: OnePlan, say: Callable[[str], Any] = print) -> UUID:
    """Tell the story on ``app``; returns the plan id."""
    say("oneplan demo: one coordinated plan with the citizen\n")
    staff_directory(app)
    say(
        "0. The staff directory: an administrator registers the staff, and managers "
        "delegate authority under each law (bemyndigelse)."
    )

    mette = app.as_(KARIN).register_citizen(
        name="Mette Hansen",
        birth_date=date(1984, 5, 2),
        effective_at=_at(date(2026, 1, 12)),
    )
    jonas = app.as_(KARIN).register_citizen(
        name="Jonas Hansen",
        birth_date=date(2010, 3, 9),
        effective_at=_at(date(2026, 1, 12)),
    )
    say("1. Mette (41, out of work, back pain) and her son Jonas (15) are registered.")

    period = Period(start=date(2026, 1, 12), end=date(2027, 12, 31))
    mette_consent = app.as_(KARIN).grant_consent(
        citizen_id=mette,
        effective_at=_at(date(2026, 1, 12)),
        recipient_sectors=[
            Sector.EMPLOYMENT,
            Sector.SOCIAL,
            Sector.HEALTH,
            Sector.CHILDREN_AND_FAMILY,
        ],
        categories=[
            InformationCategory.GOALS,
            InformationCategory.INTERVENTIONS,
            InformationCategory.PROGRESS_NOTES,
            InformationCategory.MEETING_DECISIONS,
        ],
        purpose="én koordineret familieplan",
        period=period,
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name="Mette Hansen")],
        given_how=ConsentGivenHow.IN_MEETING,
    )
    try:
        app.as_(KARIN).grant_consent(
            citizen_id=jonas,
            effective_at=_at(date(2026, 1, 12)),
            recipient_sectors=[Sector.CHILDREN_AND_FAMILY, Sector.SOCIAL],
            categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
            purpose="én koordineret familieplan",
            period=period,
            given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name="Jonas Hansen")],
            given_how=ConsentGivenHow.IN_MEETING,
        )
    except OnePlanError as refused:
        say(f"   Refused, as it should be: {refused}")
    app.as_(KARIN).record_custody(
        citizen_id=jonas, holder_id=mette, effective_at=_at(date(2026, 1, 12))
    )
    jonas_consent = app.as_(Principal.citizen(mette)).grant_consent(
        citizen_id=jonas,
        effective_at=_at(date(2026, 1, 12)),
        recipient_sectors=[Sector.CHILDREN_AND_FAMILY, Sector.SOCIAL, Sector.EMPLOYMENT],
        categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
        purpose="én koordineret familieplan",
        period=period,
    )
    say(
        "2. Both consent to sharing: Karin records Mette's, given at their meeting; Mette, "
        "recorded as holding custody, gives Jonas's herself."
    )

    plan = app.as_(KARIN).open_plan(
        citizen_ids=[mette, jonas],
        consent_ids=[mette_consent, jonas_consent],
        legal_bases=["LAB § 30 b", "SEL § 141 stk. 7", "BL § 110"],
        replaces=[
            SectorPlanRef(
                sector=Sector.EMPLOYMENT,
                legal_basis=LegalBasis.parse("LAB § 30 b"),
                reference="jobplan 2025",
            ),
            SectorPlanRef(
                sector=Sector.CHILDREN_AND_FAMILY,
                legal_basis=LegalBasis.parse("BL § 110"),
                reference="barnets plan",
            ),
        ],
        coordinator=KARIN,
        effective_at=_at(date(2026, 1, 14)),
    )
    say(
        f"3. The family plan {plan} replaces the job plan and the child's plan; "
        "Karin, family coordinator, holds it."
    )

    app.as_(KARIN).record_citizens_wishes(
        plan_id=plan,
        citizen_id=mette,
        effective_at=_at(date(2026, 1, 14)),
        wishes="Jeg vil gerne arbejde med mennesker igen, og der skal være ro derhjemme.",
        overarching_goal=OverarchingGoal(
            kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=20
        ),
    )
    say(
        "4. Mette's own wishes: \"Jeg vil gerne arbejde med mennesker igen, og der skal være "
        'ro derhjemme."'
    )

    work_goal = app.as_(KARIN).set_goal(
        plan_id=plan,
        effective_at=_at(date(2026, 1, 14)),
        description="I arbejde 20 timer om ugen",
        due=date(2027, 6, 30),
        target=Target(measure="timer i arbejde om ugen", value=Decimal(20), unit="timer"),
    )
    bus_goal = app.as_(KARIN).set_goal(
        plan_id=plan,
        parent_id=work_goal,
        effective_at=_at(date(2026, 1, 14)),
        description="Tager bussen alene til jobtræningen",
        due=date(2026, 3, 31),
    )
    back_goal = app.as_(KARIN).set_goal(
        plan_id=plan,
        parent_id=work_goal,
        effective_at=_at(date(2026, 1, 14)),
        description="Kan arbejde fire timer ad gangen uden rygsmerter",
        due=date(2026, 9, 30),
        target=Target(measure="timer uden smerter", value=Decimal(4), unit="timer"),
    )
    say(
        "5. Goal: in work 20 hours a week by June 2027; sub-goals: the bus alone by March, "
        "four hours without back pain by September."
    )

    handed = app.as_(KARIN).hand_over_coordinator(
        plan_id=plan,
        new_coordinator=ANNE,
        previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
        reason="familieplanen er på plads; familiekoordinatoren træder et skridt tilbage",
        effective_at=_at(date(2026, 2, 2)),
    )
    for caseworker in (PETER, LARS):
        app.as_(ANNE).add_participant(
            plan_id=plan, participant=caseworker, effective_at=_at(date(2026, 2, 2))
        )
    say(
        f"6. Karin hands plan {handed} over to Anne (cross-authority: LAB, LAS and SEL) "
        "and steps back to a lighter role; the coordinator pulls in Peter from the job centre "
        "and Lars from social services."
    )

    physio = app.as_(ANNE).propose_intervention(
        plan_id=plan,
        citizen_id=mette,
        sector=Sector.HEALTH,
        legal_basis="SUL § 140",
        title="Fysioterapi mod rygsmerter",
        goal_ids=[back_goal],
        responsible=SOFIE,
        planned_period=Period(start=date(2026, 2, 9), end=date(2026, 5, 29)),
        planned_cost=Money.dkk("14400.00"),
        effective_at=_at(date(2026, 2, 3)),
    )
    contact = app.as_(ANNE).propose_intervention(
        plan_id=plan,
        citizen_id=mette,
        sector=Sector.SOCIAL,
        legal_basis="SEL § 85",
        title="Støtte- og kontaktperson",
        goal_ids=[bus_goal],
        responsible=LARS,
        planned_period=Period(start=date(2026, 2, 9), end=date(2026, 12, 31)),
        planned_cost=Money.dkk("62000.00"),
        effective_at=_at(date(2026, 2, 3)),
    )
    training = app.as_(ANNE).propose_intervention(
        plan_id=plan,
        citizen_id=mette,
        sector=Sector.EMPLOYMENT,
        legal_basis="LAB § 32",
        title="Jobtræning på et plejecenter",
        goal_ids=[work_goal],
        responsible=ANNE,
        planned_period=Period(start=date(2026, 6, 1), end=date(2026, 11, 30)),
        planned_cost=Money.dkk("18000.00"),
        effective_at=_at(date(2026, 2, 3)),
    )
    app.as_(ANNE).add_dependency(
        intervention_id=training,
        on_intervention_id=physio,
        type=DependencyType.AFTER_END,
        effective_at=_at(date(2026, 2, 3)),
    )
    say(
        "7. Three interventions: physiotherapy (SUL § 140), a support contact person "
        "(SEL § 85), and job training (LAB § 32), which waits for the physiotherapy to end."
    )

    app.as_(ANNE).grant_intervention(
        intervention_id=contact,
        effective_at=_at(date(2026, 2, 4)),
        note="bevilget på stedet af den tværmyndige sagsbehandler",
    )
    app.as_(SOFIE).grant_intervention(intervention_id=physio, effective_at=_at(date(2026, 2, 4)))
    app.as_(ANNE).grant_intervention(intervention_id=training, effective_at=_at(date(2026, 2, 4)))
    say(
        "8. Anne grants the SEL § 85 contact person herself, two days after the plan: "
        "no referral between departments."
    )

    app.as_(LARS).start_intervention(intervention_id=contact, effective_at=_at(date(2026, 2, 9)))
    app.as_(LARS).record_social_contact_person(
        citizen_id=mette, contact_person=LARS, effective_at=_at(date(2026, 2, 9))
    )
    app.as_(SOFIE).start_intervention(intervention_id=physio, effective_at=_at(date(2026, 2, 9)))
    try:
        app.as_(ANNE).start_intervention(
            intervention_id=training, effective_at=_at(date(2026, 2, 10))
        )
    except OnePlanError as refused:
        say(f"   Job training cannot start yet: {refused.__class__.__name__}")
    app.as_(SOFIE).pause_intervention(
        intervention_id=physio,
        reason="Mette er indlagt på hospitalet",
        expected_resume=date(2026, 3, 16),
        effective_at=_at(date(2026, 3, 2)),
    )
    app.as_(SOFIE).resume_intervention(intervention_id=physio, effective_at=_at(date(2026, 3, 16)))
    say("9. Physiotherapy is paused for a hospital stay (2 March) and resumed (16 March).")

    app.as_(LARS).record_goal_progress(
        plan_id=plan,
        goal_id=bus_goal,
        achievement=AchievementStatus.ACHIEVED,
        note="tog bussen alene tre uger i træk",
        effective_at=_at(date(2026, 3, 27)),
    )
    app.as_(ANNE).complete_goal(plan_id=plan, goal_id=bus_goal, effective_at=_at(date(2026, 3, 30)))
    app.as_(SOFIE).record_actual_cost(
        intervention_id=physio,
        amount=Money.dkk("13650.00"),
        budget_area=BudgetArea.SERVICE,
        period=Period(start=date(2026, 2, 9), end=date(2026, 5, 29)),
        effective_at=_at(date(2026, 5, 29)),
    )
    app.as_(SOFIE).complete_intervention(
        intervention_id=physio,
        outcome=InterventionOutcome.GOALS_MET,
        effective_at=_at(date(2026, 5, 29)),
    )
    say("10. Mette takes the bus alone by March; the physiotherapy ends in May.")

    meeting = app.as_(ANNE).hold_meeting(
        plan_id=plan,
        effective_at=_at(date(2026, 6, 1)),
        attendees=[
            MeetingAttendee(id="anne.t", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="peter.j", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="lars.s", sector=Sector.SOCIAL),
            MeetingAttendee(id=str(mette), kind=ActorKind.CITIZEN),
        ],
        decisions=[
            "Jobtræningen begynder nu, tre dage om ugen",
            "Kontaktpersonen tager med Mette den første uge",
        ],
        responsibilities=[
            Responsibility(
                intervention_id=training, caseworker=Actor.caseworker("peter.j", Sector.EMPLOYMENT)
            )
        ],
        next_meeting=date(2026, 9, 1),
    )
    app.as_(PETER).start_intervention(intervention_id=training, effective_at=_at(date(2026, 6, 1)))
    say(
        f"11. Coordinating meeting {meeting}: Peter becomes responsible for the job training, "
        "which starts now that the physiotherapy has ended."
    )

    app.as_(Principal.citizen(mette)).revoke_consent(
        citizen_id=mette,
        consent_id=mette_consent,
        sectors=[Sector.HEALTH],
        reason="rygbehandlingen er slut",
        effective_at=_at(date(2026, 6, 15)),
    )
    try:
        app.as_(ANNE).add_participant(
            plan_id=plan, participant=SOFIE, effective_at=_at(date(2026, 6, 16))
        )
    except OnePlanError as refused:
        say(f"12. Mette revokes the health sector's access; sharing fails closed: {refused}")
    try:
        app.as_(HANNE).set_goal(
            plan_id=plan,
            description="Flytter i en mindre lejlighed",
            effective_at=_at(date(2026, 6, 16)),
        )
    except OnePlanError as refused:
        say(f"    A housing caseworker who is not on the plan cannot change it: {refused}")

    try:
        app.as_(PETER).impose_sanction(
            citizen_id=mette,
            legal_basis="LAS § 36",
            reason="udeblev fra jobtræningen",
            effective_at=_at(date(2026, 7, 6)),
        )
    except OnePlanError as refused:
        say(f"13. {refused}")
    app.as_(PETER).record_social_contact_made(
        citizen_id=mette,
        regarding="udeblev fra jobtræningen to gange",
        effective_at=_at(date(2026, 7, 6)),
    )
    app.as_(PETER).impose_sanction(
        citizen_id=mette,
        legal_basis="LAS § 36",
        reason="udeblev fra jobtræningen",
        effective_at=_at(date(2026, 7, 8)),
    )
    say("    After Peter has called Lars, the sanction is allowed.")

    version = app.as_(ANNE).deliver_plan(
        plan_id=plan,
        channel=DeliveryChannel.DIGITAL_POST,
        effective_at=_at(date(2026, 7, 9)),
    )
    say(f"14. The plan (version {version}) goes to Mette's digital mailbox.")

    _account(app, plan, say)
    return plan


def _account(app: OnePlan, plan_id: UUID, say: Callable[[str], Any]) -> None:
    record = app.as_(SYSTEM).record
    plan = record.plan(plan_id)
    say("\nThe plan as it stands")
    say(f"  status: {plan.status.value}; coordinator: {plan.coordinator}")
    for participant in plan.participants.values():
        say(f"  participant: {participant.actor} as {participant.role.value}")
    for goal in plan.goals.values():
        indent = "    " if goal.parent_id else "  "
        achieved = f", {goal.achievement.value}" if goal.achievement else ""
        say(f"{indent}goal: {goal.description} (due {goal.due}; {goal.status.value}{achieved})")
    for intervention in record.interventions_of(plan_id):
        say(
            f"  intervention: {intervention.title} [{intervention.legal_basis}] "
            f"{intervention.status.value}, responsible {intervention.responsible}"
        )
    events = sum(
        len(record.history(i)) for i in (plan_id, *plan.citizen_ids, *plan.intervention_ids)
    )
    say(f"  {events} events recorded; nothing edited, nothing deleted.")

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
from oneplan.values import (
    AchievementStatus,
    Actor,
    ActorKind,
    BudgetArea,
    ConsentGiver,
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
    Target,
)

__all__ = ["run_demo"]

KARIN = Actor.caseworker("karin.f", Sector.CHILDREN_AND_FAMILY, Law.BL, name="Karin Friis")
ANNE = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL, name="Anne Thomsen")
PETER = Actor.caseworker("peter.j", Sector.EMPLOYMENT, Law.LAB, Law.LAS, name="Peter Juhl")
LARS = Actor.caseworker("lars.s", Sector.SOCIAL, Law.SEL, name="Lars Skov")
SOFIE = Actor.caseworker("sofie.h", Sector.HEALTH, Law.SUL, name="Sofie Holm")


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def run_demo(app: OnePlan, say: Callable[[str], Any] = print) -> UUID:
    """Tell the story on ``app``; returns the plan id."""
    say("oneplan demo: one coordinated plan with the citizen\n")

    mette = app.register_citizen(
        name="Mette Hansen",
        birth_date=date(1984, 5, 2),
        actor=KARIN,
        effective_at=_at(date(2026, 1, 12)),
    )
    jonas = app.register_citizen(
        name="Jonas Hansen",
        birth_date=date(2010, 3, 9),
        actor=KARIN,
        effective_at=_at(date(2026, 1, 12)),
    )
    say("1. Mette (41, out of work, back pain) and her son Jonas (15) are registered.")

    period = Period(start=date(2026, 1, 12), end=date(2027, 12, 31))
    mette_consent = app.grant_consent(
        citizen_id=mette,
        actor=KARIN,
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
        purpose="one coordinated family plan",
        period=period,
        given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name="Mette Hansen")],
    )
    try:
        app.grant_consent(
            citizen_id=jonas,
            actor=KARIN,
            effective_at=_at(date(2026, 1, 12)),
            recipient_sectors=[Sector.CHILDREN_AND_FAMILY, Sector.SOCIAL],
            categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
            purpose="one coordinated family plan",
            period=period,
            given_by=[ConsentGiver(kind=ActorKind.CITIZEN, name="Jonas Hansen")],
        )
    except OnePlanError as refused:
        say(f"   Refused, as it should be: {refused}")
    jonas_consent = app.grant_consent(
        citizen_id=jonas,
        actor=KARIN,
        effective_at=_at(date(2026, 1, 12)),
        recipient_sectors=[Sector.CHILDREN_AND_FAMILY, Sector.SOCIAL, Sector.EMPLOYMENT],
        categories=[InformationCategory.GOALS, InformationCategory.INTERVENTIONS],
        purpose="one coordinated family plan",
        period=period,
        given_by=[ConsentGiver(kind=ActorKind.GUARDIAN, name="Mette Hansen")],
    )
    say("2. Both consent to sharing; Jonas's consent is given by Mette, who has custody.")

    plan = app.open_plan(
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
        actor=KARIN,
        effective_at=_at(date(2026, 1, 14)),
    )
    say(
        f"3. The family plan {plan} replaces the job plan and the child's plan; "
        "Karin, family coordinator, holds it."
    )

    app.record_citizens_wishes(
        plan_id=plan,
        citizen_id=mette,
        actor=KARIN,
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

    work_goal = app.set_goal(
        plan_id=plan,
        actor=KARIN,
        effective_at=_at(date(2026, 1, 14)),
        description="In work 20 hours a week",
        due=date(2027, 6, 30),
        target=Target(measure="hours of work a week", value=Decimal(20), unit="hours"),
    )
    bus_goal = app.set_goal(
        plan_id=plan,
        parent_id=work_goal,
        actor=KARIN,
        effective_at=_at(date(2026, 1, 14)),
        description="Takes the bus alone to the job training",
        due=date(2026, 3, 31),
    )
    back_goal = app.set_goal(
        plan_id=plan,
        parent_id=work_goal,
        actor=KARIN,
        effective_at=_at(date(2026, 1, 14)),
        description="Back pain allows four hours of work at a time",
        due=date(2026, 9, 30),
        target=Target(measure="hours without pain", value=Decimal(4), unit="hours"),
    )
    say(
        "5. Goal: in work 20 hours a week by June 2027; sub-goals: the bus alone by March, "
        "four hours without back pain by September."
    )

    handed = app.hand_over_coordinator(
        plan_id=plan,
        new_coordinator=ANNE,
        previous_stays_as=ParticipantRole.FAMILY_COORDINATOR,
        reason="the family plan is in place; the family coordinator steps back",
        actor=KARIN,
        effective_at=_at(date(2026, 2, 2)),
    )
    app.add_participant(
        plan_id=plan, participant=PETER, actor=ANNE, effective_at=_at(date(2026, 2, 2))
    )
    say(
        f"6. Karin hands plan {handed} over to Anne (cross-authority: LAB, LAS and SEL) "
        "and steps back to a lighter role; Peter from the job centre joins."
    )

    physio = app.propose_intervention(
        plan_id=plan,
        citizen_id=mette,
        sector=Sector.HEALTH,
        legal_basis="SUL § 140",
        title="Physiotherapy for back pain",
        goal_ids=[back_goal],
        responsible=SOFIE,
        planned_period=Period(start=date(2026, 2, 9), end=date(2026, 5, 29)),
        planned_cost=Money.dkk("14400.00"),
        actor=ANNE,
        effective_at=_at(date(2026, 2, 3)),
    )
    contact = app.propose_intervention(
        plan_id=plan,
        citizen_id=mette,
        sector=Sector.SOCIAL,
        legal_basis="SEL § 85",
        title="Support contact person",
        goal_ids=[bus_goal],
        responsible=LARS,
        planned_period=Period(start=date(2026, 2, 9), end=date(2026, 12, 31)),
        planned_cost=Money.dkk("62000.00"),
        actor=ANNE,
        effective_at=_at(date(2026, 2, 3)),
    )
    training = app.propose_intervention(
        plan_id=plan,
        citizen_id=mette,
        sector=Sector.EMPLOYMENT,
        legal_basis="LAB § 32",
        title="Job training in a care home",
        goal_ids=[work_goal],
        responsible=ANNE,
        planned_period=Period(start=date(2026, 6, 1), end=date(2026, 11, 30)),
        planned_cost=Money.dkk("18000.00"),
        actor=ANNE,
        effective_at=_at(date(2026, 2, 3)),
    )
    app.add_dependency(
        intervention_id=training,
        on_intervention_id=physio,
        type=DependencyType.AFTER_END,
        actor=ANNE,
        effective_at=_at(date(2026, 2, 3)),
    )
    say(
        "7. Three interventions: physiotherapy (SUL § 140), a support contact person "
        "(SEL § 85), and job training (LAB § 32), which waits for the physiotherapy to end."
    )

    app.grant_intervention(
        intervention_id=contact,
        actor=ANNE,
        effective_at=_at(date(2026, 2, 4)),
        note="granted on the spot by the cross-authority caseworker",
    )
    app.grant_intervention(intervention_id=physio, actor=SOFIE, effective_at=_at(date(2026, 2, 4)))
    app.grant_intervention(intervention_id=training, actor=ANNE, effective_at=_at(date(2026, 2, 4)))
    say(
        "8. Anne grants the SEL § 85 contact person herself, two days after the plan: "
        "no referral between departments."
    )

    app.start_intervention(intervention_id=contact, actor=LARS, effective_at=_at(date(2026, 2, 9)))
    app.record_social_contact_person(
        citizen_id=mette, contact_person=LARS, actor=LARS, effective_at=_at(date(2026, 2, 9))
    )
    app.start_intervention(intervention_id=physio, actor=SOFIE, effective_at=_at(date(2026, 2, 9)))
    try:
        app.start_intervention(
            intervention_id=training, actor=ANNE, effective_at=_at(date(2026, 2, 10))
        )
    except OnePlanError as refused:
        say(f"   Job training cannot start yet: {refused.__class__.__name__}")
    app.pause_intervention(
        intervention_id=physio,
        reason="Mette is admitted to hospital",
        expected_resume=date(2026, 3, 16),
        actor=SOFIE,
        effective_at=_at(date(2026, 3, 2)),
    )
    app.resume_intervention(
        intervention_id=physio, actor=SOFIE, effective_at=_at(date(2026, 3, 16))
    )
    say("9. Physiotherapy is paused for a hospital stay (2 March) and resumed (16 March).")

    app.record_goal_progress(
        plan_id=plan,
        goal_id=bus_goal,
        achievement=AchievementStatus.ACHIEVED,
        note="took the bus alone three weeks running",
        actor=LARS,
        effective_at=_at(date(2026, 3, 27)),
    )
    app.complete_goal(
        plan_id=plan, goal_id=bus_goal, actor=ANNE, effective_at=_at(date(2026, 3, 30))
    )
    app.record_actual_cost(
        intervention_id=physio,
        amount=Money.dkk("13650.00"),
        budget_area=BudgetArea.SERVICE,
        actor=SOFIE,
        period=Period(start=date(2026, 2, 9), end=date(2026, 5, 29)),
        effective_at=_at(date(2026, 5, 29)),
    )
    app.complete_intervention(
        intervention_id=physio,
        outcome=InterventionOutcome.GOALS_MET,
        actor=SOFIE,
        effective_at=_at(date(2026, 5, 29)),
    )
    say("10. Mette takes the bus alone by March; the physiotherapy ends in May.")

    meeting = app.hold_meeting(
        plan_id=plan,
        actor=ANNE,
        effective_at=_at(date(2026, 6, 1)),
        attendees=[
            MeetingAttendee(id="anne.t", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="peter.j", sector=Sector.EMPLOYMENT),
            MeetingAttendee(id="lars.s", sector=Sector.SOCIAL),
            MeetingAttendee(id=str(mette), kind=ActorKind.CITIZEN),
        ],
        decisions=[
            "Job training starts now, three days a week",
            "The contact person goes with Mette the first week",
        ],
        responsibilities=[Responsibility(intervention_id=training, caseworker=PETER)],
        next_meeting=date(2026, 9, 1),
    )
    app.start_intervention(
        intervention_id=training, actor=PETER, effective_at=_at(date(2026, 6, 1))
    )
    say(
        f"11. Coordinating meeting {meeting}: Peter becomes responsible for the job training, "
        "which starts now that the physiotherapy has ended."
    )

    app.revoke_consent(
        citizen_id=mette,
        consent_id=mette_consent,
        sectors=[Sector.HEALTH],
        reason="the back treatment is over",
        actor=ANNE,
        effective_at=_at(date(2026, 6, 15)),
    )
    try:
        app.add_participant(
            plan_id=plan, participant=SOFIE, actor=ANNE, effective_at=_at(date(2026, 6, 16))
        )
    except OnePlanError as refused:
        say(f"12. Mette revokes the health sector's access; sharing fails closed: {refused}")

    try:
        app.impose_sanction(
            citizen_id=mette,
            legal_basis="LAS § 36",
            reason="missed job training",
            actor=PETER,
            effective_at=_at(date(2026, 7, 6)),
        )
    except OnePlanError as refused:
        say(f"13. {refused}")
    app.record_social_contact_made(
        citizen_id=mette,
        regarding="missed job training twice",
        actor=PETER,
        effective_at=_at(date(2026, 7, 6)),
    )
    app.impose_sanction(
        citizen_id=mette,
        legal_basis="LAS § 36",
        reason="missed job training",
        actor=PETER,
        effective_at=_at(date(2026, 7, 8)),
    )
    say("    After Peter has called Lars, the sanction is allowed.")

    version = app.deliver_plan(
        plan_id=plan,
        channel=DeliveryChannel.DIGITAL_POST,
        actor=ANNE,
        effective_at=_at(date(2026, 7, 9)),
    )
    say(f"14. The plan (version {version}) goes to Mette's digital mailbox.")

    _account(app, plan, say)
    return plan


def _account(app: OnePlan, plan_id: UUID, say: Callable[[str], Any]) -> None:
    plan = app.plan(plan_id)
    say("\nThe plan as it stands")
    say(f"  status: {plan.status.value}; coordinator: {plan.coordinator}")
    for participant in plan.participants.values():
        say(f"  participant: {participant.actor} as {participant.role.value}")
    for goal in plan.goals.values():
        indent = "    " if goal.parent_id else "  "
        achieved = f", {goal.achievement.value}" if goal.achievement else ""
        say(f"{indent}goal: {goal.description} (due {goal.due}; {goal.status.value}{achieved})")
    for intervention in app.interventions_of(plan_id):
        say(
            f"  intervention: {intervention.title} [{intervention.legal_basis}] "
            f"{intervention.status.value}, responsible {intervention.responsible}"
        )
    events = sum(len(app.history(i)) for i in (plan_id, *plan.citizen_ids, *plan.intervention_ids))
    say(f"  {events} events recorded; nothing edited, nothing deleted.")

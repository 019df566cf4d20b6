"""The citizen's own plan document (*borgerens plan*): what it shows, what it never shows,
escaping of what people wrote, and golden files in Danish and English, Markdown and HTML.

Regenerate the golden files after an intended change with
``ONEPLAN_UPDATE_GOLDEN=1 pytest tests/projections/test_citizen_plan.py`` and read them.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from oneplan.errors import CitizenNotFound, EffectiveTimeInvalid, PlanNotFound
from oneplan.projections.citizen_plan import DocumentFormat, Language, render_citizen_plan
from oneplan.projections.citizen_view import CitizenState
from oneplan.projections.plan_view import (
    CostItem,
    GoalItem,
    InterventionItem,
    MeetingItem,
    ParticipantItem,
    PlanState,
    ProgressNote,
)
from oneplan.values import (
    AchievementStatus,
    Actor,
    BudgetArea,
    DependencyType,
    GoalStatus,
    InterventionStatus,
    Law,
    LegalBasis,
    MeetingAttendee,
    Money,
    OverarchingGoal,
    OverarchingGoalKind,
    ParticipantRole,
    Period,
    PlanStatus,
    Responsibility,
    Sector,
    Target,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("ONEPLAN_UPDATE_GOLDEN") == "1"

AS_OF = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)

METTE = UUID(int=1)
JONAS = UUID(int=2)
PLAN = UUID(int=100)
CONSENT = UUID(int=200)
WORK_GOAL = UUID(int=300)
BUS_GOAL = UUID(int=301)
BACK_GOAL = UUID(int=302)
DROPPED_GOAL = UUID(int=303)
CONTACT_PERSON = UUID(int=400)
PHYSIO = UUID(int=401)
JOB_TRAINING = UUID(int=402)
MEETING = UUID(int=500)

ANNE = Actor.caseworker("anne", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL, name="Anne Thomsen")
LARS = Actor.caseworker("lars", Sector.SOCIAL, Law.SEL, name="Lars Nielsen")
SOFIE = Actor.caseworker("sofie", Sector.HEALTH, Law.SUL, name="Sofie Berg")
PETER = Actor.caseworker("peter", Sector.EMPLOYMENT, Law.LAB, Law.LAS)

PROGRESS_NOTE = "Mette was tired at the last session, internal note"
DECISION_NOTE = "Granted after a reassessment, decision note"
MEETING_DECISION = "Anne follows up with the physiotherapist, meeting decision"
END_REASON = "Provider closed, internal end reason"
HAND_OVER_REASON = "Caseload rebalanced, hand-over reason"


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def goal(
    goal_id: UUID,
    description: str,
    *,
    parent_id: UUID | None = None,
    due: date | None = None,
    target: Target | None = None,
    status: GoalStatus = GoalStatus.ACTIVE,
    achievement: AchievementStatus | None = None,
    notes: tuple[ProgressNote, ...] = (),
) -> GoalItem:
    return GoalItem(
        goal_id=goal_id,
        parent_id=parent_id,
        description=description,
        target=target,
        due=due,
        status=status,
        set_at=at(2026, 1, 20),
        set_by=ANNE,
        achievement=achievement,
        notes=notes,
    )


def intervention(
    intervention_id: UUID,
    title: str,
    *,
    sector: Sector,
    legal_basis: str,
    responsible: Actor,
    period: Period,
    goal_ids: tuple[UUID, ...],
    citizen_id: UUID = METTE,
    **changes: object,
) -> InterventionItem:
    item = InterventionItem(
        intervention_id=intervention_id,
        citizen_id=citizen_id,
        sector=sector,
        legal_basis=LegalBasis.parse(legal_basis),
        title=title,
        goal_ids=goal_ids,
        responsible=responsible,
        planned_period=period,
        planned_cost=Money.dkk("48000.00"),
        budget_area=BudgetArea.SERVICE,
        proposed_at=at(2026, 1, 22),
    )
    return attrs.evolve(item, **changes)


def mettes_plan() -> PlanState:
    """Mette's plan on 12 March 2026: partial self-support at 15 hours a week, two goals
    (one with a sub-goal), a support contact person in progress, physiotherapy paused, and
    job training waiting for the physiotherapy to end."""
    goals = [
        goal(
            WORK_GOAL,
            "Mette arbejder 15 timer om ugen på en almindelig arbejdsplads",
            due=date(2027, 6, 30),
            target=Target(measure="Timer i arbejde om ugen", value=Decimal("15"), unit="timer"),
            achievement=AchievementStatus.IMPROVING,
            notes=(
                ProgressNote(
                    recorded_at=at(2026, 3, 1),
                    by=ANNE,
                    achievement=AchievementStatus.IMPROVING,
                    measured_value=Decimal("4"),
                    note=PROGRESS_NOTE,
                ),
            ),
        ),
        goal(
            BUS_GOAL,
            "Mette tager bussen alene til jobtræningen",
            parent_id=WORK_GOAL,
            due=date(2026, 9, 1),
            target=Target(measure="Ture alene med bus om ugen", value=Decimal("3"), unit="ture"),
            status=GoalStatus.ACCEPTED,
        ),
        goal(
            BACK_GOAL,
            "Mindre ondt i ryggen i hverdagen",
            due=date(2026, 12, 31),
            target=Target(measure="Smerter på en skala fra 0 til 10", value=Decimal("3.5")),
        ),
        goal(DROPPED_GOAL, "Tage et truckcertifikat", status=GoalStatus.CANCELLED),
    ]
    interventions = [
        intervention(
            CONTACT_PERSON,
            "Støtte- og kontaktperson",
            sector=Sector.SOCIAL,
            legal_basis="SEL § 85",
            responsible=LARS,
            period=Period(start=date(2026, 2, 1), end=date(2027, 1, 31)),
            goal_ids=(WORK_GOAL, BUS_GOAL),
            status=InterventionStatus.IN_PROGRESS,
            granted_by=LARS,
            granted_at=at(2026, 1, 28),
            decision_note=DECISION_NOTE,
            started_at=at(2026, 2, 3),
            costs=(
                CostItem(
                    amount=Money.dkk("3715.25"),
                    budget_area=BudgetArea.SERVICE,
                    period=Period(start=date(2026, 2, 1), end=date(2026, 2, 28)),
                    recorded_at=at(2026, 3, 2),
                ),
            ),
        ),
        intervention(
            PHYSIO,
            "Fysioterapi mod rygsmerter",
            sector=Sector.HEALTH,
            legal_basis="SUL § 140",
            responsible=SOFIE,
            period=Period(start=date(2026, 2, 9), end=date(2026, 5, 29)),
            goal_ids=(BACK_GOAL,),
            status=InterventionStatus.ON_HOLD,
            granted_by=SOFIE,
            granted_at=at(2026, 2, 5),
            started_at=at(2026, 2, 9),
            paused_at=at(2026, 3, 2),
            pause_reason="Mette skal opereres i knæet og må ikke træne, før det er helet",
            expected_resume=date(2026, 4, 13),
        ),
        intervention(
            JOB_TRAINING,
            "Jobtræning i et havecenter",
            sector=Sector.EMPLOYMENT,
            legal_basis="LAB § 32",
            responsible=PETER,
            period=Period(start=date(2026, 6, 1)),
            goal_ids=(WORK_GOAL, BUS_GOAL),
            waits_for=((PHYSIO, DependencyType.AFTER_END),),
        ),
    ]
    meeting = MeetingItem(
        meeting_id=MEETING,
        held_at=at(2026, 3, 4),
        held_by=ANNE,
        attendees=(MeetingAttendee(id="anne", sector=Sector.EMPLOYMENT),),
        decisions=(MEETING_DECISION,),
        responsibilities=(Responsibility(intervention_id=PHYSIO, caseworker=SOFIE),),
        next_meeting=date(2026, 4, 14),
    )
    co_coordinator = ParticipantItem(
        actor=LARS,
        role=ParticipantRole.CO_COORDINATOR,
        joined_at=at(2026, 1, 21),
        shared_under_consents=(CONSENT,),
        shared_under_law=None,
    )
    return PlanState(
        plan_id=PLAN,
        citizen_ids=(METTE,),
        status=PlanStatus.ACTIVE,
        opened_at=at(2026, 1, 14),
        opened_by=ANNE,
        legal_bases=(LegalBasis.parse("LAB § 30 b"),),
        consent_ids=(CONSENT,),
        wishes={
            METTE: (
                "Jeg vil gerne arbejde med planter igen, men min ryg skal have det bedre først.\n\n"
                "Jeg vil ikke møde nye sagsbehandlere hele tiden."
            )
        },
        overarching_goal=OverarchingGoal(
            kind=OverarchingGoalKind.PARTIAL_SELF_SUPPORT, hours_per_week=15
        ),
        coordinator=ANNE,
        coordinator_since=at(2026, 1, 14),
        participants={"lars": co_coordinator},
        goals={g.goal_id: g for g in goals},
        interventions={i.intervention_id: i for i in interventions},
        meetings=(meeting,),
    )


CITIZENS = {
    METTE: CitizenState(citizen_id=METTE, name="Mette Hansen", plan_id=PLAN),
    JONAS: CitizenState(citizen_id=JONAS, name="Jonas Hansen", plan_id=PLAN),
}


def render(
    plan: PlanState,
    language: Language = Language.DA,
    format: DocumentFormat = DocumentFormat.MARKDOWN,
) -> str:
    return render_citizen_plan(plan, CITIZENS, language=language, format=format, as_of=AS_OF)


def with_goal_description(plan: PlanState, description: str) -> PlanState:
    goals = {**plan.goals, WORK_GOAL: attrs.evolve(plan.goals[WORK_GOAL], description=description)}
    return attrs.evolve(plan, goals=goals)


# --- golden files --------------------------------------------------------------------

SUFFIX = {DocumentFormat.MARKDOWN: "md", DocumentFormat.HTML: "html"}


@pytest.mark.parametrize("format", list(DocumentFormat))
@pytest.mark.parametrize("language", list(Language))
def test_renders_mettes_plan_as_the_golden_file(language: Language, format: DocumentFormat) -> None:
    document = render(mettes_plan(), language, format)
    path = GOLDEN / f"citizen_plan.{language.value}.{SUFFIX[format]}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(document, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run with ONEPLAN_UPDATE_GOLDEN=1 to write it"
    expected = path.read_text(encoding="utf-8")
    assert document == expected, (
        f"the document differs from {path.name}; if the change is intended, regenerate with "
        "ONEPLAN_UPDATE_GOLDEN=1 pytest tests/projections/test_citizen_plan.py and read the diff"
    )


# --- what it shows -------------------------------------------------------------------


def test_renders_the_same_document_twice() -> None:
    for language in Language:
        for format in DocumentFormat:
            assert render(mettes_plan(), language, format) == render(
                mettes_plan(), language, format
            )


def test_shows_the_plan_as_of_its_date_in_danish_and_english() -> None:
    assert "Planen som den så ud 12. marts 2026." in render(mettes_plan())
    assert "The plan as it stood on 12 March 2026." in render(mettes_plan(), Language.EN)


def test_shows_the_as_of_date_in_danish_time() -> None:
    late_evening = datetime(2026, 3, 11, 23, 30, tzinfo=UTC)
    document = render_citizen_plan(mettes_plan(), CITIZENS, as_of=late_evening)
    assert "Planen som den så ud 12. marts 2026." in document


def test_places_sub_goals_under_their_parent() -> None:
    document = render(mettes_plan())
    parent = document.index("### Mål 1: Mette arbejder 15 timer")
    sub_goal = document.index("#### Delmål 1.1: Mette tager bussen alene")
    next_goal = document.index("### Mål 2: Mindre ondt i ryggen")
    assert parent < sub_goal < next_goal


def test_lists_cancelled_goals_only_under_their_own_heading() -> None:
    document = render(mettes_plan())
    heading = document.index("### Mål, der er taget ud af planen")
    assert document.index("- Tage et truckcertifikat") > heading
    assert document.count("Tage et truckcertifikat") == 1


def test_says_why_an_intervention_is_paused_and_when_it_resumes() -> None:
    document = render(mettes_plan(), Language.EN)
    assert "- **Why:** Mette skal opereres i knæet og må ikke træne, før det er helet" in document
    assert "- **Expected to resume:** 13 April 2026" in document


def test_says_in_plain_words_what_an_intervention_waits_for() -> None:
    document = render(mettes_plan())
    waiting = "»Fysioterapi mod rygsmerter« skal være afsluttet, før denne indsats kan begynde"
    assert f"- **Venter på:** {waiting}" in document


def test_stops_saying_it_waits_once_the_other_has_ended() -> None:
    plan = mettes_plan()
    physio = attrs.evolve(
        plan.interventions[PHYSIO], status=InterventionStatus.COMPLETED, ended_at=at(2026, 5, 1)
    )
    plan = attrs.evolve(plan, interventions={**plan.interventions, PHYSIO: physio})
    assert "Venter på" not in render(plan)


def test_names_every_citizen_of_a_household() -> None:
    plan = attrs.evolve(
        mettes_plan(),
        citizen_ids=(METTE, JONAS),
        wishes={**mettes_plan().wishes, JONAS: "Jeg vil gerne gøre 9. klasse færdig."},
    )
    document = render(plan)
    assert document.startswith("# Jeres plan \N{EN DASH} Mette Hansen og Jonas Hansen\n")
    assert "Jonas Hansen har sagt med egne ord:" in document
    assert "- **For:** Mette Hansen" in document
    assert "Your plan \N{EN DASH} Mette Hansen and Jonas Hansen" in render(plan, Language.EN)


def test_says_when_no_meeting_is_planned() -> None:
    plan = attrs.evolve(mettes_plan(), meetings=())
    assert "Der er ikke planlagt et nyt møde endnu." in render(plan)


def test_does_not_show_a_next_meeting_that_has_passed() -> None:
    document = render_citizen_plan(mettes_plan(), CITIZENS, as_of=at(2026, 4, 20))
    assert "14. april 2026" not in document
    assert "Der er ikke planlagt et nyt møde endnu." in document


def test_shows_the_coordinator_and_co_coordinators_with_sector_and_no_internal_id() -> None:
    document = render(mettes_plan())
    assert "**Anne Thomsen**, Jobcenteret\n" in document
    assert "**Lars Nielsen**, Socialforvaltningen\n" in document
    assert "medarbejder-id" not in document
    assert "(anne)" not in document


def test_names_a_caseworker_without_a_name_by_id() -> None:
    assert "- **Hvem er ansvarlig:** peter, Jobcenteret" in render(mettes_plan())


def test_renders_every_status_in_both_languages() -> None:
    plan = mettes_plan()
    goals = {
        UUID(int=1000 + n): goal(UUID(int=1000 + n), f"goal {n}", status=status)
        for n, status in enumerate(GoalStatus)
    }
    goals |= {
        UUID(int=2000 + n): goal(UUID(int=2000 + n), f"goal {n}", achievement=achievement)
        for n, achievement in enumerate(AchievementStatus)
    }
    sectors = list(Sector)
    interventions = {
        UUID(int=3000 + n): intervention(
            UUID(int=3000 + n),
            f"intervention {n}",
            sector=sectors[n % len(sectors)],
            legal_basis=f"{law.value} § 1",
            responsible=Actor.caseworker("x", sectors[n % len(sectors)]),
            period=Period(start=date(2026, 1, 1)),
            goal_ids=(),
            status=status,
            waits_for=tuple((PHYSIO, relation) for relation in DependencyType),
        )
        for n, (status, law) in enumerate(zip(list(InterventionStatus) * 2, Law, strict=False))
    }
    for status in PlanStatus:
        for kind in OverarchingGoalKind:
            for language in Language:
                state = attrs.evolve(
                    plan,
                    status=status,
                    hold_reason="reason",
                    overarching_goal=OverarchingGoal(kind=kind),
                    goals=goals,
                    interventions={**plan.interventions, **interventions},
                )
                assert render(state, language, DocumentFormat.HTML).endswith("</html>\n")


# --- what it never shows -------------------------------------------------------------


def test_never_shows_notes_costs_decisions_or_internal_ids() -> None:
    plan = mettes_plan()
    contact_person = attrs.evolve(
        plan.interventions[CONTACT_PERSON],
        status=InterventionStatus.STOPPED,
        ended_at=at(2026, 3, 10),
        end_reason=END_REASON,
    )
    plan = attrs.evolve(
        plan,
        interventions={**plan.interventions, CONTACT_PERSON: contact_person},
        closing_reason="closing reason",
    )
    internal = [
        PROGRESS_NOTE,
        DECISION_NOTE,
        MEETING_DECISION,
        END_REASON,
        "closing reason",
        "48000",
        "48.000",
        "48,000",
        "3715",
        "3.715",
        "3,715",
        "DKK",
        "kr.",
        *(str(u) for u in (PLAN, METTE, CONSENT, WORK_GOAL, CONTACT_PERSON, MEETING)),
    ]
    for language in Language:
        for format in DocumentFormat:
            document = render(plan, language, format)
            for text in internal:
                assert text not in document, (language, format, text)


# --- escaping what people wrote ------------------------------------------------------

HOSTILE = "<script>alert(1)</script> **bold** [link](http://x)"


def hostile_plan() -> PlanState:
    plan = with_goal_description(mettes_plan(), HOSTILE)
    physio = attrs.evolve(plan.interventions[PHYSIO], pause_reason=HOSTILE, title=HOSTILE)
    return attrs.evolve(
        plan,
        wishes={METTE: f"# Not a heading\n- not a list\n1. not a list\n{HOSTILE}"},
        interventions={**plan.interventions, PHYSIO: physio},
    )


def test_escapes_what_people_wrote_in_the_markdown() -> None:
    document = render(hostile_plan())
    assert "<script>" not in document
    assert r"\<script\>alert(1)\</script\> \*\*bold\*\* \[link\](http://x)" in document
    assert r"> \# Not a heading" in document
    assert r"> \- not a list" in document
    assert r"> 1\. not a list" in document


def test_escapes_what_people_wrote_in_the_html() -> None:
    document = render(hostile_plan(), format=DocumentFormat.HTML)
    assert "<script" not in document
    assert "<a href" not in document
    assert "<strong>bold</strong>" not in document
    assert "<h1>Not a heading" not in document
    assert "<li>not a list" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [link](http://x)" in document


def test_escapes_names_in_the_html_title() -> None:
    citizens = {METTE: CitizenState(citizen_id=METTE, name="<b>Mette</b> & co")}
    document = render_citizen_plan(mettes_plan(), citizens, format=DocumentFormat.HTML, as_of=AS_OF)
    assert "<title>Din plan \N{EN DASH} &lt;b&gt;Mette&lt;/b&gt; &amp; co</title>" in document
    assert "<b>" not in document


@given(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=40)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
def test_shows_any_text_exactly_as_written(text: str) -> None:
    plan = with_goal_description(mettes_plan(), text)
    physio = attrs.evolve(plan.interventions[PHYSIO], pause_reason=text)
    coordinator = ANNE.model_copy(update={"name": text})
    plan = attrs.evolve(
        plan,
        wishes={METTE: text},
        coordinator=coordinator,
        interventions={**plan.interventions, PHYSIO: physio},
    )
    document = render(plan, format=DocumentFormat.HTML)
    shown = str(escape(text))
    assert f"<h3>Mål 1: {shown}</h3>" in document
    assert f'<blockquote class="own-words">\n  <p>»{shown}«</p>\n</blockquote>' in document
    assert f"<div><dt>Hvorfor</dt><dd>{shown}</dd></div>" in document
    assert f"<strong>{shown}</strong>, Jobcenteret" in document


# --- refusals ------------------------------------------------------------------------


def test_refuses_a_plan_that_does_not_exist() -> None:
    with pytest.raises(PlanNotFound) as refused:
        render(PlanState(plan_id=PLAN))
    assert refused.value.plan_id == PLAN


def test_refuses_a_date_before_the_plan_was_opened() -> None:
    with pytest.raises(PlanNotFound):
        render_citizen_plan(mettes_plan(), CITIZENS, as_of=at(2026, 1, 13))


def test_says_why_the_plan_is_on_hold() -> None:
    plan = attrs.evolve(mettes_plan(), status=PlanStatus.ON_HOLD, hold_reason="Mette er indlagt")
    document = render(plan)
    assert "**Planens status:** Sat på pause\n\n**Hvorfor:** Mette er indlagt\n" in document


def test_refuses_a_plan_whose_citizen_is_unknown() -> None:
    with pytest.raises(CitizenNotFound):
        render_citizen_plan(mettes_plan(), {}, as_of=AS_OF)


def test_refuses_an_as_of_without_time_zone() -> None:
    with pytest.raises(EffectiveTimeInvalid):
        render_citizen_plan(mettes_plan(), CITIZENS, as_of=datetime(2026, 3, 12, 9, 0))

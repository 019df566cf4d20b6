"""The fixed phrases of the citizen's letter (*borgerens plan*), in Danish and English,
and the Danish ones for a household ("I" and "jeres" rather than "du" and "din").

Phrases are plain text; the renderers escape them. ``{name}`` and the like are filled
in by the letter's builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import attrs

from oneplan.values import (
    AchievementStatus,
    ActorKind,
    DependencyType,
    GoalStatus,
    InterventionStatus,
    Law,
    OverarchingGoalKind,
    PlanStatus,
    Sector,
)

__all__ = ["PHRASES", "Language", "Phrases"]


class Language(StrEnum):
    """The language of the citizen's letter."""

    DA = "da"
    EN = "en"


@attrs.frozen
class Phrases:
    """The fixed phrases of the letter in one language: plain text (the renderers escape
    them for Markdown or HTML)."""

    locale: str
    quotes: tuple[str, str]
    and_: str
    hours: tuple[str, str]
    title: str
    as_of: str
    status_label: str
    plan_status: Mapping[PlanStatus, str]
    why: str
    heading_wishes: str
    wishes_own: str
    wishes_named: str
    wishes_missing: str
    wishes_missing_named: str
    overarching_label: str
    overarching: Mapping[OverarchingGoalKind, str]
    overarching_hours: Mapping[OverarchingGoalKind, str]
    overarching_missing: str
    heading_goals: str
    goals_intro: str
    goal: str
    sub_goal: str
    due: str
    target: str
    status: str
    goal_status: Mapping[GoalStatus, str]
    achievement_label: str
    achievement: Mapping[AchievementStatus, str]
    achieved_on: str
    goals_none: str
    heading_cancelled_goals: str
    heading_interventions: str
    interventions_intro: str
    for_citizen: str
    provided_by: str
    sector: Mapping[Sector, str]
    sector_definite: Mapping[Sector, str]
    """A sector inside a sentence ("as the job centre may see it")."""
    legal_basis: str
    law: Mapping[Law, str]
    responsible: str
    period: str
    period_closed: str
    period_open: str
    decision: str
    granted_on: str
    not_granted: str
    intervention_status: Mapping[InterventionStatus, str]
    intervention_status_dated: Mapping[InterventionStatus, str]
    expected_resume: str
    resume_unknown: str
    waiting_for: str
    order: str
    depends: Mapping[DependencyType, str]
    other_intervention: str
    supports: str
    interventions_none: str
    heading_cancelled_interventions: str
    heading_meeting: str
    next_meeting: str
    no_meeting: str
    meetings_over: str
    heading_coordinator: str
    coordinator_intro: str
    co_coordinators: str
    no_coordinator: str
    # the letter around the plan
    letter_intro: str
    date_label: str
    to_label: str
    from_label: str
    subject_label: str
    contact_phone: str
    contact_email: str
    contact_digital_post: str
    digital_post_how: str
    contact_hours: str
    closing: str
    page: tuple[str, str]
    heading_actions: str
    actions: tuple[tuple[str, str], ...]
    heading_access: str
    access_since_letter: str
    access_since_opened: str
    access_none: str
    access_more: str
    access_columns: tuple[str, str, str, str]
    access_what: Mapping[str, str]
    access_basis: Mapping[str, str]
    access_basis_law: str
    access_basis_audit: str
    access_reader: Mapping[ActorKind, str]
    times: tuple[str, str]


_DA = Phrases(
    locale="da_DK",
    quotes=("»", "«"),
    and_="og",
    hours=("{n} time", "{n} timer"),
    title="Din plan",
    as_of="Planen som den så ud {date}.",
    status_label="Planens status",
    plan_status={
        PlanStatus.DRAFT: "Kladde (planen er ikke færdig endnu)",
        PlanStatus.ACTIVE: "Aktiv",
        PlanStatus.ON_HOLD: "Sat på pause",
        PlanStatus.REVOKED: "Afsluttet, fordi du har valgt at trække dig fra planen",
        PlanStatus.COMPLETED: "Afsluttet",
        PlanStatus.ENTERED_IN_ERROR: "Oprettet ved en fejl og gælder ikke",
    },
    why="Hvorfor",
    heading_wishes="Dine ønsker og dit mål",
    wishes_own="Det har du sagt med dine egne ord:",
    wishes_named="{name} har sagt med egne ord:",
    wishes_missing="Dine ønsker er ikke skrevet ned endnu.",
    wishes_missing_named="Ønskerne fra {name} er ikke skrevet ned endnu.",
    overarching_label="Dit overordnede mål",
    overarching={
        OverarchingGoalKind.WORK: "At komme i arbejde",
        OverarchingGoalKind.EDUCATION: "At tage en uddannelse",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "At blive helt selvforsørgende",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: "At blive delvist selvforsørgende",
    },
    overarching_hours={
        OverarchingGoalKind.WORK: "At komme i arbejde {hours} om ugen",
        OverarchingGoalKind.EDUCATION: "At tage en uddannelse {hours} om ugen",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "At blive helt selvforsørgende",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: (
            "At blive delvist selvforsørgende ved at arbejde {hours} om ugen"
        ),
    },
    overarching_missing="Ikke aftalt endnu.",
    heading_goals="Dine mål",
    goals_intro="Et delmål er et skridt på vejen mod målet over det.",
    goal="Mål",
    sub_goal="Delmål",
    due="Skal være nået",
    target="Sådan måler vi det",
    status="Status",
    goal_status={
        GoalStatus.PROPOSED: "Foreslået, men ikke aftalt endnu",
        GoalStatus.ACCEPTED: "Aftalt",
        GoalStatus.ACTIVE: "I gang",
        GoalStatus.ON_HOLD: "Sat på pause",
        GoalStatus.COMPLETED: "Afsluttet",
        GoalStatus.CANCELLED: "Taget ud af planen",
    },
    achievement_label="Sådan går det",
    achievement={
        AchievementStatus.IN_PROGRESS: "Undervejs",
        AchievementStatus.IMPROVING: "Det går fremad",
        AchievementStatus.WORSENING: "Det går tilbage",
        AchievementStatus.NO_CHANGE: "Uændret",
        AchievementStatus.ACHIEVED: "Målet er nået",
        AchievementStatus.SUSTAINING: "Målet er nået og holder",
        AchievementStatus.NOT_ACHIEVED: "Målet blev ikke nået",
        AchievementStatus.NO_PROGRESS: "Ingen fremgang",
        AchievementStatus.NOT_ATTAINABLE: "Målet kan ikke nås",
    },
    achieved_on="Nået den",
    goals_none="Der er ikke aftalt nogen mål endnu.",
    heading_cancelled_goals="Mål, der er taget ud af planen",
    heading_interventions="Indsatser",
    interventions_intro=(
        "En indsats er hjælp fra kommunen til at nå dine mål. "
        "Her kan du se, hvem der er ansvarlig for hver indsats."
    ),
    for_citizen="For",
    provided_by="Fra",
    sector={
        Sector.EMPLOYMENT: "Jobcenteret",
        Sector.SOCIAL: "Socialforvaltningen",
        Sector.HEALTH: "Sundhedsområdet",
        Sector.CHILDREN_AND_FAMILY: "Børne- og familieområdet",
        Sector.EDUCATION: "Uddannelsesområdet",
        Sector.HOUSING: "Boligområdet",
    },
    sector_definite={
        Sector.EMPLOYMENT: "jobcenteret",
        Sector.SOCIAL: "socialforvaltningen",
        Sector.HEALTH: "sundhedsområdet",
        Sector.CHILDREN_AND_FAMILY: "børne- og familieområdet",
        Sector.EDUCATION: "uddannelsesområdet",
        Sector.HOUSING: "boligområdet",
    },
    legal_basis="Lovgrundlag",
    law={
        Law.LAB: "lov om en aktiv beskæftigelsesindsats",
        Law.LAS: "lov om aktiv socialpolitik",
        Law.SEL: "serviceloven",
        Law.BL: "barnets lov",
        Law.SUL: "sundhedsloven",
        Law.STU: "STU-loven",
        Law.FGU: "lov om forberedende grunduddannelse",
        Law.ABL: "almenboligloven",
        Law.RSL: "retssikkerhedsloven",
        Law.FVL: "forvaltningsloven",
    },
    responsible="Hvem er ansvarlig",
    period="Hvornår",
    period_closed="Fra {start} til {end}",
    period_open="Fra {start}, uden fast slutdato",
    decision="Afgørelse",
    granted_on="Bevilget den {date}",
    not_granted="Ikke bevilget endnu",
    intervention_status={
        InterventionStatus.NOT_STARTED: "Ikke begyndt endnu",
        InterventionStatus.SCHEDULED: "Planlagt",
        InterventionStatus.IN_PROGRESS: "I gang",
        InterventionStatus.ON_HOLD: "Sat på pause",
        InterventionStatus.COMPLETED: "Afsluttet",
        InterventionStatus.STOPPED: "Stoppet før tid",
        InterventionStatus.CANCELLED: "Aflyst",
    },
    intervention_status_dated={
        InterventionStatus.NOT_STARTED: "Ikke begyndt endnu",
        InterventionStatus.SCHEDULED: "Planlagt til at begynde den {date}",
        InterventionStatus.IN_PROGRESS: "I gang siden {date}",
        InterventionStatus.ON_HOLD: "Sat på pause siden {date}",
        InterventionStatus.COMPLETED: "Afsluttet den {date}",
        InterventionStatus.STOPPED: "Stoppet før tid den {date}",
        InterventionStatus.CANCELLED: "Aflyst",
    },
    expected_resume="Forventes at fortsætte",
    resume_unknown="Det er ikke aftalt endnu",
    waiting_for="Venter på",
    order="Rækkefølge",
    depends={
        DependencyType.AFTER_END: "{other} skal være afsluttet, før denne indsats kan begynde",
        DependencyType.AFTER: "{other} skal være afsluttet, før denne indsats kan begynde",
        DependencyType.AFTER_START: "{other} skal være begyndt, før denne indsats kan begynde",
        DependencyType.BEFORE_START: "Skal begynde, før {other} begynder",
        DependencyType.BEFORE: "Skal finde sted før {other}",
        DependencyType.BEFORE_END: "Skal begynde, før {other} slutter",
        DependencyType.CONCURRENT_WITH_START: "Begynder samtidig med {other}",
        DependencyType.CONCURRENT: "Foregår samtidig med {other}",
        DependencyType.CONCURRENT_WITH_END: "Slutter samtidig med {other}",
    },
    other_intervention="en anden indsats",
    supports="Støtter disse mål",
    interventions_none="Der er ikke aftalt nogen indsatser endnu.",
    heading_cancelled_interventions="Indsatser, der er aflyst",
    heading_meeting="Næste møde",
    next_meeting="Det næste koordinerende møde er den {date}.",
    no_meeting=(
        "Der er ikke planlagt et nyt møde endnu. "
        "Kontakt din koordinator, hvis du gerne vil have et møde."
    ),
    meetings_over="Planen er afsluttet, så der er ikke planlagt flere møder.",
    heading_coordinator="Din koordinator",
    coordinator_intro=(
        "Din koordinator har overblikket over hele planen og er den, "
        "du kan kontakte, hvis du har spørgsmål."
    ),
    co_coordinators="Deler koordineringen med:",
    no_coordinator="Du har ikke fået en koordinator endnu.",
    letter_intro=(
        "Her er din plan, sådan som den ser ud nu. Planen samler det, du og kommunen har "
        "aftalt, på tværs af jobcenter, socialforvaltning, sundhed og de andre områder. "
        "Læs den igennem, og sig til, hvis noget ikke passer."
    ),
    date_label="Dato",
    to_label="Til",
    from_label="Fra",
    subject_label="Emne",
    contact_phone="Telefon",
    contact_email="E-mail",
    contact_digital_post="Digital Post",
    digital_post_how="Skriv til {unit} på borger.dk eller i appen Digital Post.",
    contact_hours="Telefontid",
    closing="Med venlig hilsen",
    page=("Side ", " af "),
    heading_actions="Det kan du gøre",
    actions=(
        (
            "Kommentere planen",
            "Hvis noget i planen ikke passer, eller du vil tilføje noget med dine egne ord, "
            "så kontakt din koordinator. Det, du siger, kommer med i planen.",
        ),
        (
            "Bede om et møde",
            "Du kan altid bede om et koordinerende møde, også før det næste planlagte møde. "
            "Kontakt din koordinator.",
        ),
        (
            "Trække dig fra planen",
            "Planen bygger på dit samtykke. Du kan til enhver tid trække samtykket tilbage "
            "og trække dig fra planen. Så gælder de enkelte områders egne planer igen, og "
            "intet af det, der er skrevet, bliver slettet.",
        ),
        (
            "Klage",
            "Er du uenig i en afgørelse om en indsats, kan du klage. Hvordan og hvornår står "
            "i klagevejledningen i afgørelsen, og din koordinator kan hjælpe dig. Er du "
            "utilfreds med, hvordan dine oplysninger er brugt, kan du klage til Datatilsynet.",
        ),
    ),
    heading_access="Hvem har set dine oplysninger",
    access_since_letter=(
        "Siden vi sendte dig planen den {date}, har disse set dine oplysninger i planen:"
    ),
    access_since_opened=(
        "Siden planen blev lavet den {date}, har disse set dine oplysninger i planen:"
    ),
    access_none="Ingen har set dine oplysninger i planen i den periode.",
    access_more=(
        "Du har ret til at se hele listen over, hvem der har set dine oplysninger. "
        "Kontakt din koordinator, hvis du vil have den."
    ),
    access_columns=("Hvornår", "Hvem", "Hvad", "Hvorfor de måtte"),
    access_what={
        "sector-view": "Så den del af din plan, som {sector} må se",
        "citizen-plan": "Læste din plan",
        "journey": "Så dit forløb (alle kontakter og ændringer)",
        "access-log": "Så listen over, hvem der har set dine oplysninger",
        "fhir-export": "Sendte din plan til {recipient}",
        "audit-export": "Tog et udtræk til revision",
        "full-record": "Læste hele sagen til revision",
        "evaluation-extract": "Tog et udtræk uden navne til evaluering",
        "cpr-lookup": "Fandt dig ud fra dit CPR-nummer",
        "caseload": "Så din plan i en sagsoversigt",
        "": "Så dine oplysninger",
    },
    access_basis={
        "consent": "Dit samtykke",
        "own-sector": "Deres egen indsats for dig",
        "holder of custody": "Forældremyndighed",
        "staff holding the plan": "De arbejder med din plan",
        "staff holding the citizen's plan": "De arbejder med din plan",
        "system job's processing": "Kommunens egen drift",
        "records officer's inquiry": "Kommunens databeskyttelse",
        "lookup by CPR number": "Opslag for at finde din sag",
        "evaluation of the reform": "Evaluering af reformen",
    },
    access_basis_law="Loven ({law})",
    access_basis_audit="Revision ({basis})",
    access_reader={
        ActorKind.AUDITOR: "En revisor ({id})",
        ActorKind.SYSTEM: "Kommunens it-system ({id})",
        ActorKind.GUARDIAN: "En med forældremyndighed",
        ActorKind.CITIZEN: "En med forældremyndighed",
    },
    times=("{n} gang", "{n} gange"),
)

_EN = Phrases(
    locale="en_GB",
    quotes=("“", "”"),
    and_="and",
    hours=("{n} hour", "{n} hours"),
    title="Your plan",
    as_of="The plan as it stood on {date}.",
    status_label="Status of the plan",
    plan_status={
        PlanStatus.DRAFT: "Draft (the plan is not finished yet)",
        PlanStatus.ACTIVE: "Active",
        PlanStatus.ON_HOLD: "Paused",
        PlanStatus.REVOKED: "Ended because you chose to withdraw from the plan",
        PlanStatus.COMPLETED: "Completed",
        PlanStatus.ENTERED_IN_ERROR: "Created by mistake and does not apply",
    },
    why="Why",
    heading_wishes="Your wishes and your goal",
    wishes_own="In your own words:",
    wishes_named="In the words of {name}:",
    wishes_missing="Your wishes have not been written down yet.",
    wishes_missing_named="The wishes of {name} have not been written down yet.",
    overarching_label="Your overarching goal",
    overarching={
        OverarchingGoalKind.WORK: "To get a job",
        OverarchingGoalKind.EDUCATION: "To get an education",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "To become fully self-supporting",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: "To become partly self-supporting",
    },
    overarching_hours={
        OverarchingGoalKind.WORK: "To get a job of {hours} a week",
        OverarchingGoalKind.EDUCATION: "To study {hours} a week",
        OverarchingGoalKind.FULL_SELF_SUPPORT: "To become fully self-supporting",
        OverarchingGoalKind.PARTIAL_SELF_SUPPORT: (
            "To become partly self-supporting by working {hours} a week"
        ),
    },
    overarching_missing="Not agreed yet.",
    heading_goals="Your goals",
    goals_intro="A sub-goal is a step on the way to the goal above it.",
    goal="Goal",
    sub_goal="Sub-goal",
    due="To be reached by",
    target="How it is measured",
    status="Status",
    goal_status={
        GoalStatus.PROPOSED: "Proposed, not agreed yet",
        GoalStatus.ACCEPTED: "Agreed",
        GoalStatus.ACTIVE: "Under way",
        GoalStatus.ON_HOLD: "Paused",
        GoalStatus.COMPLETED: "Finished",
        GoalStatus.CANCELLED: "Taken out of the plan",
    },
    achievement_label="How it is going",
    achievement={
        AchievementStatus.IN_PROGRESS: "Under way",
        AchievementStatus.IMPROVING: "Getting better",
        AchievementStatus.WORSENING: "Getting worse",
        AchievementStatus.NO_CHANGE: "No change",
        AchievementStatus.ACHIEVED: "The goal has been reached",
        AchievementStatus.SUSTAINING: "The goal has been reached and is holding",
        AchievementStatus.NOT_ACHIEVED: "The goal was not reached",
        AchievementStatus.NO_PROGRESS: "No progress",
        AchievementStatus.NOT_ATTAINABLE: "The goal cannot be reached",
    },
    achieved_on="Reached on",
    goals_none="No goals have been agreed yet.",
    heading_cancelled_goals="Goals taken out of the plan",
    heading_interventions="Interventions",
    interventions_intro=(
        "An intervention is help from the municipality to reach your goals. "
        "Here you can see who is responsible for each one."
    ),
    for_citizen="For",
    provided_by="Provided by",
    sector={
        Sector.EMPLOYMENT: "Job centre",
        Sector.SOCIAL: "Social services",
        Sector.HEALTH: "Health services",
        Sector.CHILDREN_AND_FAMILY: "Children and family services",
        Sector.EDUCATION: "Education services",
        Sector.HOUSING: "Housing services",
    },
    sector_definite={
        Sector.EMPLOYMENT: "the job centre",
        Sector.SOCIAL: "social services",
        Sector.HEALTH: "health services",
        Sector.CHILDREN_AND_FAMILY: "children and family services",
        Sector.EDUCATION: "education services",
        Sector.HOUSING: "housing services",
    },
    legal_basis="Legal basis",
    law={
        Law.LAB: "Active Employment Measures Act",
        Law.LAS: "Active Social Policy Act",
        Law.SEL: "Social Services Act",
        Law.BL: "Children's Act",
        Law.SUL: "Health Act",
        Law.STU: "Special Needs Youth Education Act",
        Law.FGU: "Preparatory Basic Education Act",
        Law.ABL: "Social Housing Act",
        Law.RSL: "Legal Protection Act",
        Law.FVL: "Public Administration Act",
    },
    responsible="Who is responsible",
    period="When",
    period_closed="From {start} to {end}",
    period_open="From {start}, no end date set",
    decision="Decision",
    granted_on="Granted on {date}",
    not_granted="Not granted yet",
    intervention_status={
        InterventionStatus.NOT_STARTED: "Not started yet",
        InterventionStatus.SCHEDULED: "Scheduled",
        InterventionStatus.IN_PROGRESS: "Under way",
        InterventionStatus.ON_HOLD: "Paused",
        InterventionStatus.COMPLETED: "Finished",
        InterventionStatus.STOPPED: "Stopped early",
        InterventionStatus.CANCELLED: "Cancelled",
    },
    intervention_status_dated={
        InterventionStatus.NOT_STARTED: "Not started yet",
        InterventionStatus.SCHEDULED: "Scheduled to start on {date}",
        InterventionStatus.IN_PROGRESS: "Under way since {date}",
        InterventionStatus.ON_HOLD: "Paused since {date}",
        InterventionStatus.COMPLETED: "Finished on {date}",
        InterventionStatus.STOPPED: "Stopped early on {date}",
        InterventionStatus.CANCELLED: "Cancelled",
    },
    expected_resume="Expected to resume",
    resume_unknown="Not decided yet",
    waiting_for="Waiting for",
    order="Order",
    depends={
        DependencyType.AFTER_END: "{other} must finish before this intervention can start",
        DependencyType.AFTER: "{other} must finish before this intervention can start",
        DependencyType.AFTER_START: "{other} must start before this intervention can start",
        DependencyType.BEFORE_START: "Must start before {other} starts",
        DependencyType.BEFORE: "Must take place before {other}",
        DependencyType.BEFORE_END: "Must start before {other} ends",
        DependencyType.CONCURRENT_WITH_START: "Starts at the same time as {other}",
        DependencyType.CONCURRENT: "Runs at the same time as {other}",
        DependencyType.CONCURRENT_WITH_END: "Ends at the same time as {other}",
    },
    other_intervention="another intervention",
    supports="Supports these goals",
    interventions_none="No interventions have been agreed yet.",
    heading_cancelled_interventions="Interventions that were cancelled",
    heading_meeting="Next meeting",
    next_meeting="The next coordinating meeting is on {date}.",
    no_meeting=(
        "No new meeting has been planned yet. Contact your coordinator if you would like a meeting."
    ),
    meetings_over="The plan has ended, so no more meetings are planned.",
    heading_coordinator="Your coordinator",
    coordinator_intro=(
        "Your coordinator keeps track of the whole plan and is the person to contact "
        "if you have questions."
    ),
    co_coordinators="Shares the coordination with:",
    no_coordinator="No coordinator has been assigned yet.",
    letter_intro=(
        "Here is your plan as it stands now. It brings together what you and the "
        "municipality have agreed, across the job centre, social services, health and "
        "the other services. Please read it, and tell us if anything is not right."
    ),
    date_label="Date",
    to_label="To",
    from_label="From",
    subject_label="Subject",
    contact_phone="Phone",
    contact_email="E-mail",
    contact_digital_post="Digital Post",
    digital_post_how="Write to {unit} on borger.dk or in the Digital Post app.",
    contact_hours="Phone hours",
    closing="Kind regards",
    page=("Page ", " of "),
    heading_actions="What you can do",
    actions=(
        (
            "Comment on the plan",
            "If something in the plan is not right, or you want to add something in your "
            "own words, contact your coordinator. What you say goes into the plan.",
        ),
        (
            "Ask for a meeting",
            "You can always ask for a coordinating meeting, also before the next planned "
            "one. Contact your coordinator.",
        ),
        (
            "Withdraw from the plan",
            "The plan rests on your consent. You can withdraw your consent and leave the "
            "plan at any time. Each service's own plan then applies again, and nothing that "
            "has been written is deleted.",
        ),
        (
            "Complain",
            "If you disagree with a decision about an intervention, you can complain. The "
            "decision's guidance on complaints says how and by when, and your coordinator "
            "can help you. If you are unhappy with how your data has been used, you can "
            "complain to the Danish Data Protection Agency (Datatilsynet).",
        ),
    ),
    heading_access="Who has looked at your data",
    access_since_letter=(
        "Since we sent you the plan on {date}, these have looked at your data in the plan:"
    ),
    access_since_opened=(
        "Since the plan was made on {date}, these have looked at your data in the plan:"
    ),
    access_none="Nobody has looked at your data in the plan in that time.",
    access_more=(
        "You have the right to see the full list of who has looked at your data. "
        "Contact your coordinator if you would like it."
    ),
    access_columns=("When", "Who", "What", "Why they were allowed"),
    access_what={
        "sector-view": "Looked at the part of your plan that {sector} may see",
        "citizen-plan": "Read your plan",
        "journey": "Looked at your course (every contact and change)",
        "access-log": "Looked at the list of who has seen your data",
        "fhir-export": "Sent your plan to {recipient}",
        "audit-export": "Took an extract for an audit",
        "full-record": "Read the whole case for an audit",
        "evaluation-extract": "Took an extract without names to evaluate the reform",
        "cpr-lookup": "Found you by your CPR number",
        "caseload": "Saw your plan in a caseload overview",
        "": "Looked at your data",
    },
    access_basis={
        "consent": "Your consent",
        "own-sector": "Their own intervention for you",
        "holder of custody": "Custody",
        "staff holding the plan": "They work on your plan",
        "staff holding the citizen's plan": "They work on your plan",
        "system job's processing": "The municipality's own processing",
        "records officer's inquiry": "The municipality's data protection work",
        "lookup by CPR number": "A lookup to find your case",
        "evaluation of the reform": "Evaluation of the reform",
    },
    access_basis_law="The law ({law})",
    access_basis_audit="Audit ({basis})",
    access_reader={
        ActorKind.AUDITOR: "An auditor ({id})",
        ActorKind.SYSTEM: "The municipality's IT system ({id})",
        ActorKind.GUARDIAN: "A holder of custody",
        ActorKind.CITIZEN: "A holder of custody",
    },
    times=("once", "{n} times"),
)

_HOUSEHOLD_DA = attrs.evolve(
    _DA,
    title="Jeres plan",
    plan_status={
        **_DA.plan_status,
        PlanStatus.REVOKED: "Afsluttet, fordi I har valgt at trække jer fra planen",
    },
    heading_wishes="Jeres ønsker og jeres mål",
    wishes_missing="Jeres ønsker er ikke skrevet ned endnu.",
    overarching_label="Jeres overordnede mål",
    heading_goals="Jeres mål",
    interventions_intro=(
        "En indsats er hjælp fra kommunen til at nå jeres mål. "
        "Her kan I se, hvem der er ansvarlig for hver indsats."
    ),
    no_meeting=(
        "Der er ikke planlagt et nyt møde endnu. "
        "Kontakt jeres koordinator, hvis I gerne vil have et møde."
    ),
    heading_coordinator="Jeres koordinator",
    coordinator_intro=(
        "Jeres koordinator har overblikket over hele planen og er den, "
        "I kan kontakte, hvis I har spørgsmål."
    ),
    no_coordinator="I har ikke fået en koordinator endnu.",
    letter_intro=(
        "Her er jeres plan, sådan som den ser ud nu. Planen samler det, I og kommunen har "
        "aftalt, på tværs af jobcenter, socialforvaltning, sundhed og de andre områder. "
        "Læs den igennem, og sig til, hvis noget ikke passer."
    ),
    heading_access="Hvem har set jeres oplysninger",
    access_since_letter=(
        "Siden vi sendte jer planen den {date}, har disse set jeres oplysninger i planen:"
    ),
    access_since_opened=(
        "Siden planen blev lavet den {date}, har disse set jeres oplysninger i planen:"
    ),
    access_none="Ingen har set jeres oplysninger i planen i den periode.",
    access_more=(
        "I har hver især ret til at se hele listen over, hvem der har set jeres oplysninger. "
        "Kontakt jeres koordinator, hvis I vil have den."
    ),
    access_what={
        **_DA.access_what,
        "sector-view": "Så den del af jeres plan, som {sector} må se",
        "citizen-plan": "Læste jeres plan",
        "fhir-export": "Sendte jeres plan til {recipient}",
        "caseload": "Så jeres plan i en sagsoversigt",
    },
    access_basis={
        **_DA.access_basis,
        "consent": "Jeres samtykke",
        "own-sector": "Deres egen indsats for jer",
        "staff holding the plan": "De arbejder med jeres plan",
        "staff holding the citizen's plan": "De arbejder med jeres plan",
    },
    heading_actions="Det kan I gøre",
    actions=(
        (
            "Kommentere planen",
            "Hvis noget i planen ikke passer, eller I vil tilføje noget med jeres egne ord, "
            "så kontakt jeres koordinator. Det, I siger, kommer med i planen.",
        ),
        (
            "Bede om et møde",
            "I kan altid bede om et koordinerende møde, også før det næste planlagte møde. "
            "Kontakt jeres koordinator.",
        ),
        (
            "Trække jer fra planen",
            "Planen bygger på jeres samtykke, hver for sig. Hver af jer kan til enhver tid "
            "trække sit samtykke tilbage og trække sig fra planen. Så gælder de enkelte "
            "områders egne planer igen, og intet af det, der er skrevet, bliver slettet.",
        ),
        (
            "Klage",
            "Er I uenige i en afgørelse om en indsats, kan I klage. Hvordan og hvornår står "
            "i klagevejledningen i afgørelsen, og jeres koordinator kan hjælpe jer. Er I "
            "utilfredse med, hvordan jeres oplysninger er brugt, kan I klage til Datatilsynet.",
        ),
    ),
)

PHRASES: Mapping[tuple[Language, bool], Phrases] = {
    (Language.DA, False): _DA,
    (Language.DA, True): _HOUSEHOLD_DA,
    (Language.EN, False): _EN,
    (Language.EN, True): _EN,
}
"""The phrases by language and by whether the plan is a household's."""

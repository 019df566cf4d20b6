"""Reading the one record: a sector's view under consent, who has looked, and the
citizen's own plan. Run it from anywhere: it writes reading-views-example.db here."""

from datetime import date
from pathlib import Path

from oneplan import Actor, ActorKind, ConsentGiver, Keys, Law, OnePlan, Period, Sector

anne = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB, Law.LAS, name="Anne Thomsen")
lars = Actor.caseworker("lars.s", Sector.SOCIAL, Law.SEL, name="Lars Skov")
hanne = Actor.caseworker("hanne.b", Sector.HOUSING, Law.ABL, name="Hanne Bo")

# Keys are held outside the database (docs/keys.md): in production ONEPLAN_KEY_FILE names
# them; this example makes its own key file beside its database on the first run.
key_file = Path("reading-views-example.keys")
if not key_file.exists():
    Keys.generate().write(key_file)

with OnePlan.open("sqlite:///reading-views-example.db", keys=Keys.read(key_file)) as app:
    mette = app.register_citizen(name="Mette Hansen", birth_date=date(1984, 5, 2), actor=anne)
    consent = app.grant_consent(
        citizen_id=mette, recipient_sectors=["employment", "social"],
        categories=["goals", "interventions", "contact-details"], purpose="one coordinated plan",
        period=Period(start=date.today()), given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        actor=anne,
    )
    plan = app.open_plan(citizen_ids=[mette], consent_ids=[consent], legal_bases=["LAB § 30 b"],
                         coordinator=anne, actor=anne)
    app.record_citizens_wishes(plan_id=plan, citizen_id=mette, actor=anne,
                               wishes="I want to work with plants again",
                               overarching_goal={"kind": "work"})
    app.set_goal(plan_id=plan, description="Works 15 hours a week", actor=anne)
    app.propose_intervention(
        plan_id=plan, citizen_id=mette, sector="employment", legal_basis="LAB § 32",
        title="Job training in a garden centre", responsible=anne,
        planned_period=Period(start=date.today()), actor=anne,
    )

    # Social services may see goals and interventions: the consent covers them.
    social = app.sector_view(plan, sector=Sector.SOCIAL, reader=lars)
    for kind, _, shown in social.shown():
        print(f"social sees {kind}, allowed by {shown.allowed_by}")

    # Housing is not covered: nothing, and no sign that anything exists.
    housing = app.sector_view(plan, sector=Sector.HOUSING, reader=hanne)
    print("housing sees", len(list(housing.shown())), "items")

    # The citizen can be shown who has looked at their data ...
    for entry in app.access_log(mette).entries:
        print(f"{entry.reader.name} ({entry.sector}) read {len(entry.items)} items")

    # ... and receives the one plan, in Danish by default.
    print(app.citizen_plan(plan, language="en").splitlines()[0])

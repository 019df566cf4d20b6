"""A job centre service using oneplan: open a plan with a citizen and run an intervention."""

from datetime import date
from pathlib import Path

from oneplan import Actor, ActorKind, ConsentGiver, Keys, Law, OnePlan, Period, Sector

anne = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB, Law.LAS, Law.SEL)

# Keys are held outside the database (docs/keys.md): in production ONEPLAN_KEY_FILE names
# them; this example makes its own key file beside its database on the first run.
key_file = Path("jobcentre-example.keys")
if not key_file.exists():
    Keys.generate().write(key_file)

with OnePlan.open("sqlite:///jobcentre-example.db", keys=Keys.read(key_file)) as app:
    mette = app.register_citizen(name="Mette Hansen", birth_date=date(1984, 5, 2), actor=anne)
    consent = app.grant_consent(
        citizen_id=mette, recipient_sectors=["employment", "social"],
        categories=["goals", "interventions"], purpose="one coordinated plan",
        period=Period(start=date.today()), given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        actor=anne,
    )
    plan = app.open_plan(citizen_ids=[mette], consent_ids=[consent], legal_bases=["LAB § 30 b"],
                         coordinator=anne, actor=anne)
    training = app.propose_intervention(
        plan_id=plan, citizen_id=mette, sector="employment", legal_basis="LAB § 32",
        title="Job training", responsible=anne, planned_period=Period(start=date.today()),
        planned_cost="18000.00", actor=anne,
    )
    app.grant_intervention(intervention_id=training, actor=anne)
    app.start_intervention(intervention_id=training, actor=anne)
    app.pause_intervention(intervention_id=training, reason="back pain flared up", actor=anne)
    print(app.intervention(training).status, app.plan(plan).coordinator)

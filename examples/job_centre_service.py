"""A job centre service using oneplan: open a plan with a citizen and run an intervention."""

from datetime import date
from pathlib import Path

from oneplan import ActorKind, ConsentGiver, Keys, OnePlan, Period, Principal

# Keys are held outside the database (docs/keys.md): in production ONEPLAN_KEY_FILE names
# them; this example makes its own key file beside its database on the first run.
key_file = Path("jobcentre-example.keys")
if not key_file.exists():
    Keys.generate().write(key_file)

with OnePlan.open("sqlite:///jobcentre-example.db", keys=Keys.read(key_file)) as app:
    if not app.as_(Principal.system("setup")).staff():  # a new record: its staff directory
        app.bootstrap(staff_id="it.admin", name="Ida Thorsen", sector="employment")
        admin = app.as_(Principal.staff("it.admin"))
        admin.register_staff(staff_id="leder.job", name="Lis Holt", sector="employment",
                             roles=["manager"])
        admin.register_staff(staff_id="anne.t", name="Anne Thomsen", sector="employment")
        app.as_(Principal.staff("leder.job")).delegate_authority(
            staff_id="anne.t", law="LAB", basis="Furesø Kommunes delegationsplan",
            period=Period(start=date.today()),
        )

    anne = app.as_(Principal.staff("anne.t"))  # the caseworker your service authenticated
    mette = anne.register_citizen(name="Mette Hansen", birth_date=date(1984, 5, 2))
    consent = anne.grant_consent(
        citizen_id=mette, recipient_sectors=["employment", "social"],
        categories=["goals", "interventions"], purpose="one coordinated plan",
        period=Period(start=date.today()), given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        given_how="in-meeting",
    )
    plan = anne.open_plan(citizen_ids=[mette], consent_ids=[consent], legal_bases=["LAB § 30 b"],
                          coordinator="anne.t")
    training = anne.propose_intervention(
        plan_id=plan, citizen_id=mette, sector="employment", legal_basis="LAB § 32",
        title="Job training", responsible="anne.t", planned_period=Period(start=date.today()),
        planned_cost="18000.00",
    )
    anne.grant_intervention(intervention_id=training)
    anne.start_intervention(intervention_id=training)
    anne.pause_intervention(intervention_id=training, reason="back pain flared up")
    view = anne.sector_view(plan)  # the plan as her sector may see it (the read is logged)
    print(view.interventions[0].item.status, view.coordinator.item)

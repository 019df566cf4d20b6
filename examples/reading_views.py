"""Reading the one record: a sector's view under consent, who has looked, and the
citizen's own plan. Run it from anywhere: it writes reading-views-example.db here."""

from datetime import date
from pathlib import Path

from oneplan import ActorKind, ConsentGiver, Keys, OnePlan, Period, Principal, StaffRole

STAFF = (  # id, name, sector, the law their sector's manager delegates to them
    ("anne.t", "Anne Thomsen", "employment", "LAB"),
    ("lars.s", "Lars Skov", "social", "SEL"),
    ("hanne.b", "Hanne Bo", "housing", "ABL"),
)

# Keys are held outside the database (docs/keys.md): in production ONEPLAN_KEY_FILE names
# them; this example makes its own key file beside its database on the first run.
key_file = Path("reading-views-example.keys")
if not key_file.exists():
    Keys.generate().write(key_file)

with OnePlan.open("sqlite:///reading-views-example.db", keys=Keys.read(key_file)) as app:
    if not app.as_(Principal.system("setup")).staff():  # a new record: its staff directory
        app.bootstrap(staff_id="it.admin", name="Ida Thorsen", sector="social")
        admin = app.as_(Principal.staff("it.admin"))
        for staff_id, name, sector, law in STAFF:
            admin.register_staff(staff_id=f"leder.{sector}", name=f"Leder, {sector}",
                                 sector=sector, roles=[StaffRole.MANAGER])
            admin.register_staff(staff_id=staff_id, name=name, sector=sector,
                                 contact={"email": f"{staff_id}@furesoe.dk"})
            app.as_(Principal.staff(f"leder.{sector}")).delegate_authority(
                staff_id=staff_id, law=law, basis="Furesø Kommunes delegationsplan",
                period=Period(start=date.today()),
            )
    anne, lars, hanne = (app.as_(Principal.staff(s)) for s in ("anne.t", "lars.s", "hanne.b"))

    mette = anne.register_citizen(name="Mette Hansen", birth_date=date(1984, 5, 2))
    consent = anne.grant_consent(
        citizen_id=mette, recipient_sectors=["employment", "social"],
        categories=["goals", "interventions", "contact-details"], purpose="one coordinated plan",
        period=Period(start=date.today()), given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
        given_how="in-meeting",
    )
    plan = anne.open_plan(citizen_ids=[mette], consent_ids=[consent], legal_bases=["LAB § 30 b"],
                          coordinator="anne.t")
    anne.record_citizens_wishes(plan_id=plan, citizen_id=mette,
                                wishes="I want to work with plants again",
                                overarching_goal={"kind": "work"})
    anne.set_goal(plan_id=plan, description="Works 15 hours a week")
    anne.propose_intervention(
        plan_id=plan, citizen_id=mette, sector="employment", legal_basis="LAB § 32",
        title="Job training in a garden centre", responsible="anne.t",
        planned_period=Period(start=date.today()),
    )

    # Social services may see goals and interventions: the consent covers them. Each
    # reader's sector comes from the staff directory.
    social = lars.sector_view(plan)
    for kind, _, shown in social.shown():
        print(f"social sees {kind}, allowed by {shown.allowed_by}")

    # Housing is not covered: nothing, and no sign that anything exists.
    housing = hanne.sector_view(plan)
    print("housing sees", len(list(housing.shown())), "items")

    # Mette herself can see who has looked at her data ...
    mette_herself = app.as_(Principal.citizen(mette))
    for entry in mette_herself.access_log(mette).entries:
        print(f"{entry.reader.name} ({entry.sector}) read {len(entry.items)} items")

    # ... and receives the one plan, in Danish by default.
    print(mette_herself.citizen_plan(plan, language="en").splitlines()[0])

"""An auditor reads a plan as it stood on a past date, exports its audit trail, and
verifies the log by replay, against an anchor kept elsewhere. Run it from anywhere: it
works in a temporary folder of its own."""

import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from oneplan import Actor, ActorKind, ConsentGiver, Keys, Law, OnePlan, Period, Sector

anne = Actor.caseworker("anne.t", Sector.EMPLOYMENT, Law.LAB, Law.LAS, name="Anne Thomsen")
lars = Actor.caseworker("lars.s", Sector.SOCIAL, Law.SEL, name="Lars Skov")

with tempfile.TemporaryDirectory() as folder:
    # The municipality's keys live outside the database (here: a key file of their own).
    Keys.generate().write(Path(folder, "oneplan.keys"))
    keys = Keys.read(Path(folder, "oneplan.keys"))
    url = f"sqlite:///{Path(folder, 'record.db')}"

    # --- the services write the record (the audit chain is on: an audit key is set) ---
    with OnePlan.open(url, keys=keys) as service:
        mette = service.register_citizen(name="Mette Hansen", birth_date=date(1984, 5, 2),
                                          actor=anne)
        consent = service.grant_consent(
            citizen_id=mette, recipient_sectors=["employment", "social"],
            categories=["goals", "interventions"], purpose="one coordinated plan",
            period=Period(start=date.today()), given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
            actor=anne,
        )
        plan = service.open_plan(citizen_ids=[mette], consent_ids=[consent],
                                 legal_bases=["LAB § 30 b"], coordinator=anne, actor=anne)
        support = service.propose_intervention(
            plan_id=plan, citizen_id=mette, sector="social", legal_basis="SEL § 85",
            title="Support contact person", responsible=lars,
            planned_period=Period(start=date.today()), actor=anne,
        )
        service.grant_intervention(intervention_id=support, actor=lars)
        time.sleep(0.01)
        audit_date = datetime.now(UTC)  # the date the auditor asks about
        time.sleep(0.01)
        service.start_intervention(intervention_id=support, actor=lars)
        service.pause_intervention(intervention_id=support, reason="back pain flared up",
                                   actor=lars)
        service.sector_view(plan, sector=Sector.SOCIAL, reader=lars)  # a read: logged

    # --- the auditor ------------------------------------------------------------------
    with OnePlan.open(url, keys=keys) as auditor:
        # The plan as it stood then, and as it stands now.
        then = auditor.interventions_of(plan, as_of=audit_date)[0]
        now = auditor.interventions_of(plan)[0]
        print(f"on {audit_date:%Y-%m-%d %H:%M:%S}: {then.title} was {then.status}; "
              f"now it is {now.status}")

        # Who did what, when, why and on which legal basis.
        for entry in auditor.audit_trail(plan_id=plan):
            why = f" ({entry.reason})" if entry.reason else ""
            print(f"  {entry.position:>2} {entry.actor_id:<7} {entry.description}"
                  f" [{', '.join(entry.legal_bases)}]{why}")

        # The log verifies by replay; an anchor is made and kept elsewhere.
        print(auditor.verify_audit().summary())
        anchor = auditor.make_audit_anchor()
        anchor.write(Path(folder, "anchor-kept-elsewhere.json"))

    # Someone with database access quietly changes history: Anne, not Lars, paused it...
    with sqlite3.connect(Path(folder, "record.db")) as db:
        db.execute("UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), "
                   "'\"id\":\"lars.s\"', '\"id\":\"anne.t\"') AS BLOB) "
                   "WHERE topic LIKE '%Intervention.Paused'")

    # ... and the next verification names where and what.
    with OnePlan.open(url, keys=keys) as auditor:
        result = auditor.verify_audit(anchor=anchor)
        print(result.status, "-", result.summary())

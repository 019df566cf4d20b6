"""An auditor reads a plan as it stood on a past date, exports its audit trail, and
verifies the log by replay, against an anchor kept elsewhere. The auditor's reads are
disclosures like any other: logged, and shown in the citizen's access log. Run it from
anywhere: it works in a temporary folder of its own."""

import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from oneplan import ActorKind, ConsentGiver, Keys, OnePlan, Period, Principal, StaffRole

STAFF = (  # id, name, sector, the law their sector's manager delegates to them
    ("anne.t", "Anne Thomsen", "employment", "LAB"),
    ("lars.s", "Lars Skov", "social", "SEL"),
)
auditor = Principal.auditor("rev-7", basis="revision, kommunestyrelsesloven § 42")

with tempfile.TemporaryDirectory() as folder:
    # The municipality's keys live outside the database (here: a key file of their own).
    Keys.generate().write(Path(folder, "oneplan.keys"))
    keys = Keys.read(Path(folder, "oneplan.keys"))
    url = f"sqlite:///{Path(folder, 'record.db')}"

    # --- the services write the record (the audit chain is on: an audit key is set) ---
    with OnePlan.open(url, keys=keys) as service:
        # The staff directory: its first administrator registers a manager per sector and
        # the caseworkers; each manager delegates authority under a law to their own.
        service.bootstrap(staff_id="it.admin", name="Ida Thorsen", sector="social")
        admin = service.as_(Principal.staff("it.admin"))
        for staff_id, name, sector, law in STAFF:
            admin.register_staff(staff_id=f"leder.{sector}", name=f"Leder, {sector}",
                                 sector=sector, roles=[StaffRole.MANAGER])
            admin.register_staff(staff_id=staff_id, name=name, sector=sector)
            service.as_(Principal.staff(f"leder.{sector}")).delegate_authority(
                staff_id=staff_id, law=law, basis="Furesø Kommunes delegationsplan",
                period=Period(start=date.today()),
            )
        anne, lars = service.as_(Principal.staff("anne.t")), service.as_(Principal.staff("lars.s"))

        mette = anne.register_citizen(name="Mette Hansen", birth_date=date(1984, 5, 2))
        consent = anne.grant_consent(
            citizen_id=mette, recipient_sectors=["employment", "social"],
            categories=["goals", "interventions"], purpose="one coordinated plan",
            period=Period(start=date.today()), given_by=[ConsentGiver(kind=ActorKind.CITIZEN)],
            given_how="in-meeting",
        )
        plan = anne.open_plan(citizen_ids=[mette], consent_ids=[consent],
                              legal_bases=["LAB § 30 b"], coordinator="anne.t")
        support = anne.propose_intervention(
            plan_id=plan, citizen_id=mette, sector="social", legal_basis="SEL § 85",
            title="Support contact person", responsible="lars.s",
            planned_period=Period(start=date.today()),
        )
        lars.grant_intervention(intervention_id=support)
        time.sleep(0.01)
        audit_date = datetime.now(UTC)  # the date the auditor asks about
        time.sleep(0.01)
        lars.start_intervention(intervention_id=support)
        lars.pause_intervention(intervention_id=support, reason="back pain flared up")
        lars.sector_view(plan)  # a read: logged

    # --- the auditor: every read is logged, under the audit's legal basis --------------
    with OnePlan.open(url, keys=keys) as record:
        reading = record.as_(auditor)
        # The plan as it stood then, and as it stands now.
        then = reading.record.interventions_of(plan, as_of=audit_date)[0]
        now = reading.record.interventions_of(plan)[0]
        print(f"on {audit_date:%Y-%m-%d %H:%M:%S}: {then.title} was {then.status}; "
              f"now it is {now.status}")

        # Who did what, when, why and on which legal basis.
        for entry in reading.audit_trail(plan_id=plan):
            why = f" ({entry.reason})" if entry.reason else ""
            print(f"  {entry.position:>2} {entry.actor_id:<7} {entry.description}"
                  f" [{', '.join(entry.legal_bases)}]{why}")

        # Mette sees in her access log who has looked: Lars, and the auditor.
        for entry in record.as_(Principal.citizen(mette)).access_log(mette).entries:
            print(f"  Mette's log: {entry.reader.name or entry.reader.id} read {entry.what}"
                  f" ({entry.basis or entry.sector})")

        # The log verifies by replay; an anchor is made and kept elsewhere.
        print(record.verify_audit().summary())
        anchor = record.make_audit_anchor()
        anchor.write(Path(folder, "anchor-kept-elsewhere.json"))

    # Someone with database access quietly changes history: Anne, not Lars, paused it...
    with sqlite3.connect(Path(folder, "record.db")) as db:
        db.execute("UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), "
                   "'\"id\":\"lars.s\"', '\"id\":\"anne.t\"') AS BLOB) "
                   "WHERE topic LIKE '%Intervention.Paused'")

    # ... and the next verification names where and what.
    with OnePlan.open(url, keys=keys) as record:
        result = record.verify_audit(anchor=anchor)
        print(result.status, "-", result.summary())

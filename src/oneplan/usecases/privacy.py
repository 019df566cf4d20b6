"""Use cases of retention, archive delivery, erasure and keys (rule 10): done by staff
holding the records officer's role (*journalansvarlig*) or the key custodian's
(``role_held``, rule 12)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, cast
from uuid import UUID

import attrs

from oneplan import commands as c
from oneplan import policies, rules
from oneplan.aggregates.citizen import Citizen, SectorPlanFile
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.errors import CitizenErased, KeyConfigurationError, MasterKeyMissing
from oneplan.keys import KEY_BYTES
from oneplan.privacy.retention import CaseFile, RetentionDue, retention_ends
from oneplan.privacy.sealing import Sealer
from oneplan.projections.citizen_view import CitizenState, CitizenView, SectorPlanRow
from oneplan.projections.plan_view import PlanState, PlanView
from oneplan.usecases.base import Area, Deciding, command, parse
from oneplan.values import LegalBasis, SectorPlanRef, StaffRole

__all__ = ["Erasure", "PrivacyCommands"]


@attrs.frozen
class Erasure:
    """What an erasure did: the citizen, their case files (plans and sector plans), how
    many data keys were destroyed, and the household plans whose shared key went with
    the last member."""

    citizen_id: UUID
    plan_ids: tuple[UUID, ...]
    keys_destroyed: int
    households: tuple[UUID, ...]
    events_refolded: int
    """The events of the citizen's record (and of their plans) folded again into their
    view rows, read as erased (0 when another process had folded the erasure first)."""
    sector_plans: tuple[SectorPlanRef, ...] = ()
    """The citizen's own sector plans whose case files went with it."""


class PrivacyCommands(Area):
    """Retention, archive delivery, erasure and keys."""

    def _require_role(self, role: StaffRole, command: str) -> None:
        """``role_held`` now (for what is not a command on one aggregate)."""
        policies.role_held(self.caller_now(), role, command)

    @command(c.DeliverToArchive)
    def deliver_to_archive(self, cmd: c.DeliverToArchive, d: Deciding) -> UUID:
        """Record that a closed plan (the case file) was delivered to the public archive
        (*aflevering*); rule 10 erases nothing before that, unless a legal basis allows."""
        policies.role_held(d.caller, StaffRole.RECORDS_OFFICER, "DeliverToArchive")
        d.get(Plan, cmd.plan_id).deliver_to_archive(
            archive=cmd.archive, reference=cmd.reference, actor=d.actor, effective_at=d.at
        )
        return cmd.plan_id

    @command(c.DeliverSectorPlanToArchive)
    def deliver_sector_plan_to_archive(
        self, cmd: c.DeliverSectorPlanToArchive, d: Deciding
    ) -> UUID:
        """Record that one of a citizen's own sector plans, closed (every intervention
        held under it finished), was delivered to the public archive as a case file.
        Returns the citizen id."""
        policies.role_held(d.caller, StaffRole.RECORDS_OFFICER, "DeliverSectorPlanToArchive")
        citizen = d.get(Citizen, cmd.citizen_id)
        file = citizen.sector_plan_file(cmd.sector_plan)
        citizen.deliver_sector_plan_to_archive(
            sector_plan=cmd.sector_plan,
            intervention_statuses={i: d.get(Intervention, i).status for i in file.intervention_ids},
            archive=cmd.archive,
            reference=cmd.reference,
            actor=d.actor,
            effective_at=d.at,
        )
        return citizen.id

    def retention_due(self, *, at: date | None = None) -> list[RetentionDue]:
        """The citizens whose retention has ended by ``at`` (default: today): every case
        file of theirs (coordinated plans, and their own sector plans that hold
        interventions) closed longer than its period. Each says which files still wait
        for delivery to the public archive. Erased citizens are not listed. For records
        officers and system jobs (the retention run)."""
        if self.principal.kind != "system":
            self._require_role(StaffRole.RECORDS_OFFICER, "RetentionDue")
        app = self.app
        app.views.catch_up()
        today = at or app.clock().date()
        files: dict[UUID, list[CaseFile]] = {}
        for plan in cast(list[PlanState], app.views.rows(PlanView.name, "")):
            case_file = CaseFile(
                plan_id=plan.plan_id,
                closed_at=plan.closed_at if plan.status.is_closed else None,
                legal_bases=(
                    *plan.legal_bases,
                    *(i.legal_basis for i in plan.interventions.values()),
                ),
                archived=plan.archived_at is not None,
            )
            for citizen_id in plan.citizen_ids:
                files.setdefault(citizen_id, []).append(case_file)
        due: list[RetentionDue] = []
        for citizen in cast(list[CitizenState], app.views.rows(CitizenView.name, "")):
            if citizen.erased or citizen.registered_at is None:
                continue
            own = [
                *files.get(citizen.citizen_id, []),
                *map(_sector_plan_file, citizen.sector_plans),
            ]
            ends = retention_ends(own, app.retention, registered_at=citizen.registered_at)
            if ends is not None and ends <= today:
                due.append(RetentionDue.of(citizen.citizen_id, ends, own))
        return sorted(due, key=lambda d: (d.due, str(d.citizen_id)))

    def erase_citizen(
        self,
        command: c.EraseCitizen | None = None,
        /,
        *,
        progress: Callable[[int, int], None] | None = None,
        **fields: Any,
    ) -> Erasure:
        """Erase a citizen's personal data at the end of retention (rule 10,
        crypto-shredding): record ``Citizen.Erased``, fold the view rows of theirs again
        with their data read as erased (one transaction; O(their record), no rebuild),
        then destroy the citizen's data keys (and a household plan's, with its last
        member), so that their events, and every copy of their view rows, read as
        erased. Stored events are never rewritten or deleted. Refused before the end of
        retention, and before archive delivery unless ``legal_basis`` is given. Records
        officers only."""
        return self._erase([parse(c.EraseCitizen, command, fields)], progress)[0]

    def erase_citizens(
        self,
        citizen_ids: Iterable[UUID],
        *,
        reason: str = "retention ended",
        legal_basis: LegalBasis | str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Erasure]:
        """Erase several citizens (as ``erase_citizen`` each) in one pass: each erasure
        is decided and recorded in turn, then the views fold them all (one catch-up),
        every key goes in one transaction and the files are scrubbed once. A citizen
        refused (``RetentionNotEnded``, ...) stops the batch there: those recorded before
        are finished first, then the error is raised."""
        commands = [
            parse(
                c.EraseCitizen,
                None,
                {"citizen_id": i, "reason": reason, "legal_basis": legal_basis},
            )
            for i in citizen_ids
        ]
        return self._erase(commands, progress)

    def _erase(
        self, commands: list[c.EraseCitizen], progress: Callable[[int, int], None] | None
    ) -> list[Erasure]:
        app = self.app
        self._require_role(StaffRole.RECORDS_OFFICER, "EraseCitizen")
        sealer = app.sealer
        if sealer is None:
            raise MasterKeyMissing(
                "nothing is encrypted, so nothing can be erased by destroying keys: "
                "configure ONEPLAN_MASTER_KEY before the first event (docs/privacy.md)"
            )
        recorded: list[Citizen] = []
        try:
            for cmd in commands:
                recorded.append(self._record_erasure(cmd, sealer))
        finally:
            erasures = self._finish_erasures(recorded, sealer, progress) if recorded else []
        return erasures

    def _record_erasure(self, cmd: c.EraseCitizen, sealer: Sealer) -> Citizen:
        """Record ``Citizen.Erased`` (refused as the rules say); the citizen after it. A
        citizen erased already whose keys are live (an erasure stopped half-way) is
        finished again; one whose keys are gone is ``CitizenErased``."""
        app = self.app
        citizen = app._load(Citizen, cmd.citizen_id)
        if citizen.erased:
            live = [k for k in sealer.store.keys_of([str(citizen.id)]) if k.wrapped]
            if not live and not app._repeats(cmd, self.principal):
                raise CitizenErased(
                    f"citizen {citizen.id} was erased already", citizen_id=citizen.id
                )
            return citizen  # an erasure recorded, but stopped before its keys went

        def decide(d: Deciding) -> UUID:
            policies.role_held(d.caller, StaffRole.RECORDS_OFFICER, "EraseCitizen")
            who = d.get(Citizen, cmd.citizen_id)
            plan_ids = (*who.past_plan_ids, *((who.plan_id,) if who.plan_id else ()))
            files = [_case_file(d, pid) for pid in plan_ids]
            files += [_sector_plan_case_file(d, f) for f in who.sector_plans.values()]
            rules.erasure_only_at_end_of_retention(
                who, files, app.retention, d.at.date(), cmd.legal_basis
            )
            who.erase(
                plan_ids=plan_ids,
                legal_basis=cmd.legal_basis,
                reason=cmd.reason,
                actor=d.actor,
                effective_at=d.at,
            )
            return who.id

        self._send(cmd, decide, UUID)
        return app._load(Citizen, cmd.citizen_id)

    def _finish_erasures(
        self,
        citizens: list[Citizen],
        sealer: Sealer,
        progress: Callable[[int, int], None] | None,
    ) -> list[Erasure]:
        """Fold the recorded erasures into the views, then destroy the keys (one
        transaction) and scrub the files (once)."""
        app = self.app
        households: dict[UUID, tuple[UUID, ...]] = {}
        taken: set[UUID] = set()
        for citizen in reversed(citizens):  # a household's key goes with its last member
            found = tuple(
                plan.id
                for plan in (app._load(Plan, pid) for pid in citizen.past_plan_ids)
                if plan.is_household
                and plan.id not in taken
                and all(app._load(Citizen, member).erased for member in plan.citizen_ids)
            )
            households[citizen.id] = found
            taken.update(found)
        # Folding ``Citizen.Erased`` folds every view row of the citizen's (and of the
        # household plans going with them) again from the events that made it, with
        # their data read as erased, in the same transaction as the new position
        # (``oneplan.projections.erasure``). Whoever folds it (this process, or another
        # runner first) does so; nothing is emptied or rebuilt, and readers wait for a
        # batch's transaction at most. Only then are the keys destroyed: a crash in
        # between leaves redacted rows and live keys, finished by erasing again.
        for citizen in citizens:
            app.views.refolded.pop(citizen.id, None)
        app.views.catch_up(progress=progress)
        live = {
            subject: [k for k in sealer.store.keys_of([str(subject)]) if k.wrapped]
            for citizen in citizens
            for subject in (citizen.id, *households[citizen.id])
        }
        subjects = [UUID(str(s)) for s in live]
        sealer.destroy(subjects, at=app.clock().isoformat())
        app._cache.clear()
        app.views.store.scrub()
        return [
            Erasure(
                citizen_id=citizen.id,
                plan_ids=citizen.past_plan_ids,
                sector_plans=tuple(citizen.sector_plans),
                keys_destroyed=sum(len(live[s]) for s in (citizen.id, *households[citizen.id])),
                households=households[citizen.id],
                events_refolded=app.views.refolded.pop(citizen.id, 0),
            )
            for citizen in citizens
        ]

    def rotate_master_key(self, new_master_key: bytes) -> int:
        """Wrap every data key with ``new_master_key`` instead of the current one, in one
        transaction (no event is encrypted again), and use it from now on. Returns how
        many keys were wrapped again. Key custodians only. Configure the new key before
        the next open."""
        self._require_role(StaffRole.KEY_CUSTODIAN, "RotateMasterKey")
        app = self.app
        if app.sealer is None:
            raise MasterKeyMissing("no master key is configured, so there is none to rotate")
        if len(new_master_key) != KEY_BYTES:
            raise KeyConfigurationError(
                f"a master key is {KEY_BYTES} random bytes", key="ONEPLAN_MASTER_KEY"
            )
        count = app.sealer.rotate(new_master_key)
        app.keys = attrs.evolve(app.keys, master_key=new_master_key)
        return count

    def start_audit_chain(self) -> int:
        """Start the audit chain on a record that predates it (key custodians only)."""
        self._require_role(StaffRole.KEY_CUSTODIAN, "StartAuditChain")
        return self.app._start_audit_chain()


def _case_file(d: Deciding, plan_id: UUID) -> CaseFile:
    plan = d.get(Plan, plan_id)
    bases = tuple(d.get(Intervention, i).legal_basis for i in plan.intervention_ids)
    return CaseFile(
        plan_id=plan.id,
        closed_at=plan.closed_at if plan.status.is_closed else None,
        legal_bases=(*plan.legal_bases, *bases),
        archived=plan.archived_at is not None,
    )


def _sector_plan_case_file(d: Deciding, file: SectorPlanFile) -> CaseFile:
    """A sector plan of the citizen's as a case file: closed at its interventions'
    latest finish, once every one has finished (read from the interventions)."""
    interventions = [d.get(Intervention, i) for i in file.intervention_ids]
    running = tuple(i.id for i in interventions if not i.status.is_finished)
    ended = [i.ended_at for i in interventions if i.ended_at is not None]
    return CaseFile(
        plan_id=None,
        sector_plan=file.sector_plan,
        closed_at=None if running or not ended else max(ended),
        legal_bases=file.legal_bases,
        archived=file.archived_at is not None,
        intervention_ids=file.intervention_ids,
        running=running,
    )


def _sector_plan_file(row: SectorPlanRow) -> CaseFile:
    """A sector plan of a citizen's, as the citizen view holds it, as a case file."""
    return CaseFile(
        plan_id=None,
        sector_plan=row.sector_plan,
        closed_at=row.closed_at,
        legal_bases=row.legal_bases,
        archived=row.archived_at is not None,
        intervention_ids=tuple(row.ended),
        running=row.running,
    )

"""Reads of personal data (rule 14): every one has a basis, and every disclosure is in
the access log, or it is refused.

- A sector view is read by staff, as the sector the staff directory gives them; what
  they see is filtered by consent, and every item shown is logged
  (``AccessRecord.SectorViewRead``). Coordinator and participant access comes from the
  plan's record of who holds it, matched to the authenticated principal.
- The citizen's plan, the journey, the access log, a FHIR export to another system,
  an audit export, an auditor's read of the full record, an evaluation extract: each
  is checked by its named rule in ``oneplan.policies`` and logged as an
  ``AccessRecord.Disclosed`` naming who, what, to whom and on which basis.
- The full record (``record``: aggregates, histories, every event) is for auditors
  (logged) and the application's own system jobs; any other principal is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID, uuid4

from pydantic import TypeAdapter, ValidationError

from oneplan import policies
from oneplan.aggregates.access import AccessRecord
from oneplan.aggregates.base import OnePlanAggregate, recording
from oneplan.aggregates.citizen import Citizen
from oneplan.aggregates.intervention import Intervention
from oneplan.aggregates.plan import Plan
from oneplan.aggregates.staff import StaffMember, staff_member_id
from oneplan.audit.trail import AuditEntry
from oneplan.errors import (
    CitizenNotFound,
    CprNotFound,
    EffectiveTimeInvalid,
    InvalidInput,
    NotFound,
)
from oneplan.letter import CitizenLetter, Municipality, StaffContact, build_letter
from oneplan.policies import Caller
from oneplan.principals import (
    AuditorPrincipal,
    CitizenPrincipal,
    StaffPrincipal,
    SystemPrincipal,
)
from oneplan.projections.access_log import WHOLE_RECORD, AccessLogState, AccessLogView
from oneplan.projections.caseload import (
    DEFAULT_PAUSE_LIMIT,
    Caseload,
    CaseloadState,
    CaseloadView,
    caseload,
)
from oneplan.projections.citizen_plan import DocumentFormat, Language
from oneplan.projections.journey import JourneyState, JourneyView
from oneplan.projections.plan_view import PlanState
from oneplan.projections.sector_view import NOTES_LIMIT, NoteCursor, SectorView, sector_view
from oneplan.projections.view_snapshots import plan_as_of
from oneplan.usecases.base import Area
from oneplan.values import Actor, ActorKind, CprNumber, LegalBasis, Sector

__all__ = ["FullRecord", "Reads"]

_CPR: TypeAdapter[str] = TypeAdapter(CprNumber)


class Reads(Area):
    """Reads of the record, each checked and logged."""

    # --- who is reading ------------------------------------------------------------

    def _reader(self, caller: Caller) -> Actor:
        p = caller.principal
        if caller.staff is not None:
            return caller.staff.actor_at(caller.at)
        if isinstance(p, CitizenPrincipal):
            return Actor(id=str(p.citizen_id), kind=ActorKind.CITIZEN)
        if isinstance(p, AuditorPrincipal):
            return Actor(id=p.auditor_id, kind=ActorKind.AUDITOR)
        return Actor(id=p.id, kind=ActorKind.SYSTEM)

    def _disclose(
        self,
        caller: Caller,
        what: str,
        *,
        citizen_ids: tuple[UUID, ...],
        basis: str,
        plan_id: UUID | None = None,
        recipient: str = "",
        consent_ids: tuple[UUID, ...] = (),
        detail: str = "",
    ) -> None:
        """Log one disclosure (rule 14) before anything is shown: if it cannot be
        logged, nothing is shown (``StorageError``)."""
        reader = self._reader(caller)
        with recording(datetime.now(UTC)):
            record = AccessRecord.disclosed(
                access_id=uuid4(),
                what=what,
                plan_id=plan_id,
                citizen_ids=citizen_ids,
                recipient=recipient or str(caller.principal),
                basis=basis,
                consent_ids=consent_ids,
                detail=detail,
                reader=reader,
                read_at=caller.at,
            )
        self.app._log_access(record, f"the {what} of {plan_id or citizen_ids or 'the record'}")

    def _holders(self, plan: PlanState) -> set[str]:
        """Who holds the plan (the view's copy of it), as the writes' rule says."""
        return policies.plan_holders(
            plan.participants,
            plan.coordinator.id if plan.coordinator is not None else None,
            plan.opened_by.id if plan.opened_by is not None else None,
        )

    # --- the sector view -------------------------------------------------------------

    def sector_view(
        self,
        plan_id: UUID,
        *,
        sector: Sector | str | None = None,
        as_of: datetime | None = None,
        notes_limit: int | None = NOTES_LIMIT,
        notes_before: str | None = None,
    ) -> SectorView:
        """The plan as the reader's sector may see it (as it stood at ``as_of``, or now),
        under the consents active now. Staff only: the sector is the one the staff
        directory gives the reader (``sector``, if given, must be it). The read is
        recorded in the access log, naming every item shown and the consent or legal
        basis that allowed it.

        Progress notes come a page at a time: the ``notes_limit`` (50) most recent the
        sector may see, older than the cursor ``notes_before`` if given (a view's
        ``older_notes``); ``notes_limit=None`` shows every one. Only the notes shown are
        logged."""
        before = self._notes_page(notes_limit, notes_before)
        caller = self.caller_now()
        if caller.staff is None:
            raise policies.DisclosureRefused(
                "read a sector view: staff read sector views (auditors read the full record)",
                rule="sector_view_to_staff",
                principal=str(self.principal),
            )
        own = caller.staff.sector
        if sector is not None:
            try:
                asked = Sector(sector)
            except ValueError as e:
                raise InvalidInput(
                    "ReadSectorView", [{"loc": ("sector",), "msg": str(e)}]
                ) from None
            if asked is not own:
                raise InvalidInput(
                    "ReadSectorView",
                    [
                        {
                            "loc": ("sector",),
                            "msg": f"the reader acts for {own.value}, not {asked.value}",
                        }
                    ],
                )
        reader = caller.staff.actor_at(caller.at)
        app = self.app
        read_at = app.clock()
        app.views.catch_up()
        plan = plan_as_of(app, plan_id, as_of)
        citizens = {cid: app._citizen_state(cid) for cid in plan.citizen_ids}
        view = sector_view(
            plan,
            citizens,
            sector=own,
            at=read_at,
            reader=reader,
            as_of=as_of,
            notes_limit=notes_limit,
            notes_before=before,
        )
        with recording(datetime.now(UTC)):
            record = AccessRecord.sector_view_read(
                access_id=uuid4(),
                plan_id=plan_id,
                citizen_ids=plan.citizen_ids,
                sector=own,
                as_of=as_of,
                shown=view.items_shown(),
                reader=reader,
                read_at=read_at,
            )
        app._log_access(record, f"the read of plan {plan_id}")
        return view

    @staticmethod
    def _notes_page(limit: int | None, before: str | None) -> NoteCursor | None:
        """``notes_before`` read (``InvalidInput`` naming the field, before anything is
        read or logged)."""
        errors: list[dict[str, Any]] = []
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            errors.append({"loc": ("notes_limit",), "msg": "is a whole number from 1, or None"})
        cursor = None
        if before is not None:
            try:
                cursor = NoteCursor.parse(before)
            except (TypeError, ValueError) as e:
                errors.append({"loc": ("notes_before",), "msg": str(e)})
        if errors:
            raise InvalidInput("ReadSectorView", errors)
        return cursor

    # --- the citizen's own ---------------------------------------------------------------

    def citizen_plan(
        self,
        plan_id: UUID,
        *,
        as_of: datetime | None = None,
        language: Language | str = Language.DA,
        format: DocumentFormat | str = DocumentFormat.MARKDOWN,
    ) -> str:
        """The citizen's own plan (*borgerens plan*) as a readable document, as it stood at
        ``as_of`` (or now): the letter of ``citizen_letter`` as Markdown or HTML. To the
        citizen, a holder of custody, staff holding the plan, or an auditor
        (``citizen_plan_to_the_citizen_or_those_holding_it``); logged."""
        try:
            fmt = DocumentFormat(format)
        except ValueError as e:
            raise InvalidInput("RenderCitizenPlan", [{"loc": (), "msg": str(e)}]) from None
        letter = self._letter(plan_id, as_of, language, None, fmt.value)
        return letter.markdown() if fmt is DocumentFormat.MARKDOWN else letter.html()

    def citizen_letter(
        self,
        plan_id: UUID,
        *,
        as_of: datetime | None = None,
        language: Language | str = Language.DA,
        sender: Municipality | None = None,
    ) -> CitizenLetter:
        """The citizen's plan as a letter fit for Digital Post (``oneplan.letter``), as it
        stood at ``as_of`` (or now), in Danish or English: the municipality as sender
        (``sender``, or ``Municipality.from_env()``), the coordinator's contact details
        from the staff directory, and who has looked at the citizen's data since the last
        letter from the access log. Render it with ``.html()``, ``.pdf()``,
        ``.markdown()`` or ``.as_dict()``. The same rule and log as ``citizen_plan``."""
        return self._letter(plan_id, as_of, language, sender, "letter")

    def _letter(
        self,
        plan_id: UUID,
        as_of: datetime | None,
        language: Language | str,
        sender: Municipality | None,
        form: str,
    ) -> CitizenLetter:
        try:
            lang = Language(language)
        except ValueError as e:
            raise InvalidInput("RenderCitizenPlan", [{"loc": (), "msg": str(e)}]) from None
        caller = self.caller_now()
        app = self.app
        app.views.catch_up()
        plan = plan_as_of(app, plan_id, as_of)
        members = [app._load(Citizen, cid) for cid in plan.citizen_ids]
        basis = policies.citizen_plan_to_the_citizen_or_those_holding_it(
            caller, self._holders(plan), members
        )
        citizens = {cid: app._citizen_state(cid) for cid in plan.citizen_ids}
        staff: dict[str, StaffContact] = {}
        for actor in (plan.coordinator, *plan.co_coordinators()):
            if actor is None or actor.kind is not ActorKind.CASEWORKER:
                continue
            try:
                member = app._load(StaffMember, staff_member_id(actor.id))
            except NotFound:  # named on events written before the staff directory
                continue
            staff[actor.id] = StaffContact(
                name=member.name, title=member.title, contact=member.contact
            )
        whole: list[AccessLogState] = app.views.rows(AccessLogView.name, f"{WHOLE_RECORD}/")
        access = {
            cid: AccessLogView.merged(
                cid, app.views.rows(AccessLogView.name, f"{cid}/"), whole
            ).entries
            for cid in plan.citizen_ids
        }
        letter = build_letter(
            plan,
            citizens,
            as_of=as_of or app.clock(),
            language=lang,
            sender=sender if sender is not None else Municipality.from_env(),
            staff=staff,
            access=access,
        )
        since = f", access log since {letter.access.since}" if letter.access else ""
        self._disclose(
            caller,
            "citizen-plan",
            plan_id=plan_id,
            citizen_ids=plan.citizen_ids,
            basis=basis,
            consent_ids=plan.consent_ids,
            detail=f"{form}, {lang.value}"
            + (f", as of {as_of.isoformat()}" if as_of else "")
            + since,
        )
        return letter

    def journey(self, citizen_id: UUID) -> JourneyState:
        """The citizen's journey: every contact and change on their record, and the
        caseworkers and sectors met so far. To the citizen, a holder of custody, staff
        holding the citizen's plan, or an auditor; logged."""
        caller = self.caller_now()
        app = self.app
        app.views.catch_up()
        state: JourneyState | None = app.views.get(JourneyView.name, citizen_id)
        if state is None:
            raise CitizenNotFound(citizen_id)
        citizen = app._load(Citizen, citizen_id)
        holders: set[str] = set()
        if citizen.plan_id is not None:
            holders = self._holders(app._plan_state(citizen.plan_id, None))
        basis = policies.journey_to_the_citizen_or_those_holding_it(caller, citizen, holders)
        self._disclose(caller, "journey", citizen_ids=(citizen_id,), basis=basis)
        return state

    def access_log(self, citizen_id: UUID) -> AccessLogState:
        """Who has read the citizen's data: when, as which sector, which items, under
        which consent or legal basis, and every other disclosure (the citizen's plan,
        exports, an auditor's reads, extracts of the whole record). To the citizen, a
        holder of custody, an auditor or a records officer; a read by anyone but the
        citizen is itself logged."""
        caller = self.caller_now()
        app = self.app
        app.views.catch_up()
        app._citizen_state(citizen_id)
        citizen = app._load(Citizen, citizen_id)
        policies.access_log_to_the_citizen_or_auditors(caller, citizen)
        # (a holder of custody reading a child's log is another reader: logged)
        own = (
            isinstance(self.principal, CitizenPrincipal) and self.principal.citizen_id == citizen_id
        )
        rows: list[AccessLogState] = app.views.rows(AccessLogView.name, f"{citizen_id}/")
        whole: list[AccessLogState] = app.views.rows(AccessLogView.name, f"{WHOLE_RECORD}/")
        if not own:
            if isinstance(self.principal, AuditorPrincipal):
                basis = self.principal.basis
            elif isinstance(self.principal, CitizenPrincipal):
                basis = "holder of custody"
            elif isinstance(self.principal, SystemPrincipal):
                basis = "system job's processing"
            else:
                basis = "records officer's inquiry"
            self._disclose(caller, "access-log", citizen_ids=(citizen_id,), basis=basis)
        return AccessLogView.merged(citizen_id, rows, whole)

    # --- a caseworker's own ------------------------------------------------------------

    def caseload(
        self,
        coordinator_id: str | None = None,
        *,
        paused_longer_than: timedelta = DEFAULT_PAUSE_LIMIT,
        at: datetime | None = None,
    ) -> Caseload:
        """A coordinator's caseload now: active plans, goals past due, interventions
        paused longer than ``paused_longer_than``, and the hand-overs they received.
        Staff read their own (``coordinator_id`` omitted or their own id); auditors
        read anyone's (logged)."""
        caller = self.caller_now()
        if isinstance(self.principal, AuditorPrincipal):
            if coordinator_id is None:
                raise InvalidInput("Caseload", [{"loc": ("coordinator_id",), "msg": "name whose"}])
        elif caller.staff is None or coordinator_id not in (None, caller.staff_id):
            raise policies.DisclosureRefused(
                f"read the caseload of {coordinator_id}: staff read their own",
                rule="caseload_to_its_coordinator",
                principal=str(self.principal),
            )
        who = coordinator_id or cast(str, caller.staff_id)
        app = self.app
        app.views.catch_up()
        state: CaseloadState | None = app.views.get(CaseloadView.name, who)
        if state is None:
            state = CaseloadState(coordinator_id=who)
        plans = {p.plan_id: app._plan_state(p.plan_id, None) for p in state.plans}
        if isinstance(self.principal, AuditorPrincipal) and plans:
            self._disclose(
                caller,
                "caseload",
                citizen_ids=tuple(c for p in plans.values() for c in p.citizen_ids),
                basis=self.principal.basis,
                detail=f"caseload of {who}",
            )
        return caseload(state, plans, at=at or app.clock(), paused_longer_than=paused_longer_than)

    def citizen_by_cpr(self, cpr: str) -> UUID:
        """The id of the citizen registered with CPR number ``cpr`` (found through its
        keyed hash; the number is never stored or shown). Staff and system jobs; a
        staff member's lookup is logged."""
        try:
            number: str = _CPR.validate_python(cpr)
        except ValidationError:
            raise InvalidInput(
                "FindCitizenByCpr", [{"loc": ("cpr",), "msg": "is not a valid CPR number"}]
            ) from None
        caller = self.caller_now()
        if not isinstance(self.principal, SystemPrincipal):
            policies.staff_only(caller, "FindCitizenByCpr")
        app = self.app
        found = app.key_store.citizen_by_cpr_hash(app._cpr_hash(number))
        if found is None or not app._exists(UUID(found)):
            raise CprNotFound
        if caller.staff is not None:
            self._disclose(
                caller, "cpr-lookup", citizen_ids=(UUID(found),), basis="lookup by CPR number"
            )
        return UUID(found)

    # --- exports -----------------------------------------------------------------------

    def fhir_bundle(
        self,
        plan_id: UUID,
        *,
        recipient: str,
        as_of: datetime | None = None,
        legal_basis: LegalBasis | str | None = None,
    ) -> Any:
        """The plan as a FHIR R5 Bundle for a named ``recipient`` system
        (``oneplan.interop.fhir``), under the plan's active consents or a named
        ``legal_basis``; by staff holding the plan, an auditor or a system job; logged
        with the recipient (``fhir_export_to_a_named_recipient``)."""
        from oneplan.interop.fhir import plan_bundle

        recipient = (recipient or "").strip()
        if not recipient:
            raise InvalidInput(
                "ExportFhir", [{"loc": ("recipient",), "msg": "name the system it goes to"}]
            )
        law: LegalBasis | None = None
        if legal_basis is not None:
            try:
                law = LegalBasis.model_validate(legal_basis)
            except ValidationError:
                raise InvalidInput(
                    "ExportFhir", [{"loc": ("legal_basis",), "msg": "is not a legal basis"}]
                ) from None
        caller = self.caller_now()
        app = self.app
        app.views.catch_up()
        plan = app._plan_state(plan_id, None)
        if isinstance(self.principal, StaffPrincipal) and caller.staff_id not in self._holders(
            plan
        ):
            raise policies.DisclosureRefused(
                f"export plan {plan_id}: only staff holding the plan export it",
                rule="fhir_export_to_a_named_recipient",
                principal=str(self.principal),
                plan_id=plan_id,
            )
        if isinstance(self.principal, CitizenPrincipal):
            raise policies.DisclosureRefused(
                "export a plan to another system: the citizen reads their plan instead",
                rule="fhir_export_to_a_named_recipient",
                principal=str(self.principal),
                plan_id=plan_id,
            )
        now = app.clock()
        consents = tuple(
            cid
            for citizen_id in plan.citizen_ids
            for cid, consent in app._load(Citizen, citizen_id).consents.items()
            if cid in plan.consent_ids and consent.is_active_at(now)
        )
        if law is None and not consents:
            raise policies.DisclosureRefused(
                f"export plan {plan_id}: no active consent of the plan's, and no legal basis",
                rule="fhir_export_to_a_named_recipient",
                principal=str(self.principal),
                plan_id=plan_id,
            )
        bundle = plan_bundle(app, plan_id, as_of=as_of)
        self._disclose(
            caller,
            "fhir-export",
            plan_id=plan_id,
            citizen_ids=plan.citizen_ids,
            recipient=recipient,
            basis=str(law) if law is not None else "consent",
            consent_ids=() if law is not None else consents,
            detail="FHIR R5 Bundle" + (f" as of {as_of.isoformat()}" if as_of else ""),
        )
        return bundle

    def audit_trail(
        self,
        *,
        citizen_id: UUID | None = None,
        plan_id: UUID | None = None,
        actor_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[AuditEntry]:
        """The audit trail in the order recorded (one entry per stored event, reads
        included): who did what, when, why and on which legal basis; of one citizen,
        plan or actor (all that are given), recorded in ``[since, until)``. Auditors
        only (``audit_export_to_auditors``); the export is logged before it starts."""
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise EffectiveTimeInvalid.because("AuditTrail", "must be timezone-aware", name)
        caller = self.caller_now()
        basis = policies.audit_export_to_auditors(caller)
        app = self.app
        citizens: tuple[UUID, ...] = ()
        if citizen_id is not None:
            citizens = (citizen_id,)
        elif plan_id is not None:
            try:
                citizens = app._read(Plan, plan_id, None, None).citizen_ids
            except NotFound:
                citizens = ()
        filters = ", ".join(
            f"{k}={v}"
            for k, v in (
                ("citizen", citizen_id),
                ("plan", plan_id),
                ("actor", actor_id),
                ("since", since.isoformat() if since else None),
                ("until", until.isoformat() if until else None),
            )
            if v is not None
        )
        self._disclose(
            caller,
            "audit-export",
            citizen_ids=citizens,
            plan_id=plan_id,
            basis=basis,
            detail=filters or "the whole trail",
        )
        return app._audit_entries(
            citizen_id=citizen_id, plan_id=plan_id, actor_id=actor_id, since=since, until=until
        )

    def evaluation_events(self) -> Iterator[Any]:
        """Every event, for an evaluation extract (``oneplan.evaluate``; its exports are
        pseudonymised): by a system job or an auditor. The extract is logged once, as a
        disclosure of the whole record, not per citizen."""
        caller = self.caller_now()
        policies.full_record_to_auditors_and_system_jobs(caller, "an evaluation extract")
        self._disclose(
            caller,
            "evaluation-extract",
            citizen_ids=(),
            basis=getattr(self.principal, "basis", "") or "evaluation of the reform",
            detail="every event, for pseudonymised metrics",
        )
        return self.app._all_events()

    @property
    def record(self) -> FullRecord:
        """The full record, unfiltered (every sector's content, health included): for
        auditors (every read logged, under their legal basis) and the application's own
        system jobs. Refused to any other principal."""
        caller = self.caller_now()
        policies.full_record_to_auditors_and_system_jobs(caller, "the full record")
        return FullRecord(self, caller)


class FullRecord:
    """Raw reads of the record (``Reads.record``): aggregates now, at a version or as of
    a recorded time, their histories and every event. An auditor's read is logged."""

    def __init__(self, reads: Reads, caller: Caller) -> None:
        self._reads = reads
        self._caller = caller
        self._app = reads.app

    def _logged(
        self, citizen_ids: tuple[UUID, ...], detail: str, plan_id: UUID | None = None
    ) -> None:
        p = self._caller.principal
        if isinstance(p, AuditorPrincipal):
            self._reads._disclose(
                self._caller,
                "full-record",
                citizen_ids=citizen_ids,
                plan_id=plan_id,
                basis=p.basis,
                detail=detail,
            )

    def citizen(
        self, citizen_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Citizen:
        """The citizen now, at a past ``version``, or as recorded at ``as_of``."""
        found = self._app._read(Citizen, citizen_id, version, as_of)
        self._logged((citizen_id,), f"citizen {citizen_id}")
        return found

    def plan(
        self, plan_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Plan:
        """The plan now, at a past ``version``, or as it stood at recorded time ``as_of``."""
        found = self._app._read(Plan, plan_id, version, as_of)
        self._logged(found.citizen_ids, f"plan {plan_id}", plan_id)
        return found

    def intervention(
        self, intervention_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Intervention:
        found = self._app._read(Intervention, intervention_id, version, as_of)
        self._logged((found.citizen_id,), f"intervention {intervention_id}", found.plan_id)
        return found

    def interventions_of(
        self, plan_id: UUID, *, as_of: datetime | None = None
    ) -> list[Intervention]:
        """The plan's interventions, in the order they were proposed."""
        plan = self._app._read(Plan, plan_id, None, as_of)
        found = [self._app._read(Intervention, i, None, as_of) for i in plan.intervention_ids]
        self._logged(plan.citizen_ids, f"the interventions of plan {plan_id}", plan_id)
        return found

    def history(self, aggregate_id: UUID) -> list[OnePlanAggregate.Event]:
        """Every event of one citizen, plan or intervention, oldest first."""
        found = self._app._history(aggregate_id)
        citizens: tuple[UUID, ...] = ()
        if found:
            first: Any = found[0]
            citizens = tuple(
                getattr(first, "citizen_ids", ())
                or ((first.citizen_id,) if hasattr(first, "citizen_id") else ())
                or ((aggregate_id,) if isinstance(first, Citizen.Registered) else ())
            )
        self._logged(citizens, f"the history of {aggregate_id}")
        return found

    def all_events(self) -> Iterator[Any]:
        """Every event in recorded order (the notification log), mapped to objects."""
        self._logged((), "every event")
        return self._app._all_events()

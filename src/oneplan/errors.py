"""Every refusal oneplan makes, under one base class.

Each error carries the ids involved as attributes (``error.ids``), and a refused
command changes nothing and persists nothing. ``docs/errors.md`` says what to do
about each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

__all__ = [
    "AnchorInvalid",
    "AnchorSignatureInvalid",
    "AuditChainBroken",
    "AuditChainNotStarted",
    "AuditKeyMismatch",
    "AuditKeyRequired",
    "AuthorityMissing",
    "CiphertextRejected",
    "CitizenAlreadyInPlan",
    "CitizenErased",
    "CitizenNotFound",
    "CommandIdReused",
    "ConcurrencyConflict",
    "ConsentMissing",
    "ConsentNotFound",
    "CoordinatorRequired",
    "CprNotFound",
    "DependencyCycle",
    "DependencyNotSatisfied",
    "DisclosureRefused",
    "EffectiveTimeInvalid",
    "GoalNotFound",
    "IllegalTransition",
    "InterventionFinished",
    "InterventionNotFound",
    "InterventionOutsidePlan",
    "InvalidDatabaseUrl",
    "InvalidInput",
    "KeyConfigurationError",
    "LegalBasisOutsideSector",
    "LetterConfigurationError",
    "LetterRenderingUnavailable",
    "MasterKeyMismatch",
    "MasterKeyMissing",
    "NotDeliveredToArchive",
    "NotFound",
    "NotPermitted",
    "OnePlanError",
    "OutOfOrderInEffectiveTime",
    "ParticipantNotFound",
    "PlanNotFound",
    "ProjectionFailed",
    "RebuildInProgress",
    "RetentionNotEnded",
    "RuleViolation",
    "SanctionBackdatedBeforeSocialContact",
    "SanctionBeforeSocialContact",
    "SectorPlanNotFound",
    "SectorPlanReplaced",
    "SharingNotCovered",
    "SnapshotRejected",
    "StaffNotFound",
    "StartBackdatedBeforeDependency",
    "StorageError",
    "ViewsAheadOfLog",
]


class OnePlanError(Exception):
    """Base of every error oneplan raises on purpose."""

    def __init__(self, message: str, **ids: Any) -> None:
        super().__init__(message)
        self.message = message
        self.ids: dict[str, Any] = ids
        for key, value in ids.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message


class InvalidInput(OnePlanError, ValueError):
    """A command's input failed validation; ``errors`` names each bad field."""

    def __init__(self, command: str, errors: Sequence[Mapping[str, Any]]) -> None:
        self.command = command
        self.errors = [dict(e) for e in errors]
        fields = ", ".join(
            ".".join(str(p) for p in e.get("loc", ())) or "(input)" for e in self.errors
        )
        details = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())) or '(input)'}: {e.get('msg', '')}"
            for e in self.errors
        )
        super().__init__(f"invalid {command}: {details}", command=command, fields=fields)


class EffectiveTimeInvalid(InvalidInput):
    """``effective_at`` (or ``as_of``) is naive, in the future, or before the course began."""

    @classmethod
    def because(
        cls, command: str, reason: str, field: str = "effective_at"
    ) -> EffectiveTimeInvalid:
        return cls(command, [{"loc": (field,), "msg": reason}])


class InvalidDatabaseUrl(OnePlanError, ValueError):
    """The database URL is not ``memory://``, ``sqlite:///path`` or ``postgresql://...``."""


class KeyConfigurationError(OnePlanError, ValueError):
    """A configured key (``ONEPLAN_AUDIT_KEY``, ``ONEPLAN_MASTER_KEY``, ``ONEPLAN_KEY_FILE``)
    is unreadable, not base64, or not 32 bytes."""


class MasterKeyMismatch(KeyConfigurationError):
    """The configured master key is not the one that wraps this database's data keys
    (``key_id`` is the configured key's id, ``expected`` the stored one): a wrong key
    file, or a rotation that was not finished."""


class MasterKeyMissing(KeyConfigurationError):
    """Personal data needs the master key: the database holds encrypted data but no
    ``ONEPLAN_MASTER_KEY`` is configured, or a CPR number was given without the master
    and CPR keys (a CPR number is never stored in plaintext)."""


class LetterConfigurationError(OnePlanError, ValueError):
    """The citizen's letter's sender is misconfigured: ``ONEPLAN_MUNICIPALITY_LOGO`` is not
    a readable PNG, JPEG or SVG file, or ``ONEPLAN_RECORD_LANGUAGE`` is not da or en
    (``setting`` names it)."""


class LetterRenderingUnavailable(OnePlanError):
    """The citizen's letter cannot be made as a PDF here: WeasyPrint (the ``letter``
    extra) or the system libraries it needs (Pango) are not installed."""


class StorageError(OnePlanError):
    """The event store failed in a way that is not a version conflict."""


class CiphertextRejected(StorageError):
    """A sealed (encrypted) part of a stored event failed authentication: it was altered,
    or moved from another row (its associated data names the stream, version, topic
    and data key it was sealed for). ``stream_id`` and ``version`` name the row."""


class SnapshotRejected(StorageError):
    """A stored snapshot row is not one oneplan wrote (rule 16): it carries no MAC, or
    its MAC fails under the configured key (altered, moved from another row or stream,
    written without the key), or it claims a version its stream does not hold.
    ``stream_id`` and ``version`` name the row, ``reason`` says which. Reads never raise
    it: they ignore the row and fold the events (``oneplan.snapshots``)."""

    stream_id: UUID | str
    version: int
    reason: str

    def __init__(self, message: str, *, stream_id: UUID | str, version: int, reason: str) -> None:
        super().__init__(message, stream_id=stream_id, version=version, reason=reason)


# --- the audit chain ----------------------------------------------------------------


class AuditKeyRequired(KeyConfigurationError):
    """The record keeps an audit chain (since ``after``): writing to it, or making an
    anchor, needs the audit key, and none is configured. Nothing was written."""

    def __init__(self, message: str, *, after: int | None = None) -> None:
        super().__init__(message, key="ONEPLAN_AUDIT_KEY", after=after)


class AuditKeyMismatch(KeyConfigurationError):
    """The configured audit key is not the key the record's chain was written with
    (``chain_key_id`` versus ``configured_key_id``). Nothing was written."""

    def __init__(self, message: str, *, chain_key_id: str, configured_key_id: str) -> None:
        super().__init__(
            message,
            key="ONEPLAN_AUDIT_KEY",
            chain_key_id=chain_key_id,
            configured_key_id=configured_key_id,
        )


class AuditChainNotStarted(OnePlanError):
    """An audit key is configured but the record already holds events written without
    one (up to ``position``): the chain is started on purpose, once, with ``oneplan audit
    start`` (``OnePlan.start_audit_chain``). Nothing was written."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(message, position=position)


class ViewsAheadOfLog(StorageError):
    """The views' tracking position (``position``) lies beyond the log's last event
    (``head``): catching up from there would skip every event up to it. Refused when the
    projection runner starts (and whenever another runner moved the position), rather
    than fold nothing and show views the log does not give."""

    def __init__(self, message: str, *, position: int, head: int) -> None:
        super().__init__(message, position=position, head=head)


class RebuildInProgress(StorageError):
    """Another runner (``holder``) holds the lease to rebuild the views, until ``until``
    (seconds since the epoch) unless it renews it: one rebuild at a time, since two would
    drop each other's tables aside. Nothing was changed."""

    def __init__(self, message: str, *, holder: str, until: float) -> None:
        super().__init__(message, holder=holder, until=until)


class AuditChainBroken(OnePlanError):
    """Verification found the log changed after it was chained, at ``position``; ``breach``
    says how (``oneplan.audit.Breach``). Raised where a broken log must not be used (an
    anchor is never made over one)."""

    def __init__(self, message: str, *, position: int, breach: str) -> None:
        super().__init__(message, position=position, breach=breach)


class AnchorInvalid(OnePlanError, ValueError):
    """An anchor file cannot be read as an anchor: not JSON, a field missing or of the
    wrong type or length. ``source`` names the file (or ``"<data>"``)."""

    def __init__(self, message: str, *, source: str = "<data>") -> None:
        super().__init__(message, source=source)


class AnchorSignatureInvalid(OnePlanError):
    """An anchor's signature does not hold: altered, forged, signed with another key
    (``signing_key_id`` versus ``public_key_id``), or signed with the audit key (HMAC)
    where the anchor signing key's (Ed25519) was expected. ``position`` is the anchor's."""

    def __init__(
        self,
        message: str,
        *,
        position: int,
        signing_key_id: str | None,
        public_key_id: str | None,
    ) -> None:
        super().__init__(
            message, position=position, signing_key_id=signing_key_id, public_key_id=public_key_id
        )


# --- not found ----------------------------------------------------------------------


class NotFound(OnePlanError, LookupError):
    """Something referred to by id does not exist."""


class CitizenNotFound(NotFound):
    def __init__(self, citizen_id: UUID) -> None:
        super().__init__(f"citizen {citizen_id} not found", citizen_id=citizen_id)


class PlanNotFound(NotFound):
    def __init__(self, plan_id: UUID) -> None:
        super().__init__(f"plan {plan_id} not found", plan_id=plan_id)


class InterventionNotFound(NotFound):
    def __init__(self, intervention_id: UUID) -> None:
        super().__init__(
            f"intervention {intervention_id} not found", intervention_id=intervention_id
        )


class CprNotFound(NotFound):
    """No citizen is registered with the CPR number looked up (the number itself is
    never repeated in the message)."""

    def __init__(self) -> None:
        super().__init__("no citizen is registered with that CPR number")


class GoalNotFound(NotFound):
    def __init__(self, plan_id: UUID, goal_id: UUID) -> None:
        super().__init__(f"goal {goal_id} not in plan {plan_id}", plan_id=plan_id, goal_id=goal_id)


class ConsentNotFound(NotFound):
    def __init__(self, citizen_id: UUID, consent_id: UUID) -> None:
        super().__init__(
            f"consent {consent_id} not given by citizen {citizen_id}",
            citizen_id=citizen_id,
            consent_id=consent_id,
        )


class ParticipantNotFound(NotFound):
    def __init__(self, plan_id: UUID, caseworker_id: str) -> None:
        super().__init__(
            f"{caseworker_id} does not take part in plan {plan_id}",
            plan_id=plan_id,
            caseworker_id=caseworker_id,
        )


class StaffNotFound(NotFound):
    """No staff member with this id is in the staff directory (rule 11): register them
    (``oneplan staff register``) before they act or are named on a plan."""

    def __init__(self, staff_id: str) -> None:
        super().__init__(
            f"staff member {staff_id} is not in the staff directory", staff_id=staff_id
        )


class SectorPlanNotFound(NotFound):
    """The citizen holds no intervention under that sector plan (``sector_plan``, written
    ``SECTOR:LAW § N[:REFERENCE]``), so it is no case file of theirs."""

    def __init__(self, citizen_id: UUID, sector_plan: object) -> None:
        super().__init__(
            f"citizen {citizen_id} has no intervention under sector plan {sector_plan}",
            citizen_id=citizen_id,
            sector_plan=sector_plan,
        )


# --- conflicts ----------------------------------------------------------------------


class ConcurrencyConflict(OnePlanError):
    """Another writer changed the same aggregate first, and the command was not retried
    (or every retry conflicted too). Reload and decide again."""


class CommandIdReused(OnePlanError):
    """A command id was used before for a different command or different input."""


# --- who may do what (rules 11-14) --------------------------------------------------


class NotPermitted(OnePlanError, PermissionError):
    """The principal may not do this (rules 11-14): ``rule`` names the trust rule that
    refused (``grep -r RULE src/oneplan/policies.py``), ``principal`` who asked, and the
    ids involved are attributes. Nothing was written, and nothing was disclosed."""

    def __init__(self, message: str, *, rule: str, principal: str, **ids: Any) -> None:
        super().__init__(
            f"{principal} may not: {message} ({rule})", rule=rule, principal=principal, **ids
        )


class DisclosureRefused(NotPermitted):
    """A read of personal data without a basis (rule 14): refused, not logged and
    allowed."""


# --- the rules of DOMAIN.md ---------------------------------------------------------


class RuleViolation(OnePlanError):
    """A command would break one of the domain's rules; ``rule`` names it."""

    rule: str = ""


class IllegalTransition(RuleViolation):
    """The thing is not in a status the command applies to."""

    rule = "status lifecycle"


class CitizenAlreadyInPlan(RuleViolation):
    """Rule 1: one plan per citizen (or household) at a time."""

    rule = "one plan per citizen"


class ConsentMissing(RuleViolation):
    """Rule 1: the plan exists by the citizen's consent; for a family, the holder of
    custody and a child of 16 or over must both consent (BL § 110)."""

    rule = "plan needs consent"


class LegalBasisOutsideSector(RuleViolation):
    """Rule 2: an intervention names its sector and a legal basis that sector acts under."""

    rule = "intervention names sector and legal basis"


class InterventionOutsidePlan(RuleViolation):
    """Rule 2: an intervention belongs to one plan, its citizens and its goals."""

    rule = "intervention belongs to the plan"


class AuthorityMissing(RuleViolation):
    """Rule 3: only a caseworker with authority under the law may decide under it."""

    rule = "authority to grant"


class InterventionFinished(RuleViolation):
    """Rule 5: a completed, stopped or cancelled intervention never changes again."""

    rule = "finished interventions never change"


class DependencyNotSatisfied(RuleViolation):
    """Rule 6: an intervention that waits for another cannot start before it may."""

    rule = "wait for dependency"


class DependencyCycle(RuleViolation):
    """Rule 6: interventions cannot wait for each other in a circle."""

    rule = "wait for dependency"


class CoordinatorRequired(RuleViolation):
    """Rule 7: an active plan always has exactly one coordinator; a hand-over names the
    new coordinator and the reason."""

    rule = "one coordinator"


class SanctionBeforeSocialContact(RuleViolation):
    """Rule 8, the Randers rule: the employment authority may not sanction a citizen
    before the citizen's social-services contact person has been contacted."""

    rule = "Randers sanction rule"


class SectorPlanReplaced(RuleViolation):
    """Rule 2: while a citizen has a coordinated plan, every new effort goes into it; the
    sector plans it replaces take no new interventions."""

    rule = "the plan covers all efforts"


class SharingNotCovered(RuleViolation):
    """Rule 9: sharing fails closed. No active consent covers the recipient sector and
    information category, and no legal basis for an override was given."""

    rule = "sharing fails closed"


class CitizenErased(RuleViolation):
    """Rule 10: the citizen's personal data was erased (their data keys destroyed); the
    record keeps its structure, but nothing more can be written about them."""

    rule = "erasure is final"


class RetentionNotEnded(RuleViolation):
    """Rule 10: erasure happens only at the end of the retention period. A case file of
    the citizen (``citizen_id``) is open (``due`` is None): a plan (``plan_ids``), or a
    sector plan of theirs (``sector_plans``) with interventions still running
    (``intervention_ids``); or their case files have not been closed for their retention
    period (until ``due``)."""

    rule = "erasure only at the end of retention"


class NotDeliveredToArchive(RuleViolation):
    """Rule 10: a closed case file, a plan (``plan_ids``) or a sector plan of the
    citizen's (``sector_plans``), is erased only after it has been delivered to the
    public archive, unless a legal basis for destroying it without delivery is given
    (such as the archive's rules for which case files are destroyed)."""

    rule = "erasure only after archive delivery"


class OutOfOrderInEffectiveTime(RuleViolation):
    """Rule 15: a command effective before a step already recorded in the citizen's
    course, which it would contradict there. ``command`` and ``effective_at`` name the
    refused command; ``recorded_step`` (an event name), ``recorded_at`` (its effective
    time) and ``recorded_in`` (the id of the citizen or intervention holding it) name
    the recorded step; the ids involved are attributes too."""

    rule = "rules hold in the citizen's course"

    def __init__(
        self,
        message: str,
        *,
        command: str,
        effective_at: datetime,
        recorded_step: str,
        recorded_at: datetime,
        recorded_in: UUID,
        **ids: Any,
    ) -> None:
        super().__init__(
            message,
            command=command,
            effective_at=effective_at,
            recorded_step=recorded_step,
            recorded_at=recorded_at,
            recorded_in=recorded_in,
            **ids,
        )


class SanctionBackdatedBeforeSocialContact(OutOfOrderInEffectiveTime, SanctionBeforeSocialContact):
    """Rules 8 and 15: a sanction effective before the contact with the citizen's
    social-services contact person that the record holds (``recorded_at``): in the
    citizen's course the sanction would come first."""

    rule = "Randers sanction rule"


class StartBackdatedBeforeDependency(OutOfOrderInEffectiveTime, DependencyNotSatisfied):
    """Rules 6 and 15: a start effective before what it waits for held: the awaited
    intervention (``waits_for_id``, ``recorded_in``) ended (or started, for
    ``after-start``; was cancelled) only at ``recorded_at``."""

    rule = "wait for dependency"


class ProjectionFailed(StorageError):
    """A view could not fold the log at ``position``: the event there cannot be read, or
    the fold refused it. Nothing of that batch was written; the runner stops there
    rather than skip an event."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(message, position=position)

"""Use cases on the citizen's record: registration, consent, custody, the Randers
contact, sanctions, benefits and outcomes. Each names the trust rule that says who may
send it (``oneplan.policies``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from oneplan import commands as c
from oneplan import policies
from oneplan.aggregates.citizen import Citizen
from oneplan.errors import InvalidInput
from oneplan.usecases.base import Area, Deciding, command, parse
from oneplan.values import ActorKind, ConsentGiver, cpr_birth_date

__all__ = ["CitizenCommands"]


class CitizenCommands(Area):
    """Commands on a citizen's record."""

    def register_citizen(self, command: c.RegisterCitizen | None = None, /, **fields: Any) -> UUID:
        """Register a citizen (*borger*); returns the citizen id. Staff only."""
        cmd = parse(c.RegisterCitizen, command, fields)
        citizen_id = cmd.citizen_id or uuid4()
        birth_date = cmd.birth_date
        if birth_date is None:
            if cmd.cpr is None:
                raise InvalidInput(
                    "RegisterCitizen",
                    [{"loc": ("birth_date",), "msg": "give a birth date or a CPR number"}],
                )
            birth_date = cpr_birth_date(cmd.cpr)
        app = self.app

        def decide(d: Deciding) -> UUID:
            policies.staff_only(d.caller, "RegisterCitizen")
            if cmd.citizen_id is not None and app._exists(citizen_id):
                raise InvalidInput(
                    "RegisterCitizen", [{"loc": ("citizen_id",), "msg": "is already in use"}]
                )
            citizen = Citizen.register(
                citizen_id=citizen_id,
                name=cmd.name,
                birth_date=birth_date,
                cpr=cmd.cpr,
                actor=d.actor,
                effective_at=d.at,
            )
            if cmd.cpr is not None:
                app._claim_cpr(cmd.cpr, citizen_id)
            d.add(citizen)
            return citizen_id

        return self._send(cmd, decide, UUID)

    @command(c.GrantConsent)
    def grant_consent(self, cmd: c.GrantConsent, d: Deciding) -> UUID:
        """Record a consent (*samtykke*); returns the consent id. Given by the citizen (or
        a holder of custody) as principal, or recorded by a caseworker saying how the
        citizen gave it (``consent_is_the_citizens``)."""
        citizen = d.get(Citizen, cmd.citizen_id)
        as_holder = policies.consent_is_the_citizens(
            d.caller, citizen, cmd.given_how, "GrantConsent"
        )
        given_by = cmd.given_by
        if d.caller.citizen_id is not None:
            own = ConsentGiver(kind=ActorKind.GUARDIAN if as_holder else ActorKind.CITIZEN)
            if any(g.kind is not own.kind for g in given_by):
                raise InvalidInput(
                    "GrantConsent",
                    [{"loc": ("given_by",), "msg": "a citizen gives a consent only as themself"}],
                )
            given_by = given_by or (own,)
        elif not given_by:
            raise InvalidInput(
                "GrantConsent",
                [
                    {
                        "loc": ("given_by",),
                        "msg": "a caseworker recording a consent names who gave it",
                    }
                ],
            )
        consent_id = cmd.consent_id or uuid4()
        citizen.grant_consent(
            consent_id=consent_id,
            recipient_sectors=cmd.recipient_sectors,
            categories=cmd.categories,
            purpose=cmd.purpose,
            period=cmd.period,
            given_by=given_by,
            given_how=cmd.given_how if d.caller.citizen_id is None else None,
            actor=d.actor_for(citizen),
            effective_at=d.at,
        )
        return consent_id

    @command(c.RevokeConsent)
    def revoke_consent(self, cmd: c.RevokeConsent, d: Deciding) -> UUID:
        """Revoke a consent, wholly or for some sectors; returns the consent id
        (``consent_is_the_citizens``)."""
        citizen = d.get(Citizen, cmd.citizen_id)
        policies.consent_is_the_citizens(d.caller, citizen, cmd.given_how, "RevokeConsent")
        citizen.revoke_consent(
            consent_id=cmd.consent_id,
            sectors=cmd.sectors,
            reason=cmd.reason,
            given_how=cmd.given_how if d.caller.citizen_id is None else None,
            actor=d.actor_for(citizen),
            effective_at=d.at,
        )
        return cmd.consent_id

    @command(c.RecordCustody)
    def record_custody(self, cmd: c.RecordCustody, d: Deciding) -> UUID:
        """Record a holder of custody of a citizen (staff only); returns the citizen id."""
        policies.staff_only(d.caller, "RecordCustody")
        d.get(Citizen, cmd.holder_id).require_not_erased()
        citizen = d.get(Citizen, cmd.citizen_id)
        citizen.record_custody(
            holder_id=cmd.holder_id, legal_basis=cmd.legal_basis, actor=d.actor, effective_at=d.at
        )
        return citizen.id

    @command(c.EndCustody)
    def end_custody(self, cmd: c.EndCustody, d: Deciding) -> UUID:
        policies.staff_only(d.caller, "EndCustody")
        citizen = d.get(Citizen, cmd.citizen_id)
        citizen.end_custody(
            holder_id=cmd.holder_id, reason=cmd.reason, actor=d.actor, effective_at=d.at
        )
        return citizen.id

    @command(c.RecordSocialContactPerson)
    def record_social_contact_person(self, cmd: c.RecordSocialContactPerson, d: Deciding) -> UUID:
        """Record the citizen's contact person in social services (staff only)."""
        policies.staff_only(d.caller, "RecordSocialContactPerson")
        d.get(Citizen, cmd.citizen_id).record_social_contact_person(
            contact_person=d.staff_actor(cmd.contact_person), actor=d.actor, effective_at=d.at
        )
        return cmd.citizen_id

    @command(c.RecordSocialContactMade)
    def record_social_contact_made(self, cmd: c.RecordSocialContactMade, d: Deciding) -> UUID:
        """The employment authority contacted the social-services contact person."""
        policies.staff_only(d.caller, "RecordSocialContactMade")
        d.get(Citizen, cmd.citizen_id).record_social_contact_made(
            regarding=cmd.regarding, actor=d.actor, effective_at=d.at
        )
        return cmd.citizen_id

    @command(c.ImposeSanction)
    def impose_sanction(self, cmd: c.ImposeSanction, d: Deciding) -> UUID:
        """Sanction a citizen, under the Randers sanction rule; by staff holding authority
        under the sanction's law (``staff_decides_under_its_authority``)."""
        policies.staff_decides_under_its_authority(d.caller, cmd.legal_basis.law, "ImposeSanction")
        sanction_id = cmd.sanction_id or uuid4()
        d.get(Citizen, cmd.citizen_id).impose_sanction(
            sanction_id=sanction_id,
            legal_basis=cmd.legal_basis,
            reason=cmd.reason,
            actor=d.actor,
            effective_at=d.at,
        )
        return sanction_id

    @command(c.RecordBenefitPaid)
    def record_benefit_paid(self, cmd: c.RecordBenefitPaid, d: Deciding) -> UUID:
        """Record a benefit paid (the transfers budget area); by staff of the paying
        sector (``staff_of_the_sector``)."""
        policies.staff_of_the_sector(d.caller, cmd.sector, "RecordBenefitPaid")
        benefit_id = cmd.benefit_id or uuid4()
        d.get(Citizen, cmd.citizen_id).pay_benefit(
            benefit_id=benefit_id,
            sector=cmd.sector,
            legal_basis=cmd.legal_basis,
            amount=cmd.amount,
            period=cmd.period,
            actor=d.actor,
            effective_at=d.at,
        )
        return benefit_id

    @command(c.RecordOutcome)
    def record_outcome(self, cmd: c.RecordOutcome, d: Deciding) -> UUID:
        """Record where a citizen's course stands at a follow-up (staff only)."""
        policies.staff_only(d.caller, "RecordOutcome")
        d.get(Citizen, cmd.citizen_id).record_outcome(
            outcome=cmd.outcome, actor=d.actor, effective_at=d.at
        )
        return cmd.citizen_id

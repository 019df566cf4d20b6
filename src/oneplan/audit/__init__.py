"""The tamper-evident audit trail: the chain beside the log (``chain``), verification by
replay (``verify``; from a read-only copy with the audit key alone: ``readonly``),
signed checkpoints kept elsewhere (``anchor``) and the trail of who
did what, when, why and on which legal basis (``trail``). See docs/audit.md."""

from oneplan.audit.anchor import Anchor, AnchorPublicKey, AnchorSigningKey
from oneplan.audit.chain import ChainEntry, ChainKey, ChainStart
from oneplan.audit.readonly import read_only_log, verify_read_only
from oneplan.audit.verify import (
    Breach,
    ChainSource,
    Finding,
    Progress,
    Verification,
    VerificationStatus,
    Verifier,
    make_anchor,
)
from oneplan.audit.views import Check, Difference, ViewsVerification, verify_views

__all__ = [
    "Anchor",
    "AnchorPublicKey",
    "AnchorSigningKey",
    "Breach",
    "ChainEntry",
    "ChainKey",
    "ChainSource",
    "ChainStart",
    "Check",
    "Difference",
    "Finding",
    "Progress",
    "Verification",
    "VerificationStatus",
    "Verifier",
    "ViewsVerification",
    "make_anchor",
    "read_only_log",
    "verify_read_only",
    "verify_views",
]

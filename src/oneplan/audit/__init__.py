"""The tamper-evident audit trail: the chain beside the log (``chain``), verification by
replay (``verify``), signed checkpoints kept elsewhere (``anchor``) and the trail of who
did what, when, why and on which legal basis (``trail``). See docs/audit.md."""

from oneplan.audit.anchor import Anchor
from oneplan.audit.chain import ChainEntry, ChainKey, ChainStart
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
    "verify_views",
]

"""The claim data model, re-exported: it lives in the base layer (`interviewer.claims`) because the
Session stores claims and contradictions, and the base layer may not import the ledger."""

from interviewer.claims import (
    Amount,
    Claim,
    ClaimKind,
    Contradiction,
    ContradictionKind,
    Origin,
    Owner,
    Source,
)

__all__ = ["Amount", "Claim", "ClaimKind", "Contradiction", "ContradictionKind", "Origin", "Owner", "Source"]

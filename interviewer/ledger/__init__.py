"""The claim ledger: factual claims read from answers, the résumé and the job description, and the
code that decides when two of them contradict each other (precision first: a false accusation in
a practice tool is worse than a miss). Framework-free; it sits at the evaluation layer and uses
only the base modules, among them the one sentence splitter, `interviewer.text`.

A chat model may point at claims too: `interviewer.ledger.read.read_claims` (not re-exported here,
so importing the claim types does not load the chat-model stack) merges code's claims with the
model's proposals that code can verify.
"""

from interviewer.claims import Amount, Claim, Contradiction, Source
from interviewer.ledger.compare import compare, contradictions
from interviewer.ledger.extract import extract_claims, verify_quote, verified

__all__ = [
    "Amount",
    "Claim",
    "Contradiction",
    "Source",
    "compare",
    "contradictions",
    "extract_claims",
    "verified",
    "verify_quote",
]

"""The claim ledger: factual claims read from answers, the résumé and the job description, and the
code that decides when two of them contradict each other (precision first: a false accusation in
a practice tool is worse than a miss). Framework-free; it sits at the evaluation layer and uses
only the base modules and the one sentence splitter in `interviewer.evaluation.signals`.
"""

from interviewer.ledger.claims import Amount, Claim, Contradiction, Source
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

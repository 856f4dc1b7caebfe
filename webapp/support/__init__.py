"""Plain-data helpers behind the browser app's handlers, one module per job.

Nothing here imports Chainlit (tests/test_architecture.py checks), so all of it is unit-tested
without a socket: `answers` (what the candidate typed), `documents` (text from an uploaded or
pasted résumé or job description, PDF included), `commands` (`/end`, `/persona`, …),
`preferences` (the settings panel as data), `formatting` (score lines, thread names, the
"thinking" line) and `resuming` (what a reopened chat owes the candidate).
"""

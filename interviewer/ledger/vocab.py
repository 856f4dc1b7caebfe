"""The words the ledger reads sentences with: who is counted as a team, what pins a fact to a time,
which employer a sentence is about, and the words a topic is matched on. Kept in one place so the
extractor and the comparison read the same sentence the same way.
"""

from __future__ import annotations

import re

PEOPLE = {"engineer", "developer", "people", "person", "analyst", "designer", "report", "member", "scientist",
          "tester", "agent", "manager", "contractor", "sre", "dev", "staff", "headcount", "folk"}
TEAM = {"team", "squad", "crew", "pod"}
LEAD = re.compile(r"\b(?:led|lead|leading|manage[ds]?|managing|ran|run|running|oversaw|oversee|supervised?|head(?:ed)?)\b", re.I)
# Words that make two counts of the same noun different things ("daily" vs "monthly" users).
DISTINGUISHING = {"daily", "monthly", "weekly", "annual", "yearly", "new", "active", "paying", "total", "peak",
                  "average", "concurrent", "direct", "junior", "senior", "open", "unique"}
RATES = {"second": "second", "sec": "second", "minute": "minute", "hour": "hour", "day": "day", "night": "day",
         "morning": "day", "week": "week", "month": "month", "year": "year", "quarter": "quarter",
         "daily": "day", "nightly": "day", "weekly": "week", "monthly": "month", "annually": "year",
         "yearly": "year", "annual": "year"}
RATE_RE = re.compile(r"\b(?:a|an|per|each|every)\s+(second|sec|minute|hour|day|night|morning|week|month|year|quarter)\b"
                     r"|\b(daily|nightly|weekly|annually|yearly)\b|/(s|sec|second|day|month|year)\b", re.I)

# A time the fact is pinned to. Two numbers about the same thing at different times (at launch,
# by the time I left, now) are growth, not a contradiction.
PERIODS: list[tuple[str, re.Pattern[str]]] = [
    ("start", re.compile(r"\bwhen I (?:joined|started|arrived)\b|\bat (?:the )?(?:start|beginning|launch|first)\b"
                         r"|\binitially\b|\boriginally\b|\bin the beginning\b|\bfirst (?:version|year|month)\b", re.I)),
    ("end", re.compile(r"\bby the (?:time|end)\b|\bwhen I left\b|\beventually\b|\blater\b|\bin the end\b", re.I)),
    ("now", re.compile(r"\b(?:now|today|these days|nowadays|currently|at the moment)\b", re.I)),
    ("peak", re.compile(r"\bpeak\b|\bat (?:its|the) (?:height|busiest)\b", re.I)),
    ("average", re.compile(r"\baverage\b|\bon a typical\b|\btypically\b|\bmedian\b", re.I)),
    ("change", re.compile(r"\bgr[eo]w(?:n|s|ing)?\b|\bdoubled\b|\btripled\b|\bshr[au]nk\b|\bwent (?:from|up|down)\b"
                          r"|\b(?:up|down) from\b|\bpromot\w+\b|\bover the (?:years|months)\b|\bafter (?:the )?(?:merger|acquisition|reorg)\b"
                          r"|\bscaled\b|\b(?:increas|decreas|reduc|cut|rais|dropp)\w*\b(?=[^.]*\bto\b)|\blast (?:quarter|year|month|week)\b"
                          r"|\bthis (?:quarter|year|month)\b|\bfirst\b"
                          # the after-half of a before/after story: "went to 2.2 s", "the next round was 9%"
                          r"|\b(?:dropp\w*|fell|fallen|falls|rose|risen|improv\w*|came (?:in|down)|back to|brought|halved)\b"
                          r"|\b(?:went|got|down|up|fell|dropped|rose) (?:it )?(?:down |up )?to\b|\bwent (?:under|over|below|above)\b|\bnext (?:round|run|release|quarter|sprint|simulation|time|day|week)\b"
                          r"|\bafter(?:wards| that| the (?:fix|change|rollout|release|migration))\b|\bbefore (?:the|that|we|I)\b", re.I)),
]
YEAR_PERIOD_RE = re.compile(r"\b(?:in|during|back in|by) ((?:19|20)\d\d)\b", re.I)

PREVIOUS_RE = re.compile(r"\b(?:my |the )?(?:last|previous|prior|old|former|first) (?:job|role|company|employer|team|position|gig)\b"
                         r"|\bbefore that\b|\bbefore (?:I joined|this)\b", re.I)
CURRENT_RE = re.compile(r"\bhere\b|\bthis company\b|\bmy current (?:job|role|company|employer)\b", re.I)
EMPLOYER_RE = re.compile(r"(?:\b[Aa]t|\b[Jj]oined|\b[Ss]tarted at|\bgot to|\bwith|\bleft|\bfor) (?P<name>[A-Z][\w&'-]*(?: [A-Z][\w&'-]*)?)")
NOT_EMPLOYER = {"I", "The", "A", "An", "My", "Our", "We", "It", "That", "This", "SOC", "CI", "QA", "API", "AWS", "GCP",
                "Android", "iOS", "Kubernetes", "Python", "Java", "Go", "Postgres", "Kafka", "Slack", "Jira", "Friday",
                "Monday", "Christmas", "Black", "Dana", "Marco", "Sam", "Priya", "First", "Google"}

TECHNOLOGIES = ("Python", "Go", "Golang", "Java", "Kotlin", "Swift", "Rust", "TypeScript", "JavaScript", "React",
                "Angular", "Vue", "Node.js", "Django", "Flask", "Rails", "Kubernetes", "Docker", "Terraform", "Kafka",
                "RabbitMQ", "Postgres", "PostgreSQL", "MySQL", "Redis", "MongoDB", "DynamoDB", "Elasticsearch",
                "Snowflake", "BigQuery", "Spark", "Airflow", "dbt", "PyTorch", "TensorFlow", "GraphQL", "AWS",
                "GCP", "Azure", "Datadog", "Prometheus", "Grafana", "Figma", "Selenium", "Cypress", "Playwright")
TECH_RE = re.compile(r"(?<![\w.])(" + "|".join(re.escape(t) for t in TECHNOLOGIES) + r")(?![\w])")

STOP = {
    "the", "a", "an", "and", "or", "but", "of", "in", "on", "at", "to", "for", "from", "with", "by", "as", "is",
    "was", "were", "are", "be", "been", "had", "has", "have", "that", "this", "it", "its", "we", "our", "us",
    "i", "my", "me", "they", "their", "them", "so", "then", "than", "there", "which", "who", "when", "what",
    "about", "around", "roughly", "over", "under", "nearly", "almost", "only", "just", "ever", "still", "all",
    "some", "very", "much", "more", "less", "into", "out", "up", "down", "after", "before", "while", "also",
    "per", "each", "every", "day", "week", "month", "year", "years", "months", "weeks", "days", "time", "one",
    "team", "people", "whole", "own", "alone", "maybe", "sat", "got", "went", "did", "do", "said", "took",
    "percent", "cent", "ms", "seconds", "minutes", "hours", "million", "thousand", "billion", "hundred", "k",
    "gb", "tb", "mb", "dollars", "usd", "tool", "thing", "things", "work", "worked", "us",
}
ARTICLES = {"the", "a", "an", "our", "my", "that", "this", "their", "whole", "entire", "first"}


def stem(word: str) -> str:
    """A crude stem: enough that "users"/"user" and "saved"/"saves" meet, never more."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def singular(word: str) -> str:
    word = word.lower()
    if word in ("people", "staff", "headcount", "us"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def topic_words(text: str) -> tuple[str, ...]:
    """The content words of a sentence, for deciding two measures are about the same thing."""
    words = {stem(w) for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", text) if w.lower() not in STOP and len(w) > 2}
    return tuple(sorted(words))


def period_of(text: str) -> str | None:
    found = [name for name, pattern in PERIODS if pattern.search(text)]
    found += [m.group(1) for m in YEAR_PERIOD_RE.finditer(text)]
    return "+".join(sorted(set(found))) or None


def employer_of(text: str) -> str | None:
    for m in EMPLOYER_RE.finditer(text):
        name = m.group("name")
        first = name.split(" ")[0]
        if first not in NOT_EMPLOYER and not first.isupper():
            return name.split(" ")[0].lower()
    if PREVIOUS_RE.search(text):
        return "previous"
    if CURRENT_RE.search(text):
        return "current"
    return None


def actor_of(before: str) -> str | None:
    """Who did the counted thing, read from the words before the number: "I handled 40" is the
    speaker's own count, "our whole team handled 400" the team's."""
    me = re.search(r"\bI\b", before) is not None
    us = re.search(r"\b(?:we|our|us|the (?:whole )?team)\b", before, re.I) is not None
    if me and not us:
        return "i"
    if us and not me:
        return "we"
    return None

"""Attempts to steer the grader written in Spanish, French, German, Portuguese or Italian.

The rest of injection.RULES is English vocabulary. An attempt in another language went through
unflagged and was judged as content, so it could raise a score (benchmarks/evaluator.md: the
held-out injection row inj-011, in Spanish, pointed to this gap, so that row no longer measures
this move blind). These patterns are general vocabulary for three moves, written from how each
language says them, not from any data set's wording:
- dropping the grader's instructions ("olvida la rúbrica", "ignoriere alle Anweisungen");
- addressing the grader ("instrucción para el evaluador", "cher correcteur");
- asking it for a top score ("asígnale la puntuación máxima", "donne la note maximale").

What keeps them off ordinary answers: each needs a grader, its rules or a grade as the object of
an order; an English answer that quotes a foreign word, or a sentence about a "modelo" or a
"nota", is not enough. Like every rule in injection.RULES, a match only flags the answer and
keeps its stretch from being evidence; nothing is deleted.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# The grader, in each language ("IA"/"KI" only after an address word, see ADDRESS).
_GRADER = (
    r"(?:evaluador(?:a|es)?|calificador(?:a)?|corrector(?:a)?|examinador(?:a)?|revisor(?:a)?"
    r"|[ée]valuat(?:eur|rice)s?|correct(?:eur|rice)s?|examinat(?:eur|rice)s?"
    r"|bewerter(?:in)?|pr[üu]fer(?:in)?|gutachter(?:in)?|korrektor(?:in)?"
    r"|avaliador(?:a|es)?|examinador(?:a)?"
    r"|valutat(?:ore|rice)|correttore|esaminatore"
    r"|IA|KI|modelo|mod[eè]le|modell|modello|sistema|syst[eè]me|system)"
)
# Its rules: instructions, rubric, criteria.
_RULES = (
    r"(?:instrucci[oó]n(?:es)?|indicaciones|reglas|r[uú]brica|criterios|pautas"
    r"|instructions?|consignes|r[eè]gles|rubrique|bar[eè]me|grille|crit[eè]res"
    r"|anweisung(?:en)?|richtlinien|bewertungsrichtlinien|regeln|rubrik|kriterien|bewertungsschema"
    r"|instru[cç](?:[aã]o|[oõ]es)|regras|crit[eé]rios|rubrica|istruzion[ei]|regole|criteri)"
)
# A grade.
_GRADE = (
    r"(?:puntuaci[oó]n|puntaje|calificaci[oó]n|notas?|puntos"
    r"|notes?|points"
    r"|punktzahl|punkte|bewertung|noten?"
    r"|pontua[cç][aã]o|pontos"
    r"|punteggio|voti?|valutazione|punti)"
)
# The top of the scale.
_TOP = (
    r"(?:m[aá]xim[ao]s?|perfect[ao]s?|complet[ao]s?|maximale?s?|maximum|max|parfaite?s?"
    r"|h[öo]chste[nr]?|volle[nr]?|bestm[öo]gliche[nr]?|beste[nr]?|massim[ao]|piena|pieno|perfett[ao]"
    r"|(?:5|10) ?/ ?(?:5|10)|cinco|cinq|f[üu]nf|cinque)"
)

OVERRIDE = re.compile(
    r"\b(?:ignora\w*|ignore[zr]?|ignoriere\w*|ignorar|olvida\w*|olvid[ée]\w*|vergiss|vergessen sie|oublie[zr]?|omite|omitir"
    r"|esque[cç]a\w*|desconsidere|dimentica\w*|tralascia)\b[^.\n]{0,50}\b" + _RULES + r"\b",
    _I,
)

ADDRESS = re.compile(
    # "Instrucción para el evaluador: ...", "Note pour le correcteur", "Hinweis an den Prüfer"
    r"\b(?:instrucci[oó]n(?:es)?|nota|mensaje|aviso|instructions?|message|note|remarque|anweisung(?:en)?|hinweis|nachricht"
    r"|instru[cç](?:[aã]o|[oõ]es)|mensagem|istruzion[ei]|messaggio|avviso)"
    r"\s+(?:para|pour|à|a|an|f[üu]r|per|al|ao|à la|au)\s+(?:el|la|los|las|l'|le|les|den|die|das|o|os|il|lo|i|gli)?\s*"
    + _GRADER + r"\b"
    # "Querido evaluador", "Cher correcteur", "Lieber Prüfer", "Caro valutatore"
    r"|\b(?:querid[oa]s?|estimad[oa]s?|señor(?:a)?|ch[eè]re?s?|lieber?|liebe|sehr geehrte[r]?|prezad[oa]s?|car[oa]|gentile)\s+"
    r"(?:sr\.?\s+|sra\.?\s+|herr\s+|frau\s+)?"
    + _GRADER + r"\b",
    _I,
)

# "Give". `_GIVE_TOP_FIRST` are the verbs also matched when the top of the scale comes before the
# grade ("dale la máxima nota"); `_GIVE` adds those matched only with the grade first ("ponle la
# nota máxima").
_GIVE_TOP_FIRST = (
    r"as[ií]gna\w*|otorga\w*|d[aá]le|dame|attribue[rz]?|donne[rz]?|donnez|accorde[rz]?|gib|vergib|atribua|dê|assegna\w*|dai"
)
_GIVE = (
    r"(?:" + _GIVE_TOP_FIRST + r"|d[ée]me|pon(?:le|me)?|mets|geben sie|vergeben sie|erteile\w*|atribuir|conceda|dagli|metti"
    r"|concedi)"
)

SCORE_DEMAND = re.compile(
    # "asígnale la puntuación máxima", "donne-moi la note maximale", "gib mir die volle Punktzahl"
    r"\b" + _GIVE + r"\b[^.\n]{0,40}?\b" + _GRADE + r"\b[^.\n]{0,20}?" + _TOP
    + r"|\b(?:" + _GIVE_TOP_FIRST + r")\b[^.\n]{0,30}?\b" + _TOP + r"\b[^.\n]{0,12}?\b" + _GRADE + r"\b"
    # "5/5 en cada dimensión", "10/10 dans chaque critère"
    + r"|\b(?:5 ?/ ?5|10 ?/ ?10)\b[^.\n]{0,20}\b(?:en|dans|in|em|su|bei|auf|para|pour|f[üu]r|per)\s+(?:cada|chaque|jede[rnms]?|todas?|"
    r"todos|tous|toutes|allen?|ogni|tutte?|tutti)\b",
    _I,
)

"""The keyword part of the search, per database: which fiches match, and their excerpts with the words found.

PostgreSQL: `search_vector @@ websearch_to_tsquery('french', infocentre_unaccent(query))`, where `search_vector`
is the stored column `to_tsvector('french', infocentre_unaccent(body))` with its GIN index — French stemming
(Snowball) without accents, never recomputed at query time; excerpts by `ts_headline` with the `infocentre_french` configuration (french +
unaccent), which marks "métastases" for the query "metastase" while showing the accents.

SQLite (the embedded default): FTS5 with `remove_diacritics`; FTS5 has no French stemmer, so each query word is
cut to a light stem (plural and feminine endings) and searched as a prefix: "métastase" finds "metastases",
"positif" finds "positifs". An approximation of the Snowball stemmer, good enough for a developer's database.

Excerpts come back with private markers around the words found; `to_html` escapes the text and only then turns
the markers into <mark>: a fiche's text can never inject HTML."""

import re

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.html import escape

from .search_index import FTS_TABLE, uses_fts5

START, STOP = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
PG_MATCH = "search_vector @@ websearch_to_tsquery('french'::regconfig, infocentre_unaccent(%s))"


def light_stem(word: str) -> str:
    """French plural and feminine endings off, for the SQLite prefix search (never shorter than 3 letters)."""
    word = word.lower()
    for ending in ("x", "s", "e"):
        if len(word) > 4 and word.endswith(ending):
            word = word[: -len(ending)]
    return word


def fts5_query(text: str) -> str:
    """Every word must appear (AND), each as a quoted prefix: no FTS5 syntax reaches the engine from the user."""
    return " ".join(f'"{light_stem(w)}"*' for w in _WORD.findall(text))


def has_words(text: str) -> bool:
    return bool(_WORD.search(text or ""))


def matching_fiches(text: str) -> RawSQL:
    """A subquery of fiche ids, for `Fiche.objects.filter(pk__in=...)`."""
    if uses_fts5():
        return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts5_query(text)])  # noqa: S608, S611 (constant SQL, bound parameter)
    return RawSQL(f"SELECT fiche_id FROM infocentre_fichesearchdocument WHERE {PG_MATCH}", [text])  # noqa: S608, S611 (constant SQL, bound parameter)


def excerpts(text: str, fiche_ids: list[int]) -> dict[int, str]:
    """The marked excerpt of each fiche (raw text with START/STOP markers)."""
    if not fiche_ids or not has_words(text):
        return {}
    marks = ", ".join(["%s"] * len(fiche_ids))
    with connection.cursor() as cursor:
        if uses_fts5():
            cursor.execute(
                f"SELECT rowid, snippet({FTS_TABLE}, 0, %s, %s, '…', 32) FROM {FTS_TABLE} "  # noqa: S608
                f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({marks})",
                [START, STOP, fts5_query(text), *fiche_ids])
        else:
            cursor.execute(
                "SELECT fiche_id, ts_headline('infocentre_french'::regconfig, body, "  # noqa: S608
                "websearch_to_tsquery('french'::regconfig, infocentre_unaccent(%s)), %s) "
                f"FROM infocentre_fichesearchdocument WHERE fiche_id IN ({marks})",
                [text, f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=30, MinWords=10, "
                       "FragmentDelimiter= … ", *fiche_ids])
        return dict(cursor.fetchall())


def to_html(marked: str) -> str:
    return str(escape(marked)).replace(START, "<mark>").replace(STOP, "</mark>")


def to_plain(marked: str) -> str:
    return marked.replace(START, "").replace(STOP, "")

"""The words of a Spanish text as a search compares them: folded (lower case, no accents, as
`app.kit.searchable` does and PostgreSQL's `unaccent` would), stop words left out, each reduced
to its stem by the Snowball Spanish stemmer — the algorithm of PostgreSQL's `spanish`
configuration —, so that "convenios municipales" and "Convenio municipal" have the same words,
and "colaboración" those of "colaborar". Its version 3 stems a word written without accents as
PostgreSQL 15's older one stems it with them ("colaboracion" stays whole there), which lets the
accents go first.

Stemmed here, in Python, rather than by PostgreSQL, so that SQLite finds exactly what
PostgreSQL finds; PostgreSQL only indexes the stems as they are (configuration `simple`).
Nothing here reads the database or the service, so that migrations may use it as well.
"""

import re
import threading
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

from app.kit import searchable
from app.words.stop_words import SPANISH_STOP_WORDS

# PostgreSQL refuses to index a word longer than 2,047 bytes (it leaves it out, with a notice);
# no Spanish word comes near this length, so longer runs of letters are left out on both
# databases alike, and are still found as text.
LONGEST = 100
# Words are made of the letters a to z and digits, once folded ("ñ" is "n", "ß" is "ss").
WORD = re.compile(r"[a-z0-9]+")
# The stop list is written with accents; the words it is compared with have none.
_STOP = frozenset(searchable(word) for word in SPANISH_STOP_WORDS)
# A stemmer keeps the word it works on in itself: one at a time (routes run in threads).
_STEMMER = snowballstemmer.stemmer("spanish")
_LOCK = threading.Lock()


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """A word's stem, remembered: a few thousand words make every text, and a migration or a
    benchmark stems millions of them."""
    with _LOCK:
        stem: str = _STEMMER.stemWord(word)
    return stem


def stems(*parts: str | None) -> list[str]:
    """The distinct stems of the words of ``parts``, in the order they first appear."""
    found = (
        _stem(word)
        for word in WORD.findall(searchable(*parts))
        if word not in _STOP and len(word) <= LONGEST
    )
    return list(dict.fromkeys(found))

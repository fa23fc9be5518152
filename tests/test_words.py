"""A text's words as `q` compares them (app.words): folded, stop words left out, stemmed."""

from concurrent.futures import ThreadPoolExecutor

import snowballstemmer  # type: ignore[import-untyped]

from app.words import LONGEST, stems


def test_the_forms_of_a_word_have_one_stem() -> None:
    assert stems("Convenios municipales") == stems("convenio MUNICIPAL") == ["conveni", "municipal"]
    assert stems("colaboración") == stems("colaborar") == stems("COLABORACION") == ["colabor"]


def test_stop_words_punctuation_and_repeats_are_left_out() -> None:
    assert stems("de la, y los; ¡él está!") == []
    assert stems("Convenio", None, "del convenio: 'CONVENIOS' & (más) convenios") == ["conveni"]
    assert stems("a&b|c!d:*e(f)g'h\\i") == ["b", "c", "d", "f", "g", "h", "i"]


def test_words_are_letters_a_to_z_and_digits_once_folded() -> None:
    assert stems("Año 2026, ÑANDÚ") == ["ano", "2026", "nandu"]
    assert stems("x" * (LONGEST + 1)) == []


def test_threads_stem_alike() -> None:
    """The stemmer keeps the word it works on in itself: threads must not mix theirs."""
    texts = [f"convenciones{n} municipales{n} colaboraciones{n}" for n in range(3000)]
    alone = snowballstemmer.stemmer("spanish")
    expected = [[alone.stemWord(word) for word in text.split()] for text in texts]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(stems, texts)) == expected

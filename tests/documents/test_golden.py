"""A legal reading in the suite: the six sample convenios (`app.documents.samples`) rendered,
their text compared with the expected texts in tests/documents/golden/, one paragraph a line, so
that a lawyer reviews every change to what the templates write as a diff in a pull request.

The PDF carries exactly that text: its words, page after page, are the preview's. After
changing a template, write the new expected texts with

    CONVENIOS_UPDATE_GOLDEN=1 CONVENIOS_TEST_DATABASES=sqlite .venv/bin/python -m pytest \\
        tests/documents/test_golden.py

and read the diff before committing it.
"""

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.documents import samples
from tests.conftest import Keys
from tests.databases import ONE_DATABASE
from tests.documents.legal_text import body_words, download, generate, legal_words, preview_text

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CONVENIOS_UPDATE_GOLDEN") == "1"

# The text and the layout do not depend on the database (tests/databases.py).
pytestmark = ONE_DATABASE


@pytest.mark.parametrize("name", samples.NAMES)
def test_a_sample_convenio_reads_as_its_expected_text(
    name: str, client: TestClient, keys: Keys, drafting: None
) -> None:
    agreement_id = samples.build(client, keys.legal, name)
    text = preview_text(client, keys.legal, agreement_id)
    expected = GOLDEN / f"{name}.txt"
    if UPDATE:
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8"), f"{name}: see {expected}"
    # The PDF says exactly that, word for word.
    pdf = download(client, keys.legal, generate(client, keys.legal, agreement_id))
    assert body_words(pdf) == legal_words(text)


def test_every_sample_has_its_expected_text(backend: str) -> None:
    assert sorted(path.stem for path in GOLDEN.glob("*.txt")) == sorted(samples.NAMES)

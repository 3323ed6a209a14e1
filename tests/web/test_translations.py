"""Dutch first: every text of the site has a Dutch translation, and the committed .mo files are
what the .po files say (a fresh clone needs no compile step)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("web/**.py", "python"), ("web/**/templates/**.html", "jinja2")]


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=locale)


def _ids_in_the_code() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_text_in_the_code_has_a_dutch_translation():
    catalog = _catalog("nl")
    untranslated = sorted(
        msgid
        for msgid in _ids_in_the_code()
        if msgid not in catalog
        or catalog[msgid].fuzzy
        or not all(catalog[msgid].string if isinstance(catalog[msgid].string, tuple)
                   else [catalog[msgid].string])
    )  # fmt: skip
    assert not untranslated, (
        "Texts without a Dutch translation; run `make translations` and translate them in "
        f"web/translations/nl/LC_MESSAGES/messages.po: {untranslated}"
    )


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_placeholders_match_between_english_and_translation(locale):
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in _catalog(locale).check()
    ]
    assert not problems


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_committed_mo_file_is_compiled_from_the_po(locale):
    po = _catalog(locale)
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    def key(value):  # type: ignore[no-untyped-def]
        return tuple(value) if isinstance(value, list | tuple) else value

    translated = {
        key(m.id): key(m.string)
        for m in po
        if m.id and m.string and not m.fuzzy and (isinstance(m.string, str) or all(m.string))
    }
    compiled = {key(m.id): key(m.string) for m in mo if m.id}
    stale = "run `make translations` (pybabel compile) and commit the .mo"
    assert {k: compiled.get(k) for k in translated} == translated, stale
    # babel writes an untranslated plural as the English forms themselves; nothing else extra
    assert all(compiled[k] == k for k in compiled.keys() - translated.keys()), stale


def test_dutch_is_shown_by_default_and_english_on_request(client):
    assert "Materialen zoeken" in client.get("/listings/").get_data(as_text=True)
    english = client.get("/listings/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Find materials" in english.get_data(as_text=True)
    # an explicit choice beats the browser's language, and is remembered
    client.get("/?lang=nl", headers={"Accept-Language": "en"})
    remembered = client.get("/listings/", headers={"Accept-Language": "en"})
    assert "Materialen zoeken" in remembered.get_data(as_text=True)
    assert '<html lang="nl">' in remembered.get_data(as_text=True)


def test_an_unknown_language_is_ignored(client):
    response = client.get("/listings/?lang=xx")
    assert response.status_code == 200
    assert '<html lang="nl">' in response.get_data(as_text=True)

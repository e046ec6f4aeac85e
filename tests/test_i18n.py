"""Swedish by default, English complete, and the catalogues compiled and in step."""

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def po_entries(path: Path):
    """(msgid, msgstr, flags) of every entry but the header, from a .po file."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        block = "\n".join(line for line in block.splitlines() if not line.startswith("#~"))  # obsolete
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        msgid = "".join(re.findall(r'"(.*)"', block.split("msgid ", 1)[1].split("msgstr", 1)[0])) \
            if "msgid " in block else None
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[1])) if "msgstr" in block else None
        if msgid:
            entries.append((msgid, msgstr, flags))
    return entries


def unescape(text: str) -> str:
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def test_every_swedish_string_is_translated_and_none_is_fuzzy():
    entries = po_entries(LOCALE / "sv" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 400
    assert [msgid for msgid, msgstr, flags in entries if not msgstr or "fuzzy" in flags] == []


def test_the_compiled_swedish_catalogue_matches_the_source():
    entries = po_entries(LOCALE / "sv" / "LC_MESSAGES" / "django.po")
    with open(LOCALE / "sv" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr, _f in entries if compiled.gettext(unescape(msgid)) != unescape(msgstr)]
    assert stale == [], "run `make messages` to compile locale/sv"


@pytest.mark.django_db
def test_the_interface_is_swedish_by_default_and_english_on_request(client):
    swedish = client.get(reverse("home")).content.decode()
    assert '<html lang="sv">' in swedish
    assert "Öppna utlysningar" in swedish
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in english
    assert "Open calls" in english

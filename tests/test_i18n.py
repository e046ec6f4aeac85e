"""Swedish by default, English complete, and the catalogues compiled and in step."""

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def po_entries(path: Path):
    """(msgid, msgstr, flags, msgid_plural, msgctxt) of every entry but the header; for plurals, the singular and
    msgstr[0]."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields, current = {}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                fields["flags"] = line
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
            else:
                key, _sep, rest = line.partition(" ")
                current = key
                fields[key] = rest[1:-1]
        if fields.get("msgid"):
            entries.append((fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]")), fields.get("flags", ""),
                            fields.get("msgid_plural"), fields.get("msgctxt")))
    return entries


def unescape(text: str) -> str:
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def test_every_swedish_string_is_translated_and_none_is_fuzzy():
    entries = po_entries(LOCALE / "sv" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 400
    assert [msgid for msgid, msgstr, flags, _plural, _context in entries if not msgstr or "fuzzy" in flags] == []


def test_the_compiled_swedish_catalogue_matches_the_source():
    entries = po_entries(LOCALE / "sv" / "LC_MESSAGES" / "django.po")
    with open(LOCALE / "sv" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    def compiled_text(msgid, plural, context):
        if context and plural:
            return compiled.npgettext(unescape(context), unescape(msgid), unescape(plural), 1)
        if context:
            return compiled.pgettext(unescape(context), unescape(msgid))
        if plural:
            return compiled.ngettext(unescape(msgid), unescape(plural), 1)
        return compiled.gettext(unescape(msgid))

    stale = [msgid for msgid, msgstr, _f, plural, context in entries
             if compiled_text(msgid, plural, context) != unescape(msgstr)]
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

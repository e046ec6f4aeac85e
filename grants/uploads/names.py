"""A file's display name made safe: Unicode folded, look-alike letters and slashes undone, reserved names refused."""

from __future__ import annotations

import re
import unicodedata


from grants.uploads.rules import MAX_NAME_LENGTH, WINDOWS_RESERVED


# Names


_SEPARATORS = re.compile(r"[\\/]")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_DOT_RUNS = re.compile(r"\.{2,}")
_SPACES = re.compile(r"\s+")
# Unicode categories dropped from names: controls (NUL, C0, C1), format characters (the bidi
# overrides U+202A–U+202E and isolates U+2066–U+2069, zero-width characters), separators of lines
# and paragraphs, surrogates, private use and unassigned code points.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


# Characters drawn like a slash or backslash that no normalisation maps to one: shown as "_", so a name never
# looks like a path ("invoice∕..∕evil.pdf"). NFKC already turns the fullwidth ／ and ＼ into / and \.
_LOOKALIKE_SLASHES = re.compile("[\u2044\u2215\u2216\u2571\u2572\u29f5\u29f8\u29f9\u3033\ufe68\u1735\u2cfa]")
# Cyrillic and Greek letters drawn exactly like Latin ones. In a name that also has Latin letters they are
# what a spoofed name is made of ("invоice.pdf" with a Cyrillic о), so in a word that mixes the scripts they
# become the Latin letter the reader sees anyway; a word written in Cyrillic or Greek alone is kept as it is.
_LATIN_LOOKALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M",
    "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "Ү": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
    # Greek
    "ο": "o", "ν": "v", "ι": "i", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K",
    "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})


_WORD = re.compile(r"[^\W\d_]+")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if ch.isalpha() else ""


def _unspoof_word(match) -> str:
    word = match.group(0)
    scripts = {_script(ch) for ch in word} - {""}
    if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
        return word.translate(_LATIN_LOOKALIKES)
    return word


def _unspoof(name: str) -> str:
    """Each word (a run of letters) that mixes Latin with Cyrillic or Greek gets the Latin look-alikes."""
    return _WORD.sub(_unspoof_word, name)


def clean_filename(name: str) -> str:
    """A safe display name: NFKC-normalised, no directories, `..`, look-alike slashes, control or bidi
    characters, Windows reserved names or characters, no Cyrillic or Greek look-alikes mixed into a Latin name;
    at most 255 characters with the extension kept. Never used as a path."""
    name = unicodedata.normalize("NFKC", str(name or ""))
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = _LOOKALIKE_SLASHES.sub("_", name)
    name = _unspoof(name)
    name = _SEPARATORS.split(name)[-1]
    name = _WINDOWS_FORBIDDEN.sub("_", name)
    name = _SPACES.sub(" ", name)
    name = _DOT_RUNS.sub(".", name)
    name = name.strip(" .")
    if not name:
        return ""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if stem.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        name = f"_{name}"
    if len(name) > MAX_NAME_LENGTH:
        suffix = f".{extension}" if dot and 0 < len(extension) <= 16 else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(" .") + suffix
    return name


def extension_of(name: str) -> str:
    """'.pdf' for 'Budget.PDF'; '' when the name has no extension."""
    stem, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot and stem and extension else ""

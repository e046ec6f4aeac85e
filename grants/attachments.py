"""Attachments: files an applicant adds to an application.

A file is judged by its bytes, never by its name or the browser's content type:

1. the display name is sanitised (the storage key is random, see `grants.models.attachment_key`);
2. the name must end in an allowed extension;
3. the size is counted while copying at most UPLOAD_MAX_BYTES + 1 bytes (Content-Length is not trusted);
4. the type is detected from magic bytes; programs, scripts and web pages are refused;
5. DOCX, XLSX, ODT and ODS are ZIP containers: their structure is checked, and every member is
   decompressed as a stream with a byte cap (ZIP bombs, encrypted, macro-enabled and path-traversal
   archives are refused);
6. the detected type must match the extension.

Each refusal is a ValidationError with a translatable message and its own `code`.

The services store the file on the default storage (private: local folder or S3 with a private ACL)
and write the audit event. A refused or rolled-back upload leaves no row and no stored object; the
downloads go through `grants.attachment_views.attachment_download`, which checks permissions.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import selectors
from grants.models import Application, Attachment, Event, Membership

logger = logging.getLogger(__name__)

# Limits. UPLOAD_MAX_BYTES (one file) is in settings; the rest are fixed here.
MAX_FILES_PER_APPLICATION = 20
MAX_TOTAL_BYTES_PER_APPLICATION = 100 * 1024 * 1024
MAX_DESCRIPTION_LENGTH = 200
MAX_NAME_LENGTH = 255
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # all members together, as declared and as streamed
ZIP_MAX_RATIO = 100  # uncompressed : compressed
ZIP_RATIO_FLOOR_BYTES = 1024 * 1024  # smaller members cannot make a bomb; their ratio is not judged
ZIP_SMALL_MEMBER_MAX_BYTES = 1024 * 1024  # [Content_Types].xml, mimetype, manifest: read into memory
SNIFF_BYTES = 4096
COPY_CHUNK = 64 * 1024
SPOOL_MAX_MEMORY = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    key: str
    label: str  # or a lazy translation
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    kind.key: kind
    for kind in (
        FileKind("pdf", "PDF", "application/pdf", (".pdf",)),
        FileKind("docx", "Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 (".docx",)),
        FileKind("xlsx", "Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 (".xlsx",)),
        FileKind("odt", gettext_lazy("OpenDocument text (ODT)"), "application/vnd.oasis.opendocument.text",
                 (".odt",)),
        FileKind("ods", gettext_lazy("OpenDocument spreadsheet (ODS)"),
                 "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
        FileKind("png", "PNG", "image/png", (".png",)),
        FileKind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg")),
    )
}
EXTENSIONS = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{base}{n}" for base in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")
}

# Messages: English source text, translated in locale/sv. Each refusal has its own code.
MESSAGES = {
    "invalid_name": gettext_lazy("The file has no usable name. Rename it and try again."),
    "extension_missing": gettext_lazy(
        "The name “%(name)s” does not end in a file type. Allowed types: %(allowed)s."),
    "extension_not_allowed": gettext_lazy(
        "Files of type %(extension)s cannot be attached. Allowed types: %(allowed)s."),
    "empty": gettext_lazy("The file “%(name)s” is empty."),
    "too_large": gettext_lazy(
        "The file “%(name)s” is larger than %(limit)s. Make it smaller or split it into several files."),
    "executable": gettext_lazy("The file “%(name)s” is a program or a script. Programs cannot be attached."),
    "active_content": gettext_lazy(
        "The file “%(name)s” is a web page, an SVG image or a script, which cannot be attached. "
        "Save it as a PDF instead."),
    "legacy_office": gettext_lazy(
        "The file “%(name)s” is in an old Office format or protected by a password. "
        "Save it without a password as DOCX, XLSX, ODT, ODS or PDF."),
    "type_not_allowed": gettext_lazy(
        "The content of “%(name)s” is not one of the allowed types (%(allowed)s)."),
    "extension_mismatch": gettext_lazy(
        "The file “%(name)s” is named %(extension)s, but its content is %(detected)s. "
        "Give it the right name, or save it in the right format."),
    "zip_corrupt": gettext_lazy("The file “%(name)s” is damaged and cannot be read."),
    "zip_size_mismatch": gettext_lazy(
        "The file “%(name)s” is damaged: its parts are not the size they claim to be."),
    "zip_encrypted": gettext_lazy(
        "The file “%(name)s” is protected by a password. Save it without a password and try again."),
    "zip_too_many_entries": gettext_lazy(
        "The file “%(name)s” consists of more than %(max)s parts, which is not allowed."),
    "zip_too_large": gettext_lazy("The file “%(name)s” unpacks to more than %(limit)s, which is not allowed."),
    "zip_ratio": gettext_lazy(
        "The file “%(name)s” is compressed in an unusual way (it may be a “zip bomb”) and cannot be attached."),
    "zip_unsafe_path": gettext_lazy("The file “%(name)s” contains parts with unsafe names and cannot be attached."),
    "zip_duplicate_entry": gettext_lazy(
        "The file “%(name)s” contains two parts with the same name and cannot be attached."),
    "zip_unsupported_compression": gettext_lazy(
        "The file “%(name)s” uses a compression method that is not supported. Save it again and try again."),
    "macro": gettext_lazy(
        "The file “%(name)s” contains macros. Save it without macros (as DOCX, XLSX, ODT or ODS) and try again."),
    "too_many_files": gettext_lazy(
        "An application can have at most %(max)s attachments. Remove one before you add another."),
    "quota_exceeded": gettext_lazy(
        "The attachments of an application can be at most %(limit)s together. Remove a file to make room."),
    "description_too_long": gettext_lazy("The description can be at most %(max)s characters."),
}


def _refuse(code: str, **params):
    raise ValidationError(MESSAGES[code], code=code, params=params)


def allowed_types_text() -> str:
    """“PDF, Word (DOCX), …” for messages and help texts."""
    return ", ".join(str(kind.label) for kind in KINDS.values())


def accept_attribute() -> str:
    """The `accept` attribute of the file input: extensions and content types."""
    return ",".join([*EXTENSIONS, *dict.fromkeys(kind.content_type for kind in KINDS.values())])


def upload_limit() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# Detection


_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux and other Unix
    b"#!",  # shell, Python, Perl … scripts
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"\x00asm",  # WebAssembly
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut (.lnk)
)
# Markup anywhere in the first kilobyte is refused even inside an otherwise valid image or PDF
# (a polyglot): old browsers sniffed the first bytes for exactly these tags.
_ACTIVE_TAGS = (b"<script", b"<html", b"<svg", b"<iframe", b"<body", b"<!doctype html")
MARKUP_SNIFF_BYTES = 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _looks_like_markup(head: bytes) -> bool:
    """HTML, SVG, XML or a script: starts with '<' (after a byte-order mark and white space), or
    carries an active tag in its first kilobyte. No allowed type starts with '<'."""
    text = head[:MARKUP_SNIFF_BYTES]
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    elif text.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if text.startswith(b"\xff\xfe") else "utf-16-be"
        text = text[2:].decode(codec, errors="ignore").encode("utf-8", errors="ignore")
    text = text.lstrip().lower()
    return text.startswith(b"<") or any(tag in text for tag in _ACTIVE_TAGS)


def _detect_simple(head: bytes) -> str | None:
    """pdf, png or jpeg from the first bytes; 'zip' for a ZIP container; None otherwise."""
    if re.match(rb"%PDF-\d", head):
        return "pdf"
    if head.startswith(_PNG_MAGIC) and head[8:16] == b"\x00\x00\x00\rIHDR":
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


# --------------------------------------------------------------------------------------------------
# ZIP containers (DOCX, XLSX, ODT, ODS)


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # zipfile.structFileHeader


def _unsafe_member_name(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name:
        return True
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    parts = name.split("/")
    return any(part in ("..", ".") for part in parts) or any(
        unicodedata.category(ch) in ("Cc", "Cf") for ch in name
    )


def _verify_members(fp, infos, data_limit: int) -> None:
    """Decompress every member as a stream, trusting no header: the local header must agree with
    the central directory, members may not overlap, the output is capped per member (its declared
    size) and in total, and size and CRC must match at the end."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    total_out = 0
    for index, info in enumerate(ordered):
        fp.seek(info.header_offset)
        header = fp.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            _refuse("zip_corrupt")
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != b"PK\x03\x04":
            _refuse("zip_corrupt")
        flags, method, name_length, extra_length = fields[2], fields[3], fields[9], fields[10]
        raw_name = fp.read(name_length)
        encoding = "utf-8" if flags & 0x800 else "cp437"
        if raw_name.decode(encoding, errors="replace") != info.orig_filename:
            _refuse("zip_corrupt")
        if flags & 0x1:
            _refuse("zip_encrypted")
        if method != info.compress_type:
            _refuse("zip_corrupt")
        data_start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        data_end = data_start + info.compress_size
        next_start = ordered[index + 1].header_offset if index + 1 < len(ordered) else data_limit
        if data_end > next_start:
            _refuse("zip_corrupt")  # overlapping members (a non-recursive bomb) or truncated data
        fp.seek(data_start)
        remaining = info.compress_size
        produced = 0
        crc = 0
        decompressor = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

        def account(chunk: bytes, declared: int = info.file_size) -> None:
            nonlocal produced, crc, total_out
            produced += len(chunk)
            total_out += len(chunk)
            if produced > declared:
                _refuse("zip_size_mismatch")
            if total_out > ZIP_MAX_UNCOMPRESSED_BYTES:
                _refuse("zip_too_large", limit=filesizeformat(ZIP_MAX_UNCOMPRESSED_BYTES))
            crc = zlib.crc32(chunk, crc)

        while remaining > 0:
            raw = fp.read(min(COPY_CHUNK, remaining))
            if not raw:
                _refuse("zip_corrupt")
            remaining -= len(raw)
            if decompressor is None:
                account(raw)
                continue
            data = raw
            while data and not decompressor.eof:
                # max_length bounds memory: a bomb is never held in full, only counted.
                out = decompressor.decompress(data, COPY_CHUNK)
                account(out)
                if not out and decompressor.unconsumed_tail == data:
                    _refuse("zip_corrupt")  # no progress
                data = decompressor.unconsumed_tail
        if decompressor is not None:
            if not decompressor.eof:
                account(decompressor.flush())
            if not decompressor.eof:
                _refuse("zip_corrupt")  # the deflate stream ends early: truncated
        if produced != info.file_size:
            _refuse("zip_size_mismatch")
        if crc != info.CRC:
            _refuse("zip_corrupt")


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > ZIP_SMALL_MEMBER_MAX_BYTES:
        _refuse("zip_too_large", limit=filesizeformat(ZIP_SMALL_MEMBER_MAX_BYTES))
    return archive.read(info)


def _detect_zip(fp, archive_size: int) -> str | None:
    """docx, xlsx, odt or ods; None for any other ZIP. Raises ValidationError for a hostile one."""
    fp.seek(0)
    try:
        archive = zipfile.ZipFile(fp)
        infos = archive.infolist()
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - any parser failure on hostile bytes is a refusal, not a 500
        logger.info("attachment: unreadable ZIP", exc_info=True)
        _refuse("zip_corrupt")

    if len(infos) > ZIP_MAX_ENTRIES:
        _refuse("zip_too_many_entries", max=ZIP_MAX_ENTRIES)
    if not infos:
        return None
    names = set()
    declared_total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            _refuse("zip_encrypted")
        if _unsafe_member_name(info.orig_filename):
            _refuse("zip_unsafe_path")
        if info.filename.lower() in names:
            _refuse("zip_duplicate_entry")
        names.add(info.filename.lower())
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _refuse("zip_unsupported_compression")
        declared_total += info.file_size
        if declared_total > ZIP_MAX_UNCOMPRESSED_BYTES:
            _refuse("zip_too_large", limit=filesizeformat(ZIP_MAX_UNCOMPRESSED_BYTES))
        if info.file_size > ZIP_RATIO_FLOOR_BYTES and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
            _refuse("zip_ratio")
    if declared_total > ZIP_RATIO_FLOOR_BYTES and declared_total > ZIP_MAX_RATIO * archive_size:
        _refuse("zip_ratio")

    try:
        # Member data must end where the central directory starts.
        _verify_members(fp, infos, min(getattr(archive, "start_dir", archive_size), archive_size))
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001
        logger.info("attachment: ZIP member failed to decompress", exc_info=True)
        _refuse("zip_corrupt")

    lower_names = names
    first = min(infos, key=lambda info: info.header_offset)
    try:
        if "[content_types].xml" in lower_names:
            return _detect_ooxml(archive, infos, lower_names)
        if first.filename == "mimetype":
            return _detect_odf(archive, infos, first, lower_names)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001
        logger.info("attachment: unreadable container", exc_info=True)
        _refuse("zip_corrupt")
    return None


_OOXML_MACRO_MARKERS = (b"macroenabled", b"vbaproject", b"macrosheet", b"vbadata")


def _detect_ooxml(archive, infos, lower_names) -> str | None:
    content_types = next(info for info in infos if info.filename.lower() == "[content_types].xml")
    declared = _read_small(archive, content_types).lower()
    if any(marker in declared for marker in _OOXML_MACRO_MARKERS) or any(
        name.rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml") for name in lower_names
    ):
        _refuse("macro")
    is_docx = "word/document.xml" in lower_names
    is_xlsx = "xl/workbook.xml" in lower_names
    if is_docx and not is_xlsx:
        return "docx"
    if is_xlsx and not is_docx:
        return "xlsx"
    return None


def _detect_odf(archive, infos, first, lower_names) -> str | None:
    if first.compress_type != zipfile.ZIP_STORED:
        return None  # ODF requires the mimetype member first and uncompressed
    kind = ODF_MIMETYPES.get(_read_small(archive, first))
    if kind is None or "content.xml" not in lower_names:
        return None
    for name in lower_names:
        if name.startswith("scripts/") and not name.endswith("/"):
            _refuse("macro")
        if name.startswith("basic/") and name.rsplit("/", 1)[-1] not in ("", "script-lc.xml", "script-lb.xml"):
            _refuse("macro")
    manifest = next((info for info in infos if info.filename == "META-INF/manifest.xml"), None)
    if manifest is not None and b"encryption-data" in _read_small(archive, manifest):
        _refuse("zip_encrypted")
    return kind


# --------------------------------------------------------------------------------------------------
# The whole check


@dataclass
class CheckedFile:
    """An upload that passed every check: a private copy of its bytes and what they are."""

    name: str
    kind: FileKind
    size: int
    sha256: str
    file: tempfile.SpooledTemporaryFile

    def close(self):
        self.file.close()


def _copy_capped(upload, limit: int):
    """Copy at most limit + 1 bytes into a private spooled file, hashing on the way."""
    buffer = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY)
    digest = hashlib.sha256()
    size = 0
    if hasattr(upload, "seek"):
        try:
            upload.seek(0)
        except (OSError, ValueError):
            pass
    while size <= limit:
        chunk = upload.read(min(COPY_CHUNK, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        digest.update(chunk)
        buffer.write(chunk)
    buffer.seek(0)
    return buffer, size, digest.hexdigest()


def inspect_upload(upload, *, name: str | None = None) -> CheckedFile:
    """Check an uploaded file (any object with read(); Django's UploadedFile in practice).

    Returns a CheckedFile whose `file` the caller stores and closes; raises ValidationError.
    """
    display = clean_filename(name if name is not None else getattr(upload, "name", ""))
    if not display:
        _refuse("invalid_name")
    allowed = allowed_types_text()
    extension = extension_of(display)
    if not extension:
        _refuse("extension_missing", name=display, allowed=allowed)
    if extension not in EXTENSIONS:
        _refuse("extension_not_allowed", name=display, extension=extension, allowed=allowed)

    limit = upload_limit()
    buffer, size, sha256 = _copy_capped(upload, limit)
    try:
        if size == 0:
            _refuse("empty", name=display)
        if size > limit:
            _refuse("too_large", name=display, limit=filesizeformat(limit))
        head = buffer.read(SNIFF_BYTES)
        buffer.seek(0)
        if head.startswith(_EXECUTABLE_MAGIC):
            _refuse("executable", name=display)
        if _looks_like_markup(head):
            _refuse("active_content", name=display)
        if head.startswith(_OLE_MAGIC):
            _refuse("legacy_office", name=display)
        detected = _detect_simple(head)
        if detected == "zip":
            try:
                detected = _detect_zip(buffer, size)
            except ValidationError as error:
                raise ValidationError(error.message, code=error.code,
                                      params={**(error.params or {}), "name": display}) from None
            buffer.seek(0)
        if detected is None:
            _refuse("type_not_allowed", name=display, allowed=allowed)
        kind = KINDS[detected]
        if extension not in kind.extensions:
            _refuse("extension_mismatch", name=display, extension=extension, detected=str(kind.label))
    except BaseException:
        buffer.close()
        raise
    return CheckedFile(name=display, kind=kind, size=size, sha256=sha256, file=buffer)


# --------------------------------------------------------------------------------------------------
# Who may do what


def attachment_stage_open(application: Application) -> str | None:
    """Which files can change now: the application's while it is a draft or a completion request reopened
    them; the final report's while the report is being written (or completed after the secretary asked).
    None when no file can change."""
    if application.status == Application.Status.DRAFT:
        return Attachment.Stage.APPLICATION
    if application.status == Application.Status.COMPLETION and "attachments" in (application.reopened_fields or []):
        return Attachment.Stage.APPLICATION
    if application.status == Application.Status.GRANTED:  # the final report step is open
        return Attachment.Stage.REPORT
    return None


def attachments_editable(application: Application, stage: str | None = None) -> bool:
    """Files (of `stage`, or of whichever stage is open) can be added or removed now."""
    open_stage = attachment_stage_open(application)
    return open_stage is not None and (stage is None or stage == open_stage)


def _is_contact(user, application: Application) -> bool:
    return bool(user and user.is_authenticated) and Membership.objects.filter(
        user=user, organisation_id=application.organisation_id
    ).exists()


def _check_may_edit(user, application: Application, stage: str | None = None) -> None:
    from grants.services import NotAllowed

    if not _is_contact(user, application):
        raise PermissionDenied
    if not attachments_editable(application):
        raise NotAllowed(_(
            "Attachments can only be added or removed while the application is a draft, "
            "or when the case officer has asked you to complete them."
        ))
    if not attachments_editable(application, stage):
        raise NotAllowed(_(
            "The files of the application can no longer be changed. You can add and remove the files of your "
            "final report."
        ))


def attachment_get_for_user(*, user, pk: int) -> Attachment:
    """An attachment the user may download: a contact of the applicant organisation, staff who
    may see the case (never a draft), or a reviewer asked to review it who declared no conflict.
    Anyone else gets 404.
    """
    attachment = Attachment.objects.select_related("application").filter(pk=pk).first()
    if attachment is None or not user.is_authenticated:
        raise Http404
    application_id = attachment.application_id
    if selectors.applications_for_applicant(user=user).filter(pk=application_id).exists():
        return attachment
    if selectors.applications_for_staff(user=user).filter(pk=application_id).exists():
        if attachment.stage == Attachment.Stage.REPORT and not report_attachment_sent(attachment):
            raise Http404  # still the applicant's draft: staff see it once the report is sent
        return attachment
    if attachment.stage != Attachment.Stage.APPLICATION:
        raise Http404  # reviewers judge the application; the final report is not theirs to read
    from reviewers.models import Assignment

    if Assignment.objects.filter(application_id=application_id, reviewer=user,
                                 status__in=[Assignment.Status.ACTIVE, Assignment.Status.SUBMITTED]).exists():
        return attachment
    raise Http404


def report_attachment_sent(attachment: Attachment) -> bool:
    """A final report's file was sent: a report was sent after it was uploaded. Until then it is the
    applicant's draft (a file added while completing a sent report too, until the report is sent again)."""
    return attachment.application.final_reports.filter(submitted_at__gte=attachment.uploaded_at).exists()


def attachments_context(*, application: Application, user, stage: str = Attachment.Stage.APPLICATION) -> dict:
    """The context `templates/grants/attachments_section.html` expects, for the files of one stage."""
    return {
        "application": application,
        "attachments": application.attachments.filter(stage=stage),
        "can_edit": attachments_editable(application, stage) and _is_contact(user, application),
    }


# --------------------------------------------------------------------------------------------------
# Services


def _delete_stored(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # noqa: BLE001 - the row is gone; a left-over object is swept later
        logger.exception("attachment: could not delete stored object %s", name)


def attachment_add(*, application_id: int, user, upload, description: str = "") -> Attachment:
    """Check, store and record one file. A refusal or a rollback leaves no row and no stored object."""
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        _refuse("description_too_long", max=MAX_DESCRIPTION_LENGTH)
    # A cheap check before the bytes are read, so a refused user costs no parsing; repeated under the lock.
    application = Application.objects.get(pk=application_id)
    _check_may_edit(user, application)

    checked = inspect_upload(upload)
    stored_name = None
    storage = Attachment._meta.get_field("file").storage
    try:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application_id)
            _check_may_edit(user, application)
            # The file belongs to the stage that is open: the application, or the final report.
            stage = attachment_stage_open(application)
            existing = Attachment.objects.filter(application=application, stage=stage)
            if existing.count() >= MAX_FILES_PER_APPLICATION:
                _refuse("too_many_files", max=MAX_FILES_PER_APPLICATION)
            used = existing.aggregate(total=Sum("size"))["total"] or 0
            if used + checked.size > MAX_TOTAL_BYTES_PER_APPLICATION:
                _refuse("quota_exceeded", limit=filesizeformat(MAX_TOTAL_BYTES_PER_APPLICATION))
            attachment = Attachment(
                application=application, original_name=checked.name, content_type=checked.kind.content_type,
                size=checked.size, sha256=checked.sha256, description=description, uploaded_by=user, stage=stage,
            )
            checked.file.seek(0)
            # The key comes from attachment_key (random); the name only feeds the display column.
            attachment.file.save(checked.name, File(checked.file, name=checked.name), save=False)
            stored_name = attachment.file.name
            attachment.full_clean(exclude=["file"])
            attachment.save()
            from grants.services import event_record

            event_record(
                application=application, kind=Event.Kind.ATTACHMENT_ADDED, actor=user,
                message=f"{checked.name} ({filesizeformat(checked.size)})",
                visible=True,
            )
    except BaseException:
        if stored_name:
            _delete_stored(storage, stored_name)
        raise
    finally:
        checked.close()
    return attachment


def attachment_remove(*, attachment_id: int, user) -> Application:
    """Delete the row now and the stored object after commit; returns the application."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=attachment.application_id)
        attachment = Attachment.objects.filter(pk=attachment_id, application=application).first()
        if attachment is None:
            raise Http404  # removed meanwhile (a double click or another tab)
        _check_may_edit(user, application)
        name, storage = attachment.file.name, attachment.file.storage
        _check_may_edit(user, application, attachment.stage)
        display = attachment.original_name
        attachment.delete()
        from grants.services import event_record

        event_record(application=application, kind=Event.Kind.ATTACHMENT_REMOVED, actor=user,
                     message=display, visible=True)
        transaction.on_commit(partial(_delete_stored, storage, name))
    return application


def attachment_orphans_delete(*, older_than: timedelta = timedelta(hours=1), dry_run: bool = False) -> list[str]:
    """Stored objects under attachments/ that no row refers to (for example from a transaction
    rolled back by a caller after attachment_add returned). Returns the names it deleted."""
    storage = Attachment._meta.get_field("file").storage
    try:
        _dirs, files = storage.listdir("attachments")
    except FileNotFoundError:
        return []
    known = set(Attachment.objects.values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    deleted = []
    for filename in files:
        name = f"attachments/{filename}"
        if name in known:
            continue
        try:
            modified = storage.get_modified_time(name)
        except (NotImplementedError, OSError):
            continue
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified)
        if modified > cutoff:
            continue
        if not dry_run:
            _delete_stored(storage, name)
        deleted.append(name)
    return deleted

"""What an upload may be: the limits, the allowed kinds of file, and the translated refusals."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

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


def refuse(code: str, **params):
    raise ValidationError(MESSAGES[code], code=code, params=params)


def allowed_types_text() -> str:
    """“PDF, Word (DOCX), …” for messages and help texts."""
    return ", ".join(str(kind.label) for kind in KINDS.values())


def accept_attribute() -> str:
    """The `accept` attribute of the file input: extensions and content types."""
    return ",".join([*EXTENSIONS, *dict.fromkeys(kind.content_type for kind in KINDS.values())])


def upload_limit() -> int:
    return int(settings.UPLOAD_MAX_BYTES)

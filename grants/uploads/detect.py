"""A file judged by its bytes, never by its name or the browser's content type.

1. the display name is sanitised (grants/uploads/names.py; the storage key is random, see
   `grants.models.attachment_key`);
2. the name must end in an allowed extension;
3. the size is counted while copying at most UPLOAD_MAX_BYTES + 1 bytes (Content-Length is not trusted);
4. the type is detected from magic bytes; programs, scripts and web pages are refused;
5. DOCX, XLSX, ODT and ODS are ZIP containers: their structure is checked, and every member is
   decompressed as a stream with a byte cap (ZIP bombs, encrypted, macro-enabled and path-traversal
   archives are refused);
6. the detected type must match the extension.

Each refusal is a ValidationError with a translatable message and its own `code`. No database here.
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

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from grants.uploads.names import clean_filename, extension_of
from grants.uploads.rules import (
    COPY_CHUNK, EXTENSIONS, FileKind, KINDS, ODF_MIMETYPES, SNIFF_BYTES, SPOOL_MAX_MEMORY, ZIP_MAX_ENTRIES, ZIP_MAX_RATIO, ZIP_MAX_UNCOMPRESSED_BYTES, ZIP_RATIO_FLOOR_BYTES, ZIP_SMALL_MEMBER_MAX_BYTES, refuse, allowed_types_text, upload_limit,
)

logger = logging.getLogger(__name__)


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
            refuse("zip_corrupt")
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != b"PK\x03\x04":
            refuse("zip_corrupt")
        flags, method, name_length, extra_length = fields[2], fields[3], fields[9], fields[10]
        raw_name = fp.read(name_length)
        encoding = "utf-8" if flags & 0x800 else "cp437"
        if raw_name.decode(encoding, errors="replace") != info.orig_filename:
            refuse("zip_corrupt")
        if flags & 0x1:
            refuse("zip_encrypted")
        if method != info.compress_type:
            refuse("zip_corrupt")
        data_start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        data_end = data_start + info.compress_size
        next_start = ordered[index + 1].header_offset if index + 1 < len(ordered) else data_limit
        if data_end > next_start:
            refuse("zip_corrupt")  # overlapping members (a non-recursive bomb) or truncated data
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
                refuse("zip_size_mismatch")
            if total_out > ZIP_MAX_UNCOMPRESSED_BYTES:
                refuse("zip_too_large", limit=filesizeformat(ZIP_MAX_UNCOMPRESSED_BYTES))
            crc = zlib.crc32(chunk, crc)

        while remaining > 0:
            raw = fp.read(min(COPY_CHUNK, remaining))
            if not raw:
                refuse("zip_corrupt")
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
                    refuse("zip_corrupt")  # no progress
                data = decompressor.unconsumed_tail
        if decompressor is not None:
            if not decompressor.eof:
                account(decompressor.flush())
            if not decompressor.eof:
                refuse("zip_corrupt")  # the deflate stream ends early: truncated
        if produced != info.file_size:
            refuse("zip_size_mismatch")
        if crc != info.CRC:
            refuse("zip_corrupt")


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > ZIP_SMALL_MEMBER_MAX_BYTES:
        refuse("zip_too_large", limit=filesizeformat(ZIP_SMALL_MEMBER_MAX_BYTES))
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
        refuse("zip_corrupt")

    if len(infos) > ZIP_MAX_ENTRIES:
        refuse("zip_too_many_entries", max=ZIP_MAX_ENTRIES)
    if not infos:
        return None
    names = set()
    declared_total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            refuse("zip_encrypted")
        if _unsafe_member_name(info.orig_filename):
            refuse("zip_unsafe_path")
        if info.filename.lower() in names:
            refuse("zip_duplicate_entry")
        names.add(info.filename.lower())
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            refuse("zip_unsupported_compression")
        declared_total += info.file_size
        if declared_total > ZIP_MAX_UNCOMPRESSED_BYTES:
            refuse("zip_too_large", limit=filesizeformat(ZIP_MAX_UNCOMPRESSED_BYTES))
        if info.file_size > ZIP_RATIO_FLOOR_BYTES and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
            refuse("zip_ratio")
    if declared_total > ZIP_RATIO_FLOOR_BYTES and declared_total > ZIP_MAX_RATIO * archive_size:
        refuse("zip_ratio")

    try:
        # Member data must end where the central directory starts.
        _verify_members(fp, infos, min(getattr(archive, "start_dir", archive_size), archive_size))
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001
        logger.info("attachment: ZIP member failed to decompress", exc_info=True)
        refuse("zip_corrupt")

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
        refuse("zip_corrupt")
    return None


_OOXML_MACRO_MARKERS = (b"macroenabled", b"vbaproject", b"macrosheet", b"vbadata")


def _detect_ooxml(archive, infos, lower_names) -> str | None:
    content_types = next(info for info in infos if info.filename.lower() == "[content_types].xml")
    declared = _read_small(archive, content_types).lower()
    if any(marker in declared for marker in _OOXML_MACRO_MARKERS) or any(
        name.rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml") for name in lower_names
    ):
        refuse("macro")
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
            refuse("macro")
        if name.startswith("basic/") and name.rsplit("/", 1)[-1] not in ("", "script-lc.xml", "script-lb.xml"):
            refuse("macro")
    manifest = next((info for info in infos if info.filename == "META-INF/manifest.xml"), None)
    if manifest is not None and b"encryption-data" in _read_small(archive, manifest):
        refuse("zip_encrypted")
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
        refuse("invalid_name")
    allowed = allowed_types_text()
    extension = extension_of(display)
    if not extension:
        refuse("extension_missing", name=display, allowed=allowed)
    if extension not in EXTENSIONS:
        refuse("extension_not_allowed", name=display, extension=extension, allowed=allowed)

    limit = upload_limit()
    buffer, size, sha256 = _copy_capped(upload, limit)
    try:
        if size == 0:
            refuse("empty", name=display)
        if size > limit:
            refuse("too_large", name=display, limit=filesizeformat(limit))
        head = buffer.read(SNIFF_BYTES)
        buffer.seek(0)
        if head.startswith(_EXECUTABLE_MAGIC):
            refuse("executable", name=display)
        if _looks_like_markup(head):
            refuse("active_content", name=display)
        if head.startswith(_OLE_MAGIC):
            refuse("legacy_office", name=display)
        detected = _detect_simple(head)
        if detected == "zip":
            try:
                detected = _detect_zip(buffer, size)
            except ValidationError as error:
                raise ValidationError(error.message, code=error.code,
                                      params={**(error.params or {}), "name": display}) from None
            buffer.seek(0)
        if detected is None:
            refuse("type_not_allowed", name=display, allowed=allowed)
        kind = KINDS[detected]
        if extension not in kind.extensions:
            refuse("extension_mismatch", name=display, extension=extension, detected=str(kind.label))
    except BaseException:
        buffer.close()
        raise
    return CheckedFile(name=display, kind=kind, size=size, sha256=sha256, file=buffer)


# --------------------------------------------------------------------------------------------------
# Who may do what

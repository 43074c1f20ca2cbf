"""Building, validating and reading back-end messages (shared by the bridge
client and, as the other side of the same contract, the reference back end)."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from services import xmlsafe
from services.core.errors import AppError

NS = "urn:tvgov:backend:1"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "backend" / "tvgov-backend-1.xsd"
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
CONTENT_TYPE = "application/xml; charset=utf-8"


class ProtocolError(AppError, ValueError):
    """A message that does not follow the schema (either side)."""

    status_code = 502


def q(name: str) -> str:
    return "{%s}%s" % (NS, name)


class SchemaUnavailable(AppError, RuntimeError):
    """The back-end schema cannot be loaded: the process must not serve (it exits with this)."""

    status_code = 503


# Why a web worker once never became healthy (issue 19, item 10): the first
# XML Schema a process parses makes libxml2 set up its table of built-in types
# (xmlSchemaInitTypes, called lazily from xmlSchemaParse), and that set-up is
# not thread-safe (libxml2 2.12 on; lxml 6.0 bundles 2.14). With the schema
# built lazily, the threads of a gthread web worker answering their first
# /healthz at once parsed it together; now and then (1 to 7 fresh processes in
# 100 with 16 threads parsing at once, by machine load) one broke the table,
# and from then on every parse in that process failed - "Internal error:
# xmlSchemaPValAttrNodeValue, the given type is not a built-in type" - so the
# worker answered 503 for good. So the table is set up here, once, when this
# module is imported (imports run one at a time), by parsing a one-line schema;
# every thread then builds its own copy of ours (lxml ties a schema to the
# thread that parsed it), one at a time, from the file's bytes read by an
# absolute path; and web and job workers build it before they serve
# (tvapp.create_app, services.worker), exiting with the reason if they cannot.
_schema_lock = threading.Lock()
_local = threading.local()
_BUILTIN_TYPES_PROBE = (b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                        b'<xs:element name="probe" type="xs:string"/></xs:schema>')


def init_builtin_types() -> None:
    """Have libxml2 set up its XML Schema built-in types in this thread, now."""
    with _schema_lock:
        etree.XMLSchema(etree.fromstring(_BUILTIN_TYPES_PROBE))


init_builtin_types()


def _load_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        doc = etree.fromstring(SCHEMA_PATH.read_bytes(), parser, base_url=SCHEMA_PATH.as_uri())
        return etree.XMLSchema(doc)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaUnavailable("the back-end schema %s cannot be loaded: %s" % (SCHEMA_PATH, exc)) from exc


def schema() -> etree.XMLSchema:
    """This thread's copy of the back-end schema (raises :class:`SchemaUnavailable`)."""
    found = getattr(_local, "schema", None)
    if found is None:
        with _schema_lock:
            found = _local.schema = _load_schema()
    return found


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def validate(root: etree._Element) -> None:
    xsd = schema()
    if not xsd.validate(root):
        err = xsd.error_log.last_error
        raise ProtocolError("schema: %s" % (err.message if err else "invalid"))


def envelope(tag: str, **attrs) -> etree._Element:
    root = etree.Element(q(tag), nsmap={None: NS})
    root.set("messageId", attrs.pop("messageId", uuid.uuid4().hex))
    root.set("sentAt", attrs.pop("sentAt", now_iso()))
    for k, v in attrs.items():
        root.set(k, v)
    return root


def child(parent: etree._Element, tag: str, **attrs) -> etree._Element:
    el = etree.SubElement(parent, q(tag))
    for k, v in attrs.items():
        if v is not None:
            el.set(k, str(v))
    return el


def serialize(root: etree._Element) -> bytes:
    validate(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def parse(data: bytes, expect: str) -> etree._Element:
    """Parse with the hardened parser and validate against the schema."""
    try:
        root = xmlsafe.parse(data, max_bytes=MAX_MESSAGE_BYTES)
    except xmlsafe.UnsafeXML as exc:
        raise ProtocolError(exc.reason) from exc
    if root.tag != q(expect):
        raise ProtocolError("expected <%s>, got %s" % (expect, etree.QName(root).localname))
    validate(root)
    return root


def body(root: etree._Element) -> etree._Element:
    """The one payload element inside an envelope."""
    return root[0]

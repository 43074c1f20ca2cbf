"""Parsing and serializing screens: full documents, fragments and XHTML alike."""

from __future__ import annotations

import html as html_escape
import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from . import markup as m

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>\s*", re.I)
_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*)\]\]>\s*$", re.S)
_XML_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}
_DOCUMENT = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body)[\s>]", re.I | re.S)


@dataclass
class Parsed:
    """A parsed screen and how to write it back."""

    doc: object  # the <html> element, or the wrapper <div> of a fragment
    fragment: bool
    xml_decl: str = ""  # HbbTV 1.x XHTML: kept, and the output is written as XML


def is_document(text: str) -> bool:
    """True if ``text`` is a whole HTML document rather than a fragment."""
    return bool(_DOCUMENT.match(_XML_DECL.sub("", text, count=1)))


def parse(text: str) -> Parsed:
    """Parse ``text``. A fragment is parsed inside a wrapper ``<div>`` that
    :func:`serialize` drops again."""
    decl = _XML_DECL.match(text)
    if decl:
        text = text[decl.end():]
    if is_document(text):
        return Parsed(lxml_html.document_fromstring(text), False,
                      decl.group().strip() if decl else "")
    return Parsed(lxml_html.fragment_fromstring(text, create_parent="div"), True)


def screen_root(parsed: Parsed):
    """The element that carries the screen's declarations."""
    doc = parsed.doc
    if doc.get(m.SCREEN) is not None:
        return doc
    found = doc.find(".//*[@%s]" % m.SCREEN)
    if found is not None:
        return found
    if not parsed.fragment:
        body = doc.find("body")
        if body is not None:
            return body
    return doc


def serialize(parsed: Parsed) -> str:
    """Serialize what :func:`parse` returned, back to a string."""
    doc = parsed.doc
    if not parsed.fragment:
        doctype = doc.getroottree().docinfo.doctype or None
        if parsed.xml_decl:
            _raw_text_as_cdata(doc)
            body = etree.tostring(doc, encoding="unicode", method="xml", doctype=doctype)
            return parsed.xml_decl + "\n" + body
        return lxml_html.tostring(doc, encoding="unicode", doctype=doctype)
    parts = [html_escape.escape(doc.text, quote=False)] if doc.text else []
    for child in doc:
        parts.append(lxml_html.tostring(child, encoding="unicode")
                     if isinstance(child.tag, str) else etree.tostring(child, encoding="unicode"))
    return "".join(parts)


def _raw_text_as_cdata(doc) -> None:
    """XHTML output: script and style bodies (raw text to the HTML parser) as CDATA."""
    for el in doc.iter("script", "style"):
        text = el.text or ""
        match = _CDATA.match(text)
        if match:
            text = match.group(1)
        else:
            text = re.sub("&(lt|gt|quot|apos|amp);", lambda e: _XML_ENTITIES[e.group()], text)
        if "<" in text or "&" in text:
            el.text = etree.CDATA(text)
        else:
            el.text = text or None

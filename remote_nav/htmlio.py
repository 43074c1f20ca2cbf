"""Parsing and serializing screens: full documents and fragments alike."""

from __future__ import annotations

import html as html_escape
import re

from lxml import etree
from lxml import html as lxml_html

from . import markup as m

_DOCUMENT = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body)[\s>]", re.I | re.S)


def is_document(text: str) -> bool:
    """True if ``text`` is a whole HTML document rather than a fragment."""
    return bool(_DOCUMENT.match(text))


def parse(text: str):
    """Parse ``text``; returns ``(tree_root, is_fragment)``.

    A fragment is parsed inside a wrapper ``<div>`` that :func:`serialize`
    drops again.
    """
    if is_document(text):
        return lxml_html.document_fromstring(text), False
    return lxml_html.fragment_fromstring(text, create_parent="div"), True


def screen_root(doc, fragment: bool):
    """The element that carries the screen's declarations."""
    found = doc.find(".//*[@%s]" % m.SCREEN)
    if found is not None:
        return found
    if doc.get(m.SCREEN) is not None:
        return doc
    if not fragment:
        body = doc.find("body")
        if body is not None:
            return body
    return doc


def serialize(doc, fragment: bool) -> str:
    """Serialize what :func:`parse` returned, back to a string."""
    if not fragment:
        doctype = doc.getroottree().docinfo.doctype
        return lxml_html.tostring(doc, encoding="unicode", doctype=doctype or None)
    parts = [html_escape.escape(doc.text, quote=False)] if doc.text else []
    for child in doc:
        parts.append(lxml_html.tostring(child, encoding="unicode")
                     if isinstance(child.tag, str) else etree.tostring(child, encoding="unicode"))
    return "".join(parts)

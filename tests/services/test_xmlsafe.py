"""The one hardened XML parser (the feed tests add a larger hostile corpus)."""

import io

import pytest

from services import xmlsafe


@pytest.mark.parametrize("doc, reason", [
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', "DTD"),
    (b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a/>', "DTD"),
    (b'<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></a>', "XInclude"),
    (b"<a><b></a>", "malformed"),
])
def test_hostile_documents_are_refused_with_one_line(doc, reason):
    with pytest.raises(xmlsafe.UnsafeXML) as err:
        xmlsafe.parse(doc)
    assert reason in err.value.reason
    assert "\n" not in err.value.reason and len(err.value.reason) < 250


def test_gzip_bomb_is_capped_after_decompression():
    bomb = xmlsafe.gzip_bytes(b"<a>" + b" " * (20 * 1024 * 1024) + b"</a>")
    with pytest.raises(xmlsafe.UnsafeXML, match="decompressed"):
        xmlsafe.parse(bomb, max_bytes=1024 * 1024)


class Dribble(io.RawIOBase):
    """A raw stream that returns at most 7 bytes a read."""

    def __init__(self, data):
        self.data = data

    def readable(self):
        return True

    def read(self, n=-1):
        chunk, self.data = self.data[:7], self.data[7:]
        return chunk


def test_short_reads_are_read_to_the_end_and_capped():
    assert xmlsafe.read_capped(Dribble(b"<a>" + b"x" * 100 + b"</a>"), 1000).endswith(b"</a>")
    with pytest.raises(xmlsafe.UnsafeXML):
        xmlsafe.read_capped(Dribble(b"x" * 2000), 1000)

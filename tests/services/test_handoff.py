"""Hand-off of text typed on a phone into a TV field (real Redis)."""

import pytest

from services import handoff


def test_put_and_get_with_revisions(runtime):
    t = handoff.start(runtime, owner="7", field="email", kind="email")
    assert handoff.get(runtime, t, owner="7") == {"value": "", "rev": 0, "done": False}
    assert handoff.put(runtime, t, "kim@") == 1
    assert handoff.put(runtime, t, "kim@example.kr", done=True) == 2
    assert handoff.get(runtime, t, owner="7") == {"value": "kim@example.kr", "rev": 2, "done": True}
    assert handoff.info(runtime, t)["kind"] == "email"


def test_only_the_owner_reads_and_finished_is_final(runtime):
    t = handoff.start(runtime, owner="7", field="email")
    with pytest.raises(handoff.HandoffError):
        handoff.get(runtime, t, owner="8")
    handoff.put(runtime, t, "x", done=True)
    with pytest.raises(handoff.HandoffError):
        handoff.put(runtime, t, "y")


def test_unknown_and_bad_tokens(runtime):
    for bad in ("nope", "../x", "", "a" * 100):
        with pytest.raises(handoff.HandoffError):
            handoff.info(runtime, bad)


def test_value_is_capped_cleaned_and_encrypted_at_rest(runtime):
    t = handoff.start(runtime, owner="1", field="email")
    handoff.put(runtime, t, "a\x00b" + "c" * 400)
    v = handoff.get(runtime, t, owner="1")["value"]
    assert v.startswith("abc") and len(v) == handoff.MAX_LENGTH
    raw = runtime.redis.hget("handoff:" + t, "v")
    assert b"c" * 16 not in raw  # (three c's can occur in a ciphertext's base64 by chance)
    assert 0 < runtime.redis.ttl("handoff:" + t) <= handoff.TTL


def test_email_shape():
    assert handoff.looks_like_email("kim@example.kr")
    for bad in ("kim", "kim@", "@x.kr", "kim@x", "k m@x.kr", "kim@x."):
        assert not handoff.looks_like_email(bad)

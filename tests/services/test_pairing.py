"""Pairing codes (RFC 8628 style) against the real Redis."""

import re

import pytest

from services import pairing
from services.households import get_household
from services.models import Device


@pytest.fixture
def device_id(runtime):
    with runtime.session() as s:
        d = Device(token_hash="t" * 64)
        s.add(d)
        s.flush()
        return d.id


def test_code_alphabet_and_format(runtime, device_id):
    p = pairing.start(runtime.redis, device_id)
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{8}", p.user_code)
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", p.display_code)
    codes = {pairing.new_user_code() for _ in range(500)}
    assert set("".join(codes)) <= set(pairing.ALPHABET)
    assert not set("".join(codes)) & set("AEIOUY0123456789")
    assert len(codes) == 500


def test_start_is_idempotent_while_the_code_lives(runtime, device_id):
    assert pairing.start(runtime.redis, device_id).user_code == pairing.start(runtime.redis, device_id).user_code


def test_code_lives_ten_minutes(runtime, device_id):
    p = pairing.start(runtime.redis, device_id)
    ttl = runtime.redis.ttl("pair:uc:" + p.user_code)
    assert 590 <= ttl <= 600
    assert 590 <= runtime.redis.ttl("pair:dc:" + p.device_code) <= 600
    assert pairing.CODE_TTL == 600
    # What Redis does at the end of the TTL: the code is gone.
    runtime.redis.delete("pair:uc:" + p.user_code, "pair:dc:" + p.device_code)
    with pytest.raises(pairing.PairingError) as e:
        pairing.lookup(runtime.redis, p.user_code)
    assert e.value.reason == "unknown"
    assert pairing.poll(runtime.redis, device_id)["status"] == pairing.EXPIRED


def test_match_ignores_case_and_dashes(runtime, device_id):
    p = pairing.start(runtime.redis, device_id)
    lower = p.display_code.lower()
    spaced = " ".join(p.user_code[:4]) + " - " + p.user_code[4:]
    for variant in (p.user_code, p.display_code, lower, spaced):
        assert pairing.lookup(runtime.redis, variant) == p.device_code


def test_five_wrong_attempts_kill_the_code(runtime, device_id):
    p = pairing.start(runtime.redis, device_id)
    assert [pairing.fail(runtime.redis, p.user_code) for _ in range(4)] == [4, 3, 2, 1]
    pairing.lookup(runtime.redis, p.user_code)  # still alive after 4
    assert pairing.fail(runtime.redis, p.user_code) == 0
    with pytest.raises(pairing.PairingError):
        pairing.lookup(runtime.redis, p.user_code)
    assert pairing.poll(runtime.redis, device_id)["status"] == pairing.EXPIRED
    assert pairing.start(runtime.redis, device_id).user_code != p.user_code


def test_unknown_codes_are_rate_limited_per_client(runtime, device_id):
    p = pairing.start(runtime.redis, device_id)
    for _ in range(pairing.LOOKUP_LIMIT):
        with pytest.raises(pairing.PairingError) as e:
            pairing.lookup(runtime.redis, "BBBB-BBBB", client="c1")
        assert e.value.reason == "unknown"
    with pytest.raises(pairing.PairingError) as e:
        pairing.lookup(runtime.redis, p.user_code, client="c1")
    assert e.value.reason == "too_many"
    assert pairing.lookup(runtime.redis, p.user_code, client="c2") == p.device_code


def test_poll_pending_then_slow_down(runtime, device_id):
    pairing.start(runtime.redis, device_id, now=1000.0)
    first = pairing.poll(runtime.redis, device_id, now=1001.0)
    assert first["status"] == pairing.PENDING and first["interval"] == 5
    assert pairing.poll(runtime.redis, device_id, now=1006.0)["status"] == pairing.PENDING
    fast = pairing.poll(runtime.redis, device_id, now=1007.0)
    assert fast == {"status": pairing.SLOW_DOWN, "interval": 10}
    assert pairing.poll(runtime.redis, device_id, now=1012.0)["status"] == pairing.SLOW_DOWN
    assert pairing.poll(runtime.redis, device_id, now=1030.0)["interval"] == 15


def test_confirm_by_phone_pairs_the_household(demo, device_id):
    rt = demo
    p = pairing.start(rt.redis, device_id)
    with rt.session() as s:
        hh = get_household(s, "1144012-0001")
        phone = rt.crypto.decrypt(next(r.phone_enc for r in hh.residents if r.phone_enc))
        pairing.confirm_by_phone(s, rt, p.display_code.lower(), phone)
    with rt.session() as s:
        d = s.get(Device, device_id)
        assert d.household_id == hh.id and d.paired_at is not None
    assert pairing.poll(rt.redis, device_id)["status"] == pairing.PAIRED
    with rt.session() as s:
        pairing.unpair(s, device_id)
    with rt.session() as s:
        assert s.get(Device, device_id).household_id is None


def test_confirm_by_unregistered_phone_counts_against_the_code(demo, device_id):
    rt = demo
    p = pairing.start(rt.redis, device_id)
    with rt.session() as s:
        with pytest.raises(pairing.PairingError) as e:
            pairing.confirm_by_phone(s, rt, p.user_code, "019-8765-4321")
    assert e.value.reason == "not_registered"
    assert int(rt.redis.hget("pair:dc:" + p.device_code, "fails")) == 1

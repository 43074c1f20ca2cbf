"""Rate limits against a real Redis: atomic, exact under parallel hits, and
every counter expires."""

from __future__ import annotations

import threading
import time

import pytest
import redis as redis_lib

from services import otp, pairing, ratelimit


@pytest.fixture
def r(redis_url):
    return redis_lib.Redis.from_url(redis_url)


def _parallel(n_threads: int, per_thread: int, fn) -> list:
    results: list = []
    lock = threading.Lock()
    start = threading.Barrier(n_threads)

    def run():
        start.wait()
        mine = [fn() for _ in range(per_thread)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("amount", [1, 7, 30])
def test_exactly_the_limit_passes_under_parallel_hits(r, amount):
    item = ratelimit.limit("t-parallel", amount, 60)
    results = _parallel(16, 10, lambda: ratelimit.hit(r, item, "who"))
    assert len(results) == 160 and results.count(True) == amount


@pytest.mark.parametrize("site", ["verify", "sms_per_phone", "sms_global", "otp_sends", "pairing_misses"])
def test_every_site_limit_is_exact_under_parallel_hits(r, site):
    item = {"verify": ratelimit.verify_lookups(30), "sms_per_phone": ratelimit.sms_per_phone(20, 600),
            "sms_global": ratelimit.sms_global(50), "otp_sends": ratelimit.otp_sends(5),
            "pairing_misses": ratelimit.pairing_misses(10, 600)}[site]
    results = _parallel(12, 8, lambda: ratelimit.hit(r, item, "x"))
    assert results.count(True) == item.amount


def test_every_counter_has_an_expiry(r):
    for item, seconds in ((ratelimit.verify_lookups(30), 60), (ratelimit.sms_per_phone(20, 600), 600),
                          (ratelimit.sms_global(6000), 60), (ratelimit.otp_sends(5), 3600),
                          (ratelimit.pairing_misses(10, 600), 600)):
        ratelimit.hit(r, item, "k")
        assert seconds - 2 <= r.ttl("%s:%s" % (ratelimit.KEY_PREFIX, item.key_for("k"))) <= seconds
    assert len(r.keys("%s:*" % ratelimit.KEY_PREFIX)) == 5


def test_a_window_ends_and_counting_starts_again(r):
    item = ratelimit.limit("t-window", 2, 1)
    assert [ratelimit.hit(r, item, "a") for _ in range(3)] == [True, True, False]
    assert ratelimit.hit(r, item, "b")  # others apart
    assert 0 <= ratelimit.retry_after(r, item, "a") <= 1
    time.sleep(1.2)
    assert ratelimit.within(r, item, "a") and ratelimit.hit(r, item, "a")


def test_within_counts_nothing(r):
    item = ratelimit.limit("t-within", 1, 60)
    assert all(ratelimit.within(r, item, "a") for _ in range(5))
    assert ratelimit.hit(r, item, "a") and not ratelimit.within(r, item, "a")


def test_pairing_misses_hold_under_parallel_lookups(runtime):
    answers = _parallel(10, 3, lambda: _lookup_reason(runtime.redis, "BBBB-BBBB", "c1"))
    assert answers.count("unknown") == pairing.LOOKUP_LIMIT
    assert answers.count("too_many") == 30 - pairing.LOOKUP_LIMIT


def _lookup_reason(redis, code, client):
    try:
        pairing.lookup(redis, code, client=client)
    except pairing.PairingError as e:
        return e.reason
    return "found"


def test_otp_wait_is_the_rest_of_the_hour(runtime):
    item = ratelimit.otp_sends(otp.MAX_SENDS_PER_HOUR)
    for _ in range(otp.MAX_SENDS_PER_HOUR + 1):
        ratelimit.hit(runtime.redis, item, "resident:1:x")
    assert 3590 <= ratelimit.retry_after(runtime.redis, item, "resident:1:x") <= 3600


def test_attempts_are_counted_only_while_the_code_lives(r):
    r.hset("code:1", mapping={"h": "x", "n": 0})
    r.expire("code:1", 300)
    assert [ratelimit.count_attempt(r, "code:1", "n") for _ in range(3)] == [1, 2, 3]
    assert 0 < r.ttl("code:1") <= 300
    r.delete("code:1")  # what the TTL does
    assert ratelimit.count_attempt(r, "code:1", "n") is None
    assert not r.exists("code:1")  # not brought back without a TTL


def test_otp_attempt_on_a_code_that_just_expired_leaves_nothing(runtime, monkeypatch):
    r = runtime.redis
    r.hset("otp:code:s1", mapping={"h": "x", "n": 0})
    real_hgetall = r.hgetall

    def read_then_expire(key):  # how verify_code reads the subject's codes
        value = real_hgetall(key)
        r.delete(key)  # the TTL runs out between the read and the count
        return value

    monkeypatch.setattr(r, "hgetall", read_then_expire)
    assert otp.verify_code(runtime, "s1", "123456").reason == "expired"
    assert not r.exists("otp:code:s1")

"""Issue 19 item 3, as the attack: ``/m/pair`` must not tell residents' phones
apart, nor send them codes without end.

- the answer for a registered and an unregistered phone, compared byte for
  byte (after removing the CSRF token), and the phone's session cookie: the
  same keys, nothing that names a resident;
- the work done before answering, the same for both: the same Redis commands,
  no database statement, one job queued of the same kind; the SMS is sent by
  that job after the answer, so the time to answer cannot tell them apart;
- 40 numbers in a row (the demo residents' among them) from one address: the
  answers are the same as for 40 numbers nobody has, and at most the capped
  number of SMS go out;
- pairing codes per address (``GET /tv/pair``), numbers per code, one-time-code
  SMS per phone per hour and per day.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from services import otp, pairing
from services.models import Resident, SmsMessage
from tests.support.jobs import queued, run_queued

CSRF = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+(")')
CODE_VALUE = re.compile(r'(name="code"[^>]*value=")[A-Z]{4}-[A-Z]{4}(")|(value=")[A-Z]{4}-[A-Z]{4}("[^>]*name="code")')


def client_at(app, address):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def csrf(html):
    return CSRF.search(html).group(0).split('value="')[1].rstrip('"')


def tv_code(app, address):
    """A new box at ``address`` and the code it shows."""
    html = client_at(app, address).get("/tv/pair").get_data(as_text=True)
    return re.search(r'id="pair-code"[^>]*>([A-Z]{4}-[A-Z]{4})<', html).group(1)


def without_token(body: bytes, code: str | None = None, phone: str | None = None) -> bytes:
    """The body less the CSRF token and - where the attack's two runs use
    different codes and numbers - what was typed, echoed in the form."""
    text = CSRF.sub(r"\1-\2", body.decode())
    if code:
        text = text.replace(code, "XXXX-XXXX")
    if phone:
        text = text.replace(phone, "000-0000-0000")
    return text.encode()


def answer(r, code=None, phone=None):
    """Status, headers and body, less what differs for every request (the
    date, the request id, the session cookie: see ``session_of``) and the
    CSRF token."""
    headers = sorted((k, v) for k, v in r.headers.items() if k.lower() not in ("set-cookie", "date", "x-request-id"))
    return r.status_code, headers, without_token(r.get_data(), code, phone)


def session_of(app, client):
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


@pytest.fixture
def phones(demo):
    with demo.session() as s:
        found = [demo.crypto.decrypt(p) for p in s.scalars(select(Resident.phone_enc)) if p]
    assert len(found) >= 3
    return found


def unregistered(i, phones):
    number = "019-7%03d-%04d" % (i, 4321 + i)
    assert number not in phones
    return number


def pairing_sms(rt):
    run_queued(rt)  # what a worker does after the answers
    with rt.session() as s:
        return s.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.purpose == "pairing"))


def ask(app, address, code, phone):
    c = client_at(app, address)
    html = c.get("/m/pair").get_data(as_text=True)
    r = c.post("/m/pair", data={"csrf_token": csrf(html), "code": code, "phone": phone})
    return c, r


def test_the_answer_is_the_same_byte_for_byte(demo, app, phones):
    code_a, code_b = tv_code(app, "127.0.0.21"), tv_code(app, "127.0.0.22")
    a, ra = ask(app, "127.0.0.31", code_a, phones[0])
    b, rb = ask(app, "127.0.0.32", code_b, unregistered(0, phones))
    assert pairing_sms(demo) == 1  # only the resident got a code
    assert answer(ra) == answer(rb)
    assert ra.status_code == 302 and ra.get_data() == rb.get_data()
    sa, sb = session_of(app, a), session_of(app, b)
    assert sorted(sa["pair"]) == sorted(sb["pair"]) == ["code", "ticket"]
    assert len(sa["pair"]["ticket"]) == len(sb["pair"]["ticket"])
    assert "resident" not in str(sa) and "resident" not in str(sb)
    # The next page, and a wrong one-time code, alike too.
    pa, pb = a.get("/m/pair/verify"), b.get("/m/pair/verify")
    assert answer(pa) == answer(pb)
    for _ in range(5):
        wa = a.post("/m/pair/verify", data={"csrf_token": csrf(pa.get_data(as_text=True)), "otp": "000000"})
        wb = b.post("/m/pair/verify", data={"csrf_token": csrf(pb.get_data(as_text=True)), "otp": "000000"})
        assert answer(wa) == answer(wb)
    assert "5번" in wa.get_data(as_text=True)  # both codes died alike


def redis_calls(rt) -> dict[str, int]:
    """Commands the Redis server has run so far, by name (only this test uses it now)."""
    return {k: v["calls"] for k, v in rt.redis.info("commandstats").items() if k != "cmdstat_info"}


def work_before_answering(app, rt, address, code, phone):
    """The answer to one number, with the Redis commands and the database
    statements the request ran before it was answered."""
    c = client_at(app, address)
    token = csrf(c.get("/m/pair").get_data(as_text=True))
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    before = redis_calls(rt)
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        r = c.post("/m/pair", data={"csrf_token": token, "code": code, "phone": phone})
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    after = redis_calls(rt)
    commands = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    return r, commands, statements


def test_both_answers_do_the_same_work_and_the_sms_goes_after(demo, app, phones):
    """Issue 19 item 3's remainder: the resident's answer waited for the SMS to
    be sent (its time told the numbers apart). Now both requests run the same
    Redis commands and no database statement, queue one job each of the same
    kind, and nothing is sent until a worker runs the jobs."""
    code_a, code_b = tv_code(app, "127.0.0.23"), tv_code(app, "127.0.0.24")
    ra, work_a, sql_a = work_before_answering(app, demo, "127.0.0.33", code_a, phones[0])
    rb, work_b, sql_b = work_before_answering(app, demo, "127.0.0.34", code_b, unregistered(1, phones))
    assert ra.status_code == rb.status_code == 302 and ra.get_data() == rb.get_data()
    assert work_a == work_b and work_a  # command by command, as many of each
    assert sql_a == sql_b == []  # who the number belongs to is not asked on the request path
    jobs = queued(demo)
    assert [name for name, _ in jobs] == [pairing.SEND_JOB] * 2
    assert len(jobs[0][1]) == len(jobs[1][1]) == 1 and phones[0] not in str(jobs)  # one sealed argument
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(SmsMessage)) == 0  # nothing sent yet
    run_queued(demo)  # the worker, after the answers
    assert pairing_sms(demo) == 1 and queued(demo) == []
    with demo.session() as s:
        to = s.scalars(select(SmsMessage.phone_masked).where(SmsMessage.purpose == "pairing")).all()
    assert [m[-4:] for m in to] == [phones[0][-4:]]


def attack(app, phone_address, tv_address, numbers):
    """40 numbers in a row: a new code from a new box whenever the page says so."""
    answers, code = [], tv_code(app, tv_address)
    for number in numbers:
        _, r = ask(app, phone_address, code, number)
        answers.append(answer(r, code, number))
        if r.status_code != 302 and "새 번호" in r.get_data(as_text=True):
            try:
                code = tv_code(app, tv_address)
            except AttributeError:  # the box was refused a code (429)
                pass
    return answers


def test_forty_numbers_identify_nobody_and_send_few_sms(demo, app, phones):
    with_residents = [unregistered(i, phones) for i in range(40)]
    for i, phone in enumerate(phones):  # every resident, spread over the run
        with_residents[(i * 5) % 40] = phone
    nobody = [unregistered(100 + i, phones) for i in range(40)]

    seen = attack(app, "127.0.0.41", "127.0.0.51", with_residents)
    sent = pairing_sms(demo)
    baseline = attack(app, "127.0.0.42", "127.0.0.52", nobody)
    assert pairing_sms(demo) == sent  # nobody's numbers get nothing

    assert seen == baseline  # answer by answer, nothing tells the residents apart
    assert 0 < sent <= pairing.ASKS_PER_ADDRESS
    assert 0 < sum(1 for status, _, _ in seen if status == 302) <= pairing.ASKS_PER_ADDRESS
    # past the address's budget, every number - a resident's or not - is refused alike
    assert {status for status, _, _ in seen[pairing.ASKS_PER_ADDRESS:]} == {429}


def test_numbers_per_code_are_limited(demo, app, phones):
    code = tv_code(app, "127.0.0.61")
    for i in range(pairing.ASKS_PER_CODE):
        assert ask(app, "127.0.0.%d" % (70 + i), code, unregistered(i, phones))[1].status_code == 302
    # the next number - a resident's - on that code, from yet another address
    _, r = ask(app, "127.0.0.80", code, phones[0])
    assert r.status_code == 429 and pairing.PairingError.MESSAGES["too_many_asks"] in r.get_data(as_text=True)
    assert pairing_sms(demo) == 0


def test_codes_per_address_are_limited(demo, app):
    """New boxes (a cleared cookie is a new box) get codes up to the limit; a
    box that waited on the pairing screen while its code expired gets a new one."""
    waiting = client_at(app, "127.0.0.91")
    assert waiting.get("/tv/pair").status_code == 200
    for _ in range(pairing.CODES_PER_ADDRESS - 1):
        assert client_at(app, "127.0.0.91").get("/tv/pair").status_code == 200
    r = client_at(app, "127.0.0.91").get("/tv/pair")
    assert r.status_code == 429 and pairing.PairingError.MESSAGES["too_many_codes"] in r.get_data(as_text=True)
    assert client_at(app, "127.0.0.92").get("/tv/pair").status_code == 200
    for key in demo.redis.scan_iter("pair:box:*"):  # every code has expired
        demo.redis.delete(key)
    assert waiting.get("/tv/pair").status_code == 200


def test_one_time_code_sms_per_phone_capped_per_hour_and_day(demo, monkeypatch, phones):
    phone = phones[0]
    with demo.session() as s:
        results = [otp.send_code(s, demo, "t1:%d" % i, phone) for i in range(12)]
    assert sum(r.ok for r in results) == otp.PHONE_SENDS_PER_HOUR
    assert {r.reason for r in results if not r.ok} == {"too_many_sends"}

    other = phones[1]
    monkeypatch.setattr(otp, "PHONE_SENDS_PER_HOUR", 1000)  # the day's cap alone
    with demo.session() as s:
        results = [otp.send_code(s, demo, "t2:%d" % i, other) for i in range(15)]
    assert sum(r.ok for r in results) == otp.PHONE_SENDS_PER_DAY

"""The phone simulator page: pick a demo phone, send messages (CSRF), see
replies and one-time codes as a phone shows them."""

import re

import pytest

from tvapp import create_app


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)


def _csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_simulator_lists_masked_phones_and_runs_a_conversation(client, demo):
    page = client.get("/phone/").get_data(as_text=True)
    assert "010-****-0003" in page and "010-0000-0003" not in page and "김*준" in page
    page = client.get("/phone/?r=R1003").get_data(as_text=True)
    token = _csrf(page)
    r = client.post("/phone/send", data={"csrf_token": token, "r": "R1003", "text": "등본 메일"})
    assert r.status_code == 302
    page = client.get("/phone/?r=R1003").get_data(as_text=True)
    assert "등본 메일" in page and "인증번호" in page
    code = re.search(r"인증번호 (\d{6})", page).group(1)
    client.post("/phone/send", data={"csrf_token": token, "r": "R1003", "text": "확인 " + code})
    page = client.get("/phone/?r=R1003").get_data(as_text=True)
    assert re.search(r"등본 접수 \d{8}-\d{6}", page)


def test_simulator_form_needs_csrf(runtime, demo):
    app = create_app(runtime.config)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=True)
    c = app.test_client()
    assert c.post("/phone/send", data={"r": "R1003", "text": "도움말"}).status_code == 400


def test_simulator_is_absent_with_a_real_gateway(runtime, demo):
    runtime.config.SMS_GATEWAY = "kannel"
    app = create_app(runtime.config)
    assert app.test_client().get("/phone/").status_code == 404


def test_thread_opens_at_the_newest_message_and_bubbles_have_no_blank_lines(client, demo):
    """Issue 20 item 13."""
    page = client.get("/phone/?r=R1003").get_data(as_text=True)
    token = _csrf(page)
    for text in ("도움말", "상태"):
        client.post("/phone/send", data={"csrf_token": token, "r": "R1003", "text": text})
    page = client.get("/phone/?r=R1003").get_data(as_text=True)
    assert "phone/phone.js" in page
    bodies = re.findall(r'<div class="body">(.*?)</div>', page, re.S)
    assert bodies and all(b == b.strip() for b in bodies)
    newest = re.search(r'<li class="bubble [^"]*"[^>]*id="newest">\s*<div class="body">(.*?)</div>', page, re.S)
    assert newest and "증명서가 없습니다" in newest.group(1)  # the reply to 상태, last in the thread
    js = client.get("/static/phone/phone.js").get_data(as_text=True)
    assert "scrollTop = thread.scrollHeight" in js
    css = client.get("/static/phone/phone.css").get_data(as_text=True)
    bubble_rule = re.search(r"\.bubble\{[^}]*\}", css).group(0)
    assert "pre-wrap" not in bubble_rule and ".bubble .body{white-space:pre-wrap}" in css

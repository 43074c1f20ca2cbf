"""Issue 9's fault: the web process restarted while a box is mid-flow.

The box is real Chromium driven with HbbTV key codes; the web process is a real
gunicorn started as its own process, SIGKILLed and started again on the same
port. Nothing of the box's state lives in the web process: the pairing is a
signed cookie, the certificate flow is in Redis, focus and typed digits are
in the box's sessionStorage. So after the restart the box is on the same
screen with the same focus, still paired, and the flow goes on to one request.
A key pressed while the web process is away shows a calm notice instead of the
browser's error page, and the box keeps its screen.
"""

import re
import signal

import pytest
import requests
from sqlalchemy import select

from services.models import Request
from services.sms import messages_for_phone
from tests.support import procs
from tests.tvapp.browser.test_tv_browser import check_screen, go, press_nav

pytestmark = pytest.mark.browser


class Web:
    """gunicorn (one worker) on a fixed port, that the test can kill and start again."""

    def __init__(self, log_dir, **settings):
        self.port = procs.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        # Threads enough that this box's ticker is a live stream (a busy server
        # answers past TICKER_STREAMS with the state and a retry in a minute;
        # the box then notices a dead server by its silence, not by the stream).
        self.env = procs.service_env(PORT=self.port, WEB_WORKERS=1, WEB_THREADS=24, TICKER_STREAMS=12, **settings)
        self.log_dir, self.n, self.proc = log_dir, 0, None

    def start(self):
        self.n += 1
        self.proc = procs.Proc("web-restart-%d" % self.n, [procs.sys.executable, "-m", "tvapp.launcher", "web"],
                               self.log_dir, self.env).start()
        procs.wait_for(lambda: requests.get(self.url + "/livez", timeout=1).status_code == 204, 30, "gunicorn")
        return self

    def kill(self):
        self.proc.kill(signal.SIGKILL)
        self.proc.p.wait(10)
        procs.wait_for(lambda: not _answers(self.url), 10, "the port to close")

    def stop(self):
        if self.proc:
            self.proc.stop()


def _answers(url):
    try:
        requests.get(url + "/livez", timeout=0.5)
        return True
    except requests.RequestException:
        return False


@pytest.fixture
def web(demo, log_dir, tmp_path):
    cfg = demo.config
    server = Web(log_dir, DATABASE_URL=cfg.DATABASE_URL, REDIS_URL=cfg.REDIS_URL, BACKEND_URL=cfg.BACKEND_URL,
                 VAR_DIR=tmp_path / "web-var").start()
    yield server
    server.stop()


def test_box_keeps_screen_focus_and_session_across_a_web_restart(web, demo, tv, artifacts):
    tv.page.goto(web.url + "/tv/simulator")  # pairs this box to 1144012-0001
    go(tv, web.url + "/tv/")
    press_nav(tv, "OK", "/tv/certificates/")
    press_nav(tv, "2", "/tv/certificates/resident-abstract/")  # 초본
    tv.press("DOWN")
    tv.press("DOWN")
    chosen = tv.focused_id()
    assert "김민준" in tv.page.inner_text("#" + chosen)
    press_nav(tv, "OK", "/tv/certificates/resident-abstract/options")
    tv.press("RIGHT")  # focus on 과거 주소 포함: 예 (not chosen yet)
    focus_before = tv.focused_id()
    screen_before = tv.page.url
    assert tv.page.evaluate("window.TVConnection.suspected()") is False

    web.kill()
    # The ticker's stream drops with the process; the box now checks before loading.
    tv.page.wait_for_function("() => window.TVConnection.suspected()")
    tv.press("OK")  # 예: local, still works
    assert tv.page.get_attribute("#opt-past_addresses", "value") == "yes"
    tv.press("GREEN")  # 다음: would load a screen; nobody answers
    tv.page.wait_for_selector("#tv-offline:not([hidden])")
    assert "연결" in tv.page.inner_text("#tv-offline")
    assert tv.page.url == screen_before  # not the browser's error page
    assert tv.focused_id() == focus_before
    check_screen(tv, artifacts, "web-restart-offline")

    web.start()
    tv.page.wait_for_function("() => !window.TVConnection.suspected()", timeout=15000)
    tv.page.wait_for_function("() => document.getElementById('tv-offline').hasAttribute('hidden')"
                              " || /다시 연결/.test(document.getElementById('tv-offline').textContent)")
    check_screen(tv, artifacts, "web-restart-back")

    # A box that reloads (or was switched off and on) gets the same screen and focus.
    tv.page.reload()
    tv.wait_ready()
    tv.use_fake_clock()
    assert tv.page.url == screen_before
    assert tv.focused_id() == focus_before
    assert "김*수" in tv.page.inner_text(".tv-who")  # still paired to the household (masked name)

    # ... and the flow goes on from where it was, to exactly one request.
    tv.press("OK")  # 예 again (the reload showed the saved option)
    press_nav(tv, "GREEN", "/tv/certificates/identity")
    press_nav(tv, "OK", "/tv/certificates/identity")  # 인증번호 받기
    with demo.session() as s:
        body = messages_for_phone(s, demo, "010-0000-0003")[0].body
    for digit in re.search(r"인증번호 (\d{6})", body).group(1):
        tv.press(digit)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/delivery")
    assert tv.focused_id() == "dest-email"  # the registered address, listed first
    press_nav(tv, "OK", "/tv/certificates/confirm")
    assert "김민준" in tv.page.inner_text("body")  # the person chosen before the restart
    web.kill()
    web.start()
    with tv.page.expect_navigation():
        tv.press("OK")
    tv.page.wait_for_load_state("networkidle")
    assert "/tv/certificates/done/" in tv.page.url
    with demo.session() as s:
        reqs = list(s.scalars(select(Request)))
    assert len(reqs) == 1
    assert reqs[0].options.get("past_addresses") == "yes"

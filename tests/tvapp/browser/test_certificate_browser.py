"""Issue 4's proof: a certificate requested with the remote alone in real
Chromium (HbbTV key codes, 1280x720) arrives as one email at a real SMTP
server; its PDF has the holder's name as text, renders with Korean glyphs,
and its QR code opens /verify, which says genuine."""

import io
import re

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from sqlalchemy import select

from services import pipeline
from services.certificates import pdf
from services.models import Request
from services.sms import messages_for_phone
from tests.support.smtp import SmtpServer
from tests.tvapp.browser.test_tv_browser import check_screen, go, press_nav

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp(demo, monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setattr(demo.config, "SMTP_URL", server.url)  # the app's too: one Config
    yield server
    server.stop()


def code_for(rt, phone):
    with rt.session() as s:
        body = messages_for_phone(s, rt, phone)[0].body
    return re.search(r"인증번호 (\d{6})", body).group(1)


def test_certificate_by_email_with_the_remote(server, demo, tv, artifacts, smtp):
    tv.page.goto(server + "/tv/simulator")  # pairs this box to 1144012-0001
    go(tv, server + "/tv/")
    assert tv.focused_id() == "tile-certificates"
    press_nav(tv, "OK", "/tv/certificates/")
    check_screen(tv, artifacts, "cert-catalogue")
    press_nav(tv, "2", "/tv/certificates/resident-abstract/")  # number key 2: 초본
    check_screen(tv, artifacts, "cert-who")
    tv.press("DOWN")
    tv.press("DOWN")
    assert "김민준" in tv.page.inner_text("#" + tv.focused_id())
    press_nav(tv, "OK", "/tv/certificates/resident-abstract/options")
    check_screen(tv, artifacts, "cert-options")
    tv.press("RIGHT")  # 과거 주소 포함: 예
    tv.press("OK")
    assert tv.page.get_attribute("#opt-past_addresses", "value") == "yes"
    press_nav(tv, "GREEN", "/tv/certificates/identity")
    check_screen(tv, artifacts, "cert-identity")
    press_nav(tv, "OK", "/tv/certificates/identity")  # 인증번호 받기
    assert tv.focused_id() == "code"
    for digit in code_for(demo, "010-0000-0003"):
        tv.press(digit)
    check_screen(tv, artifacts, "cert-code")
    tv.press("DOWN")
    assert tv.focused_id() == "code-ok"
    press_nav(tv, "OK", "/tv/certificates/delivery")
    check_screen(tv, artifacts, "cert-delivery")
    assert tv.focused_id() == "dest-email"  # the registered address is listed first: one press
    go(tv, server + "/tv/certificates/delivery/email")  # the other way stays (looked at, not taken)
    check_screen(tv, artifacts, "cert-email")
    assert tv.focused_id() == "email-registered"
    go(tv, server + "/tv/certificates/delivery")
    assert tv.focused_id() == "dest-email"
    press_nav(tv, "OK", "/tv/certificates/confirm")
    tv.page.wait_for_function("() => document.getElementById('preview').complete")
    check_screen(tv, artifacts, "cert-confirm")
    assert tv.focused_id() == "confirm-ok"
    from playwright.sync_api import Error as PlaywrightError

    with tv.page.expect_navigation():
        tv.press("OK")
        for _ in range(2):  # an impatient second and third press; they may land
            try:            # on the next screen, as they would on a real box
                tv.press("OK")
            except PlaywrightError:
                pass
    tv.page.wait_for_load_state("networkidle")
    with demo.session() as s:
        reqs = list(s.scalars(select(Request)))
        assert len(reqs) == 1
        receipt, rid = reqs[0].receipt_no, reqs[0].id
    go(tv, server + "/tv/certificates/done/" + receipt)
    check_screen(tv, artifacts, "cert-done")
    assert tv.page.inner_text("#receipt").strip() == receipt
    assert pipeline.process_request(rid) == "delivered"  # what a worker does with the job

    assert len(smtp.messages) == 1
    att = next(smtp.messages[0].iter_attachments())
    data = att.get_content()
    doc = pdfium.PdfDocument(data)
    assert "김민준" in doc[0].get_textpage().get_text_range()
    img = Image.open(io.BytesIO(pdf.render_png(data, scale=2.0)))
    img.save(artifacts / "cert-email-pdf.png")
    title = img.convert("L").crop((int(img.width * 0.3), 140, int(img.width * 0.7), 240))
    assert sum(1 for p in title.tobytes() if p < 100) > 2000  # Korean glyphs drawn
    url = [d.data.decode() for d in decode(img)][0]
    assert "/verify/" in url
    tv.page.goto(server + "/verify/" + url.rsplit("/", 1)[1])
    assert "발급된 진본입니다" in tv.page.inner_text("body")

    # The TV's 나의 민원 shows it delivered.
    go(tv, server + "/tv/requests/" + receipt)
    assert "전달" in tv.page.inner_text("#timeline")
    check_screen(tv, artifacts, "cert-delivered-timeline")

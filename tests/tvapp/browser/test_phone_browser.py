"""The phone simulator in a real browser (issue 20 item 13): after sending, the
thread shows the newest message; bubbles have no blank lines around their text."""

from services.petitions import handle_mo

MINJUN = "010-0000-0003"  # R1003


def test_thread_shows_the_newest_message_without_blank_lines(server, demo, browser, monkeypatch):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)
    demo.config.SMS_RATE_PER_PHONE = 10**6
    for i in range(25):  # a long thread: far more than the phone's screen
        handle_mo(demo, MINJUN, "도움말" if i % 2 else "상태")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto(server + "/phone/?r=R1003")
        page.fill("#text", "세금")
        page.click("form button")
        page.wait_for_load_state("load")
        page.wait_for_function("() => { const t = document.getElementById('thread');"
                               " return t.scrollTop + t.clientHeight >= t.scrollHeight - 2; }", timeout=5000)
        newest = page.locator("#newest .body").inner_text()
        assert "지방세" in newest  # the answer to 세금, in view
        box = page.locator("#newest").bounding_box()
        thread = page.locator("#thread").bounding_box()
        assert thread["y"] <= box["y"] and box["y"] + box["height"] <= thread["y"] + thread["height"] + 1
        gaps = page.evaluate("""() => [...document.querySelectorAll('#thread .bubble')].map(li => {
            const b = li.querySelector('.body'), m = li.querySelector('.meta');
            const cs = getComputedStyle(li);
            const inner = li.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
            return inner - b.offsetHeight - m.offsetHeight - parseFloat(getComputedStyle(m).marginTop);
        })""")
        assert gaps and max(gaps) < 2, gaps  # no blank line above or below a bubble's text
    finally:
        page.close()

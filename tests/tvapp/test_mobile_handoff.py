"""Hand-off endpoints: the phone types, the TV's poll shows it live."""

import re

from tests.tvapp.test_tv_screens import pair


def test_phone_typing_appears_on_the_tv(demo, app):
    tv, phone = app.test_client(), app.test_client()
    pair(tv, demo)
    html = tv.get("/tv/settings/practice").get_data(as_text=True)
    poll = re.search(r'data-ho-poll="(/tv/h/[^"]+)"', html).group(1)
    token = poll.split("/")[-1].removesuffix(".json")
    assert tv.get(poll).get_json() == {"value": "", "rev": 0, "done": False}

    page = phone.get("/m/h/%s" % token).get_data(as_text=True)
    token_csrf = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = phone.post("/m/h/%s/live" % token, data={"value": "kim@exa"}, headers={"X-CSRFToken": token_csrf})
    assert r.get_json() == {"rev": 1}
    assert tv.get(poll).get_json() == {"value": "kim@exa", "rev": 1, "done": False}

    r = phone.post("/m/h/%s" % token, data={"csrf_token": token_csrf, "value": "kim@exa", "done": "1"})
    assert "이메일 주소 모양이 아닙니다" in r.get_data(as_text=True)
    r = phone.post("/m/h/%s" % token, data={"csrf_token": token_csrf, "value": "kim@example.kr", "done": "1"})
    assert "TV로 보냈습니다" in r.get_data(as_text=True)
    assert tv.get(poll).get_json() == {"value": "kim@example.kr", "rev": 2, "done": True}


def test_live_needs_csrf_and_other_boxes_cannot_read(demo, app):
    tv, other, phone = app.test_client(), app.test_client(), app.test_client()
    pair(tv, demo)
    pair(other, demo)
    html = tv.get("/tv/settings/practice").get_data(as_text=True)
    poll = re.search(r'data-ho-poll="(/tv/h/[^"]+)"', html).group(1)
    assert other.get(poll).status_code == 404
    token = poll.split("/")[-1].removesuffix(".json")
    assert phone.post("/m/h/%s/live" % token, data={"value": "x"}).status_code == 400
    assert phone.get("/m/h/unknown-token").status_code == 404

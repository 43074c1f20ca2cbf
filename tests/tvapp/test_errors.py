"""Errors answered as each audience needs them (tvapp.errors): a calm TV
screen, a simple phone page, the console's own page, JSON for machines."""

from __future__ import annotations

from services.core.errors import AppError
from services.taxes.bills import BillsUnavailable


def test_each_audience_gets_its_own_answer_for_a_missing_page(client):
    tv = client.get("/tv/no-such-screen")
    assert tv.status_code == 404 and "찾는 화면이 없습니다" in tv.get_data(as_text=True)
    assert "data-nav" in tv.get_data(as_text=True) or "nav-" in tv.get_data(as_text=True)
    console = client.get("/console/no-such-page")
    assert console.status_code == 404 and 'id="error-message"' in console.get_data(as_text=True)
    machine = client.get("/gateway/no-such-endpoint")
    assert machine.status_code == 404 and machine.is_json and machine.json["error"] == "not_found"
    asked = client.get("/verify/", headers={"Accept": "application/json"}, query_string={"x": "1"})
    assert asked.status_code in (200, 302)  # a page that exists is answered as usual


def test_an_app_error_says_its_sentence_with_its_status(app):
    @app.get("/tv/test-app-error")
    def _raise():
        raise BillsUnavailable("구청 시스템에 연결할 수 없어 고지서를 불러오지 못했습니다.")

    @app.get("/gateway/test-app-error")
    def _raise_json():
        raise AppError("not_a_sentence")

    client = app.test_client()
    r = client.get("/tv/test-app-error")
    page = r.get_data(as_text=True)
    assert r.status_code == 503 and "고지서를 불러오지 못했습니다" in page and "잠시 문제가 생겼습니다" in page
    j = client.get("/gateway/test-app-error")
    assert j.status_code == 400 and j.json == {"error": "AppError",
                                               "message": "요청을 처리하지 못했습니다. 잠시 뒤에 다시 해 주세요."}

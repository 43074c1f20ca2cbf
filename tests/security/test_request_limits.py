"""Issue 19 item 2 in the app alone (no front): bodies are small everywhere,
forms carry a bounded number of fields (urlencoded too, which Werkzeug does
not count), only the feed upload takes 5 MB. The workers' memory under the
probe's attack is measured through a real gunicorn in tests/tvapp/test_front.py."""

from __future__ import annotations

import io

from tests.security.conftest import console_login, csrf_token
from tvapp import bodylimits

FORM = "application/x-www-form-urlencoded"


def test_the_probes_six_megabyte_form_is_refused_on_its_length(client):
    body = (b"a=&" * 2_400_000)[:6 * 1024 * 1024]
    r = client.post("/console/login", data=body, content_type=FORM)
    assert r.status_code == 413


def test_a_small_body_with_too_many_fields_is_refused(app, client):
    fields = app.config["MAX_FORM_PARTS"]
    body = "&".join("f%d=" % n for n in range(fields + 1))
    assert len(body) < app.config["MAX_BODY_BYTES"]
    assert client.post("/console/login", data=body, content_type=FORM).status_code == 413
    assert client.post("/m/pair", data=body, content_type=FORM).status_code == 413
    multipart = {"f%d" % n: "" for n in range(fields + 1)}
    assert client.post("/console/login", data=multipart, content_type="multipart/form-data").status_code == 413


def test_every_route_but_the_console_and_upload_takes_a_small_body(app, client):
    big = b"x" * (app.config["MAX_BODY_BYTES"] + 1)
    for path in ("/m/pair", "/gateway/sms/inbound", "/tv/settings/lang"):
        assert client.post(path, data=big, content_type=FORM).status_code == 413, path


def test_only_the_feed_upload_takes_five_megabytes(app, seeded):
    admin = console_login(app, "admin")
    feed = b"<rss version='2.0'><channel><title>t</title></channel></rss>" + b" " * (5 * 1024 * 1024 - 100)
    token = csrf_token(admin, "/console/sources")
    r = admin.post(bodylimits.UPLOAD_PATH, data={"csrf_token": token, "name": "big",
                                                  "file": (io.BytesIO(feed), "big.xml")},
                   content_type="multipart/form-data")
    assert r.status_code != 413
    r = admin.post("/console/sources", data={"csrf_token": token, "x": "y" * (5 * 1024 * 1024)},
                   content_type="multipart/form-data")
    assert r.status_code == 413


def test_the_front_and_the_app_apply_the_same_table(app):
    config = app.extensions["runtime"].config
    assert bodylimits.body_limit(config, "/console/sources/upload") == config.UPLOAD_MAX_BODY_BYTES
    assert bodylimits.body_limit(config, "/console/login") == config.CONSOLE_MAX_BODY_BYTES
    assert bodylimits.body_limit(config, "/console") == config.MAX_BODY_BYTES
    assert bodylimits.body_limit(config, "/m/pair") == config.MAX_BODY_BYTES

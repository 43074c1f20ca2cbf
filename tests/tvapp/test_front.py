"""The front (``tvapp.front``): a real nginx (``launcher front``) before a real
gunicorn (``launcher web`` on the unix socket WEB_SOCKET) on the test's database, Redis and
back end; boxes are HTTP clients with their own cookies.

Shared screens come from nginx's cache, the same bytes for every box of a
language and text size, with no household's name in them (each box's own
``tv_who`` cookie has it); nothing personal is ever served from the cache;
an unpaired box is never given a cached screen; a language change and a news
item published reach the boxes at once and within FRONT_CACHE_SECONDS; the
ticker still streams; the app sees the box's address, not nginx's.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import psutil
import pytest
import requests
from sqlalchemy import select

from broadcast_feed import demo as news_demo
from broadcast_feed import store, workflow
from broadcast_feed.models import NewsItem
from services.models import Device, Household
from tests.support import procs
from tvapp.launcher import UnixHTTPConnection
from tvapp.tv.device import HASH_PURPOSE

APPROVER = workflow.Actor(2, "ap", "approver")
CACHE_SECONDS = 2


@pytest.fixture
def front(front_stack):
    yield front_stack[0]


@pytest.fixture
def front_stack(demo, log_dir, tmp_path):
    """``(front url, gunicorn's unix socket, the web Proc)``, as `make run` starts them."""
    news_demo.seed(demo)
    cfg = demo.config
    port = procs.free_port()
    sock = tmp_path / "web-var" / "run" / "web.sock"
    common = dict(DATABASE_URL=cfg.DATABASE_URL, REDIS_URL=cfg.REDIS_URL, BACKEND_URL=cfg.BACKEND_URL,
                  VAR_DIR=tmp_path / "web-var", FRONT_CACHE_SECONDS=CACHE_SECONDS, WEB_SOCKET=sock)
    web = procs.Proc("front-web", [procs.sys.executable, "-m", "tvapp.launcher", "web"], log_dir,
                     procs.service_env(WEB_WORKERS=1, WEB_THREADS=8, **common)).start()
    nginx = procs.Proc("front-nginx", [procs.sys.executable, "-m", "tvapp.launcher", "front"], log_dir,
                       procs.service_env(PORT=port, **common)).start()
    url = "http://127.0.0.1:%d" % port
    procs.wait_for(lambda: requests.get(url + "/livez", timeout=1).status_code == 204, 30, "the front and gunicorn")
    yield url, str(sock), web
    nginx.stop()
    web.stop()


def unix_request(sock: str, method: str, path: str, body: bytes | None = None,
                 headers: dict | None = None, timeout: float = 60) -> tuple[int, bytes]:
    """One request straight to gunicorn over its unix socket (the front's way in)."""
    conn = UnixHTTPConnection(sock, timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def box(url, runtime, code: str | None) -> requests.Session:
    """A box: its first screen gives it a cookie; paired to ``code``'s household."""
    s = requests.Session()
    r = s.get(url + "/tv/", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/tv/pair")
    if code:
        set_household(s, runtime, code)
    return s


def set_household(s, runtime, code: str | None) -> None:
    with runtime.session() as db:
        d = db.scalar(select(Device).where(
            Device.token_hash == runtime.crypto.keyed_hash(s.cookies["tv_device"], HASH_PURPOSE)))
        d.household_id = db.scalar(select(Household.id).where(Household.code == code)) if code else None


def get(s, url, path, **kw):
    r = s.get(url + path, allow_redirects=False, timeout=10, **kw)
    return r, r.headers.get("X-TV-Cache")


def no_clock(html: str) -> str:
    return re.sub(r'data-now="\d+">\d\d:\d\d<', "", html)


def test_a_shared_screen_is_the_same_cached_bytes_for_every_household(front, demo):
    a, b = box(front, demo, "1144012-0001"), box(front, demo, "1144012-0002")
    for path in ("/tv/", "/tv/news/", "/tv/certificates/"):
        get(a, front, path)  # sets a's front cookies (it had none: not cached)
        get(b, front, path)
        ra, _ = get(a, front, path)
        rb, cached = get(b, front, path)
        assert ra.status_code == rb.status_code == 200
        assert cached in ("HIT", "STALE", "UPDATING"), (path, cached)
        assert ra.content == rb.content or no_clock(ra.text) == no_clock(rb.text)  # a refresh may fall between
        assert '<span class="tv-who-name"></span>' in rb.text
        assert "김*수" not in rb.text and "박*민" not in rb.text and "tvmark" not in rb.text
        assert rb.headers["Cache-Control"] == "private, no-cache"  # the box's own rule, unchanged
        assert "X-Accel-Expires" not in rb.headers
        again, cached = get(b, front, path, headers={"If-None-Match": rb.headers["ETag"]})
        assert again.status_code == 304 or no_clock(again.text) != no_clock(rb.text), path
        # a cached screen carries this request's id, not the one that filled the cache
        mine, cached = get(b, front, path, headers={"X-Request-Id": "box-b-%d" % len(path)})
        assert cached in ("HIT", "STALE", "UPDATING") and mine.headers["X-Request-Id"] == "box-b-%d" % len(path)
        odd, _ = get(b, front, path, headers={"X-Request-Id": "<script>"})
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-Id"]), odd.headers["X-Request-Id"]
    assert unquote(a.cookies["tv_who"]) == "김*수" and unquote(b.cookies["tv_who"]) == "박*민"
    assert a.cookies["tv_view"] == b.cookies["tv_view"] == "ko.normal"


def test_personal_screens_never_come_from_the_cache(front, demo):
    a, b = box(front, demo, "1144012-0001"), box(front, demo, "1144012-0002")
    for path in ("/tv/requests/", "/tv/taxes/", "/tv/settings/", "/tv/certificates/resident-copy/"):
        for _ in range(3):
            ra, ca = get(a, front, path)
            rb, cb = get(b, front, path)
            assert ra.status_code == rb.status_code == 200, path
            assert ca not in ("HIT", "STALE") and cb not in ("HIT", "STALE"), path
            assert "김*수 님 댁" in ra.text and "박*민" not in ra.text, path
            assert "박*민 님 댁" in rb.text and "김*수" not in rb.text, path
    for path in ("/tv/requests/", "/tv/taxes/"):  # household screens: validated by the app, through the front
        ra, _ = get(a, front, path)
        again, cached = get(a, front, path, headers={"If-None-Match": ra.headers["ETag"]})
        assert again.status_code == 304 and cached not in ("HIT", "STALE"), path
        other, _ = get(b, front, path, headers={"If-None-Match": ra.headers["ETag"]})
        assert other.status_code == 200 and "박*민 님 댁" in other.text, path


def test_a_box_without_a_household_is_never_given_a_cached_screen(front, demo):
    a = box(front, demo, "1144012-0001")
    for _ in range(2):
        r, _ = get(a, front, "/tv/")
    assert get(a, front, "/tv/")[1] in ("HIT", "STALE", "UPDATING")  # the home screen is in the cache
    stranger = requests.Session()
    r, cached = get(stranger, front, "/tv/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/tv/pair") and cached == "BYPASS"
    # unpaired from elsewhere: its next screen through the app sends it to pairing and clears its view
    set_household(a, demo, None)
    r, _ = get(a, front, "/tv/requests/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/tv/pair")
    assert "tv_view" not in a.cookies and "tv_who" not in a.cookies
    r, cached = get(a, front, "/tv/")
    assert r.status_code == 302 and cached == "BYPASS"


def test_a_language_change_reaches_the_box_at_once(front, demo):
    a = box(front, demo, "1144012-0001")
    k = box(front, demo, "1144012-0002")
    for s in (a, k, a, k):
        get(s, front, "/tv/")  # the Korean home screen cached
    page, _ = get(a, front, "/tv/settings/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = a.post(front + "/tv/settings/lang", data={"csrf_token": token, "lang": "en"}, allow_redirects=False)
    assert r.status_code == 302 and a.cookies["tv_view"] == "en.normal"
    home, _ = get(a, front, "/tv/")
    assert home.status_code == 200 and "<html lang=\"en\"" in home.text
    assert "lang=\"ko\"" in get(k, front, "/tv/")[0].text  # the other box keeps its language
    refused = a.post(front + "/tv/settings/lang", data={"lang": "ko"}, allow_redirects=False)
    assert refused.status_code in (400, 403) and a.cookies["tv_view"] == "en.normal"  # CSRF still checked


def test_a_published_news_item_reaches_every_box_within_the_cache_time(front, demo):
    a, b = box(front, demo, "1144012-0001"), box(front, demo, "1144012-0002")
    for s in (a, b, a, b):
        get(s, front, "/tv/news/")
    with demo.session() as s:
        item = NewsItem(source_id=store.list_sources(s)[0].id, key="front-test", state="submitted", revision=1,
                        title="앞단 캐시 시험 소식", summary="요약", body="본문", category="", fingerprint="f")
        s.add(item)
        s.flush()
        item_id = item.id
    workflow.publish_item(demo, APPROVER, item_id)
    published = time.time()
    seen = {}
    while len(seen) < 2 and time.time() - published < CACHE_SECONDS + 10:
        for name, s in (("a", a), ("b", b)):
            if name not in seen and "앞단 캐시 시험 소식" in get(s, front, "/tv/news/")[0].text:
                seen[name] = time.time() - published
        time.sleep(0.2)
    assert set(seen) == {"a", "b"}, seen
    # within the cache time, and the stale copy's refresh: not a news cycle later
    assert max(seen.values()) < CACHE_SECONDS + 3, seen


def test_the_ticker_still_streams_through_the_front(front, demo):
    a = box(front, demo, "1144012-0001")
    with a.get(front + "/tv/ticker", stream=True, timeout=10) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        first = next(r.iter_lines(decode_unicode=True))  # arrives at once: not held in nginx's buffer
        assert first is not None


@pytest.mark.browser
def test_a_box_shows_its_own_name_on_a_screen_from_the_cache(front, demo, browser, tmp_path):
    """Real Chromium: two households' boxes get the same cached news list; each
    shows its own household's name (tv.js, from its own cookie)."""
    from remote_nav.driver import TvDriver

    seen = {}
    for code, name in (("1144012-0001", "김*수"), ("1144012-0002", "박*민")):
        tv = TvDriver.open(browser)
        try:
            tv.page.goto(front + "/tv/")  # a new box: a cookie, and the pairing screen
            token = next(c["value"] for c in tv.page.context.cookies() if c["name"] == "tv_device")
            s = requests.Session()
            s.cookies.set("tv_device", token)
            set_household(s, demo, code)
            tv.page.goto(front + "/tv/news/")  # through the app: it sets the front's cookies
            r = tv.page.goto(front + "/tv/news/")
            seen[code] = r.headers.get("x-tv-cache")
            assert tv.page.inner_text(".tv-who").strip() == "%s 님 댁" % name
            tv.page.screenshot(path=str(tmp_path / ("front-%s.png" % code)))
        finally:
            tv.close()
    assert seen["1144012-0002"] in ("HIT", "STALE", "UPDATING"), seen


@pytest.mark.browser
def test_a_kept_household_screen_shows_the_time_now(front, demo, browser):
    """Real Chromium: revisiting 나의 민원 revalidates its copy (a 304: the page
    keeps the time it was rendered at) and takes the server's time from the
    answer's tv_now cookie, which tv.js counts from."""
    from remote_nav.driver import TvDriver

    tv = TvDriver.open(browser)
    try:
        tv.page.goto(front + "/tv/")
        token = next(c["value"] for c in tv.page.context.cookies() if c["name"] == "tv_device")
        s = requests.Session()
        s.cookies.set("tv_device", token)
        set_household(s, demo, "1144012-0001")
        statuses = []
        tv.page.on("response", lambda r: statuses.append(r.status) if "/tv/requests/" in r.url else None)
        tv.page.goto(front + "/tv/requests/")
        rendered = int(tv.page.get_attribute("#tv-clock", "data-now"))
        time.sleep(1.2)
        tv.page.goto(front + "/tv/")
        tv.page.goto(front + "/tv/requests/")
        kept = int(tv.page.get_attribute("#tv-clock", "data-now"))
        cookie = int(next(c["value"] for c in tv.page.context.cookies() if c["name"] == "tv_now"))
        assert kept == rendered, statuses  # the box's own copy, not a new rendering
        assert cookie >= rendered + 1000  # the time of the 304, not of the copy
        shown = tv.page.inner_text("#tv-clock").strip()
        kst = [time.strftime("%H:%M", time.gmtime(t + 9 * 3600)) for t in (cookie / 1000, time.time())]
        assert shown in kst, (shown, kst)
    finally:
        tv.close()


def test_the_front_gzips_screens_and_scripts(front, demo):
    s = box(front, demo, "1144012-0001")
    get(s, front, "/tv/")
    r, _ = get(s, front, "/tv/", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("Content-Encoding") == "gzip"
    script = re.search(r'src="(/static/tv/tv\.js[^"]*)"', r.text).group(1)
    js = requests.get(front + script, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert js.status_code == 200 and js.headers.get("Content-Encoding") == "gzip"



# -- request limits (issue 19, item 2) --------------------------------------------

def _many_fields(size: int) -> bytes:
    """The probe's body: about 711,000 empty fields in 6 MB, urlencoded."""
    return (b"a=&" * (size // 3))[:size]


def _workers_rss(web) -> int:
    parent = psutil.Process(web.p.pid)
    return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])


def test_a_body_too_large_gets_413_from_the_front(front_stack):
    url, _app_url, _web = front_stack
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = requests.post(url + "/console/login", data=_many_fields(7 * 1024 * 1024), headers=form, timeout=30)
    assert r.status_code == 413 and r.headers.get("Server", "").startswith("nginx")
    r = requests.post(url + "/m/pair", data=_many_fields(100 * 1024), headers=form, timeout=30)
    assert r.status_code == 413 and r.headers.get("Server", "").startswith("nginx")
    # the feed upload's location takes 5 MB (refused further on by the app for want of a login)
    r = requests.post(url + "/console/sources/upload", data=b"x" * (5 * 1024 * 1024),
                      headers={"Content-Type": "application/octet-stream"}, timeout=30, allow_redirects=False)
    assert r.status_code != 413


def test_many_field_forms_cost_the_workers_no_memory(front_stack):
    """The probe's attack sent straight to gunicorn (over its socket), eight at once:
    refused on its length or its field count, the web workers stay the size they were."""
    _url, sock, web = front_stack
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    before = _workers_rss(web)

    def attack(size):
        try:
            return unix_request(sock, "POST", "/console/login", _many_fields(size), form)[0]
        except OSError:  # refused before the body was read: the socket closed
            return 413

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attack, [6 * 1024 * 1024] * 8 + [60 * 1024] * 8))
    assert set(answers) == {413}, answers
    grown = _workers_rss(web) - before
    assert grown < 40 * 1024 * 1024, "the web workers grew by %d MB" % (grown // 2**20)

"""The front (``tvapp.front``): a real nginx (``launcher front``) before a real
gunicorn (``launcher web``, PROXY_HOPS=1) on the test's database, Redis and
back end; boxes are HTTP clients with their own cookies.

Shared screens come from nginx's cache, the same bytes for every box of a
language and text size, with no household's name in them (each box's own
``tv_who`` cookie has it); nothing personal is ever served from the cache;
an unpaired box is never given a cached screen; a language change and a news
item published reach the boxes at once and within FRONT_CACHE_SECONDS; the
ticker still streams; the app sees the box's address, not nginx's.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from urllib.parse import unquote

import pytest
import requests
from sqlalchemy import select

from broadcast_feed import demo as news_demo
from broadcast_feed import store, workflow
from broadcast_feed.models import NewsItem
from services import webcache
from services.models import Device, Household
from services.taxes import bills as bills_mod
from tests.support import procs
from tests.tvapp.test_tv_screens import add_request, csrf
from tvapp import front as front_mod
from tvapp.tv.device import HASH_PURPOSE

APPROVER = workflow.Actor(2, "ap", "approver")
CACHE_SECONDS = 2


@pytest.fixture
def front(demo, log_dir, tmp_path):
    news_demo.seed(demo)
    cfg = demo.config
    app_port, port = procs.free_port(), procs.free_port()
    common = dict(DATABASE_URL=cfg.DATABASE_URL, REDIS_URL=cfg.REDIS_URL, BACKEND_URL=cfg.BACKEND_URL,
                  VAR_DIR=tmp_path / "web-var", FRONT_CACHE_SECONDS=CACHE_SECONDS)
    web = procs.Proc("front-web", [procs.sys.executable, "-m", "tvapp.launcher", "web"], log_dir,
                     procs.service_env(PORT=app_port, WEB_WORKERS=1, WEB_THREADS=8, PROXY_HOPS=1, **common)).start()
    nginx = procs.Proc("front-nginx", [procs.sys.executable, "-m", "tvapp.launcher", "front"], log_dir,
                       procs.service_env(PORT=port, FRONT_UPSTREAM="127.0.0.1:%d" % app_port, **common)).start()
    url = "http://127.0.0.1:%d" % port
    procs.wait_for(lambda: requests.get(url + "/livez", timeout=1).status_code == 204, 30, "the front and gunicorn")
    yield url
    nginx.stop()
    web.stop()


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


# -- household screens revalidated by the front itself (tvapp/front_lua) ------------------

def record_of(s, url, path) -> str:
    """The Redis key the front names a box's record of a screen by (front_lua/tvfront.lua)."""
    raw = "\n".join([s.cookies["tv_device"], s.cookies.get("tv_view", ""), s.cookies.get("tv_who", ""), path])
    return webcache.FRONT_PREFIX + base64.b64encode(hashlib.sha1(raw.encode()).digest()).decode()


def kept(s, url, path):
    """The box's copy of a household screen, once its front cookies are set."""
    get(s, url, path)
    r, _ = get(s, url, path)
    assert r.status_code == 200 and r.headers["ETag"].startswith('W/"h'), path
    return r


def revalidated(s, url, path, copy):
    r, cached = get(s, url, path, headers={"If-None-Match": copy.headers["ETag"]})
    return r, cached == "VALIDATED"


def test_the_front_answers_a_kept_household_screen_until_anything_on_it_changes(front, demo):
    assert front_mod.lua_modules(), "nginx's Lua module is missing: scripts/system-deps.sh test installs it"
    a, b = box(front, demo, "1144012-0001"), box(front, demo, "1144012-0002")
    with demo.session() as db:
        household = db.scalar(select(Household).where(Household.code == "1144012-0001"))
        hid, code = household.id, household.code
    add_request(demo, hid)
    who = "/tv/certificates/resident-copy/"
    for path in ("/tv/requests/", "/tv/taxes/", who):
        copy = kept(a, front, path)
        r, by_front = revalidated(a, front, path, copy)
        assert r.status_code == 304 and by_front, path
        assert r.headers["ETag"] == copy.headers["ETag"] and r.headers["Cache-Control"] == "private, no-cache"
        assert re.fullmatch(r"\d{13}", a.cookies["tv_now"]) and r.headers["X-Request-Id"]
        assert demo.redis.exists(record_of(a, front, path))
        # another box offering a's validator: its own record (none), so the app, with its own screen
        other, by_front = revalidated(b, front, path, copy)
        assert other.status_code == 200 and not by_front and "박*민 님 댁" in other.text, path
        # a box cannot name another's record: the front sets the name from the box's own cookies
        forged = b.get(front + path, headers={"If-None-Match": copy.headers["ETag"],
                                             "X-TV-Front-Key": record_of(a, front, path).split(":")[-1]})
        assert forged.status_code == 200 and "박*민 님 댁" in forged.text
        assert revalidated(a, front, path, copy)[1]  # a's record is a's still

    # a new request in the household: the app renders it, and the front validates the new copy
    copy = kept(a, front, "/tv/requests/")
    receipt = add_request(demo, hid, "family-relation")
    r, by_front = revalidated(a, front, "/tv/requests/", copy)
    assert r.status_code == 200 and not by_front and receipt in r.text
    assert revalidated(a, front, "/tv/requests/", r)[1]

    # the box chooses whose certificate (its flow changes): the app shows the choice
    copy = kept(a, front, who)
    people = re.findall(r'name="resident_id" value="(\d+)"', copy.text)
    chosen = a.post(front + who + "who", data={"csrf_token": csrf(copy.text), "resident_id": people[-1]},
                    allow_redirects=False)
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/options")
    r, by_front = revalidated(a, front, who, copy)
    assert r.status_code == 200 and not by_front and r.headers["ETag"] != copy.headers["ETag"]
    assert revalidated(a, front, who, r)[1]

    # the bills lapse from the cache: the app asks the back end again, then the front takes over
    copy = kept(a, front, "/tv/taxes/")
    bills_mod.forget(demo, code)  # as when they lapse (CACHE_SECONDS)
    r, by_front = revalidated(a, front, "/tv/taxes/", copy)
    assert r.status_code == 304 and not by_front
    assert revalidated(a, front, "/tv/taxes/", copy)[1]

    # a record that is not what the app writes, a new build, Redis's scripts flushed
    demo.redis.set(record_of(a, front, "/tv/taxes/"), '{"t": 1, "d": "x"}')
    assert not revalidated(a, front, "/tv/taxes/", copy)[1]
    assert revalidated(a, front, "/tv/taxes/", copy)[1]
    demo.redis.set(webcache.FRONT_BUILD_KEY, "another-build")
    r, by_front = revalidated(a, front, "/tv/taxes/", copy)
    assert r.status_code == 304 and not by_front
    demo.redis.script_flush()
    assert revalidated(a, front, "/tv/taxes/", copy)[1]

    # the box is unpaired from elsewhere: its row changed, so the app sends it to pairing
    set_household(a, demo, None)
    r, by_front = revalidated(a, front, "/tv/taxes/", copy)
    assert r.status_code == 302 and r.headers["Location"].endswith("/tv/pair") and not by_front


def test_the_front_reaches_redis_as_the_app_does_or_not_at_all():
    t = front_mod.redis_target("redis://:s%40cret@10.0.0.5:6380/3")
    assert (t["host"], t["port"], t["db"], t["password"], t["username"], t["unix"]) == \
        ("10.0.0.5", 6380, 3, "s@cret", None, None)
    t = front_mod.redis_target("redis://tv:pw@cache")
    assert (t["host"], t["port"], t["db"], t["username"], t["password"]) == ("cache", 6379, 0, "tv", "pw")
    t = front_mod.redis_target("unix:///run/redis.sock?db=2")
    assert (t["unix"], t["db"], t["password"]) == ("/run/redis.sock", 2, None)
    for url in ("rediss://cache:6380/0", "redis+sentinel://a,b/mymaster", "redis://cache/notanumber", ""):
        assert front_mod.redis_target(url) is None, url  # the app answers household 304s instead
    # a value cannot end the Lua string it is written into
    assert front_mod._lua_str("x]===]y") == "[====[x]===]y]====]" and front_mod._lua_str(None) == "nil"


def test_without_lua_the_front_passes_every_household_revalidation_to_the_app(tmp_path):
    plain = front_mod.render(tmp_path, "127.0.0.1:1", "127.0.0.1:2")
    assert "by_lua" not in plain and "load_module" not in plain and 'proxy_set_header X-TV-Front-Key "";' in plain
    with_lua = front_mod.render(tmp_path, "127.0.0.1:1", "127.0.0.1:2", lua=["/m/ndk.so", "/m/lua.so"])
    assert with_lua.startswith("# Written") and "load_module /m/ndk.so;\nload_module /m/lua.so;" in with_lua
    assert 'access_by_lua_block { require("tvfront").access() }' in with_lua
    # whatever a client sends, only the front's own name for its record reaches the app
    assert with_lua.count("proxy_set_header X-TV-Front-Key") == 2

"""Set-top boxes as locust users: each one a paired household's box loading
a screen every ``LOAD_PACING`` seconds (``constant_pacing``), the way people
use the service, with the box's own HTTP cache (it revalidates with
``If-None-Match``: the TV pages say ``private, no-cache``).

``LOAD_BOXES``: the CSV written by ``bench.load.seed``; each user takes one
box (one household), spread over locust's worker processes without overlap.
``LOAD_MIX``: ``household`` (everything below), ``personal`` (only the
household's own screens: 나의 민원, bills, the certificate and payment starts)
or ``one`` (only ``LOAD_PATH``: the calibration against nginx, or a probe).

What a household does, by weight: home 26, news list 14, a news article 8,
the certificate catalogue 8, 나의 민원 list 12, one request 6, bills 12, a
bill 4, a certificate request start (the who screen, then choosing a person:
a real POST with its CSRF token) 4, a payment start (the card screen: opens a
payment order) 4. Names are screens, so the stats read per screen.
"""

from __future__ import annotations

import csv
import itertools
import os
import random
import re

from locust import FastHttpUser, constant_pacing, events, task

PACING = float(os.environ.get("LOAD_PACING", "5"))
MIX = os.environ.get("LOAD_MIX", "household")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RESIDENT = re.compile(r'name="resident_id" value="(\d+)"')
NEWS = re.compile(r'href="/tv/news/(\d+)')

_boxes: list[dict] = []
_next = itertools.count()
_env = []


@events.init.add_listener
def _load_boxes(environment, **_kw):
    with open(os.environ["LOAD_BOXES"], newline="") as f:
        _boxes.extend(csv.DictReader(f))
    _env.append(environment)


def _take() -> dict:
    """This process's next box: process i of n takes boxes i, i+n, i+2n ...
    (the worker index is known once the master has acknowledged the worker)."""
    procs = max(1, int(os.environ.get("LOAD_PROCESSES", "1")))
    index = max(0, getattr(_env[0].runner, "worker_index", 0) or 0) if _env else 0
    return _boxes[(next(_next) * procs + index) % len(_boxes)]


class BoxBase(FastHttpUser):
    """A paired box: its cookie, its HTTP cache of validators (no tasks here:
    locust gives a class its bases' tasks)."""

    abstract = True
    wait_time = constant_pacing(PACING)
    network_timeout = 30.0
    connection_timeout = 30.0
    max_retries = 1  # a keep-alive connection the server closed is tried again once, as browsers do

    def on_start(self):
        self.box = _take()
        self.client.cookiejar.set_cookie(_cookie("tv_device", self.box["token"]))
        self.etags: dict[str, str] = {}
        self.news: list[str] = []

    def screen(self, path: str, name: str):
        """GET a screen as the box's browser would: with its cached ETag."""
        headers = {"If-None-Match": self.etags[path]} if path in self.etags else {}
        with self.client.get(path, name=name, headers=headers, catch_response=True) as r:
            if r.status_code == 200:
                if r.headers.get("ETag"):
                    self.etags[path] = r.headers["ETag"]
                r.success()
            elif r.status_code == 304:
                r.success()
            else:
                r.failure("HTTP %s" % r.status_code)
            return r


class PersonalBox(BoxBase):
    """The household's own screens (also the personal-screens step test)."""

    @task(12)
    def requests_list(self):
        self.screen("/tv/requests/", "나의 민원")

    @task(6)
    def request_detail(self):
        self.screen("/tv/requests/%s" % self.box["receipt"], "나의 민원 상세")

    @task(12)
    def bills(self):
        self.screen("/tv/taxes/", "지방세 고지서")

    @task(4)
    def bill(self):
        self.screen("/tv/taxes/bill/%s" % self.box["epay"], "고지서")

    @task(4)
    def certificate_start(self):
        """The who screen, then OK on the first person: a POST with the page's
        CSRF token (redirects to the options screen)."""
        r = self.screen("/tv/certificates/resident-copy/", "증명서 신청: 누구")
        token, person = CSRF.search(r.text or ""), RESIDENT.search(r.text or "")
        if not (token and person):
            return
        with self.client.post("/tv/certificates/resident-copy/who", name="증명서 신청: 고르기",
                              data={"csrf_token": token.group(1), "resident_id": person.group(1)},
                              catch_response=True) as p:
            if p.status_code == 200:
                p.success()
            else:
                p.failure("HTTP %s" % p.status_code)

    @task(4)
    def payment_start(self):
        self.screen("/tv/taxes/bill/%s/card" % self.box["epay"], "납부 시작(카드)")


class HouseholdBox(PersonalBox):
    """Everything a household does (shared screens included)."""

    @task(26)
    def home(self):
        self.screen("/tv/", "처음 화면")

    @task(14)
    def news_list(self):
        r = self.screen("/tv/news/", "지역 소식")
        if r.status_code == 200:
            self.news = NEWS.findall(r.text or "")[:5]

    @task(8)
    def news_item(self):
        if self.news:
            self.screen("/tv/news/%s" % random.choice(self.news), "소식 기사")
        else:
            self.news_list()

    @task(8)
    def catalogue(self):
        self.screen("/tv/certificates/", "증명서 목록")


class OneScreenBox(BoxBase):
    """One screen only, ``LOAD_PATH`` (default the home screen), revalidated as
    a box does: the calibration against nginx serving the home screen's bytes
    (what the generator and the machine cost by themselves), and a probe of
    one screen of the app at a time."""

    @task
    def one(self):
        self.screen(os.environ.get("LOAD_PATH", "/tv/"), "한 화면 %s" % os.environ.get("LOAD_PATH", "/tv/"))


def _cookie(name, value):
    from http.cookiejar import Cookie

    return Cookie(0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None,
                  False, None, None, {"HttpOnly": None})


# One user class per run, chosen by LOAD_MIX.
HouseholdBox.abstract = MIX != "household"
PersonalBox.abstract = MIX != "personal"
OneScreenBox.abstract = MIX != "one"

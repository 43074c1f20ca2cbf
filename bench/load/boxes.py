"""A population of set-top boxes, driven by wrk (``bench/load/boxes.lua``).

What a household does, by weight (a screen every ``pacing`` seconds): home
26, news list 14, a news article 8, the certificate catalogue 8, 나의 민원 12,
one request 6, bills 12, one bill 4, the certificate request's who screen 4,
a payment start 4 (the card screen: it opens a payment order with the back
end). Each screen is one wrk process whose connections are that screen's
share of the boxes, so latency is known per screen; the histograms (wrk's
own, to the microsecond) are merged for the whole population.

wrk rather than locust: locust's own cost (0.35 ms of CPU a request at 1,000
boxes, 1.1 ms at 10,000, and p99 500 ms against nginx at 10,000 boxes)
would have taken the machine from the system; wrk, event-driven C, costs
0.13-0.27 ms of CPU a request (its Lua and its timers) and measured p99 under 1 ms for 10,000 boxes
against nginx on this machine.

A box keeps its copy of each screen as a browser does (``copies``: a folder
of one "box etag" file a screen, read when a run starts and written when it
ends) and revalidates it (If-None-Match); :func:`prime` has every box load
every screen once, as boxes in use already have. Without ``copies`` every
load is a full fetch. What the locust boxes did and these do not: send the
certificate POST with its CSRF token.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).with_name("boxes.lua")

HOUSEHOLD = [
    ("처음 화면", 26, "/tv/"),
    ("지역 소식", 14, "/tv/news/"),
    ("소식 기사", 8, "/tv/news/{news}"),
    ("증명서 목록", 8, "/tv/certificates/"),
    ("나의 민원", 12, "/tv/requests/"),
    ("나의 민원 상세", 6, "/tv/requests/{receipt}"),
    ("지방세 고지서", 12, "/tv/taxes/"),
    ("고지서", 4, "/tv/taxes/bill/{epay}"),
    ("증명서 신청: 누구", 4, "/tv/certificates/resident-copy/"),
    ("납부 시작(카드)", 4, "/tv/taxes/bill/{epay}/card"),
]
SHARED_NAMES = {"처음 화면", "지역 소식", "소식 기사", "증명서 목록"}
# Screens a box revalidates for as long as its household's records (and its own
# choices) do not change; the shared screens' copies hold for their minute. The who
# screen's forms carry the box's own token, and the card screen's order stays the
# household's open order until it is paid: both are kept like the others.
KEPT_NAMES = {"나의 민원", "나의 민원 상세", "지방세 고지서", "고지서", "증명서 신청: 누구", "납부 시작(카드)"}
PERSONAL = [s for s in HOUSEHOLD if s[0] not in SHARED_NAMES]


@dataclass
class Result:
    name: str
    requests: int = 0
    errors: int = 0
    notmod: int = 0  # 304s: the box's copy was current
    seconds: float = 0.0
    hist: dict = field(default_factory=dict)  # microseconds -> count
    error_kinds: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Milliseconds; 0 when nothing was measured."""
        total = sum(self.hist.values())
        if not total:
            return 0.0
        want, seen = total * p / 100.0, 0
        for us in sorted(self.hist):
            seen += self.hist[us]
            if seen >= want:
                return us / 1000.0
        return max(self.hist) / 1000.0

    def add(self, other: "Result") -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.notmod += other.notmod
        self.seconds = max(self.seconds, other.seconds)
        for us, n in other.hist.items():
            self.hist[us] = self.hist.get(us, 0) + n
        for k, n in other.error_kinds.items():
            self.error_kinds[k] = self.error_kinds.get(k, 0) + n


def split(users: int, mix: list) -> list[tuple[str, str, int]]:
    """Boxes per screen by weight (largest remainder; every screen gets one)."""
    total = sum(w for _n, w, _p in mix)
    exact = [users * w / total for _n, w, _p in mix]
    counts = [max(1, int(x)) for x in exact]
    for i in sorted(range(len(mix)), key=lambda i: exact[i] - int(exact[i]), reverse=True):
        if sum(counts) >= users:
            break
        counts[i] += 1
    return [(n, p, c) for (n, _w, p), c in zip(mix, counts, strict=True)]


def copies_file(copies: Path, path: str) -> Path:
    return copies / ("copies-%s.txt" % hashlib.sha256(path.encode()).hexdigest()[:10])


class Population:
    """One wrk process per screen, started together; ``wait()`` gives the results."""

    def __init__(self, base: str, boxes_csv: Path, users: int, seconds: int, pacing: float, mix: list,
                 news: list[str], out: Path, timeout: int = 30, copies: Path | None = None, prime: bool = False):
        self.parts = split(users, mix)
        self.seconds, self.out, self.procs = seconds, out, []
        out.mkdir(parents=True, exist_ok=True)
        if copies is not None:
            copies.mkdir(parents=True, exist_ok=True)
        for k, (name, path, conns) in enumerate(self.parts):
            # wrk keeps its timers in a list it walks on every turn of its loop: a
            # few hundred boxes a thread keep that walk short (0.4 ms of CPU a
            # request with 10,000 boxes on one thread, measured).
            if prime:
                conns = 8  # back to back: every box once, at what the system can take
            threads = max(1, min(8, -(-conns // 400)))
            kept = str(copies_file(copies, path)) if copies is not None else ""
            env = dict(os.environ, BOX_LIST=str(boxes_csv), BOX_LIMIT=str(users), BOX_PATH=path,
                       BOX_NEWS=",".join(news), BOX_PACING=str(int(pacing * 1000)),
                       BOX_CONNECTIONS=str(conns // threads), BOX_THREADS=str(threads),
                       BOX_ETAGS_IN=kept, BOX_ETAGS_OUT=kept, BOX_PRIME="1" if prime else "0",
                       BOX_DONE=str(out / ("done-%d" % k)))
            self.threads = getattr(self, "threads", 0) + threads
            log = open(out / ("screen-%d.txt" % k), "wb")
            cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds, "--timeout", "%ds" % timeout,
                   "-s", str(LUA), base]
            self.procs.append((name, subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT), log))

    def pids(self) -> list[int]:
        return [p.pid for _n, p, _l in self.procs]

    def wait(self) -> tuple[Result, list[Result]]:
        rows = []
        deadline = time.time() + self.seconds + 60
        for k, (name, proc, log) in enumerate(self.procs):
            try:
                proc.wait(max(1.0, deadline - time.time()))
            except subprocess.TimeoutExpired:
                # past capacity a wrk can be starved past its time: SIGINT makes
                # it stop and report what it measured, as at its own end
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()
            rows.append(parse(name, (self.out / ("screen-%d.txt" % k)).read_text(errors="replace")))
        total = Result("all screens")
        for r in rows:
            total.add(r)
        return total, rows


def parse(name: str, text: str) -> Result:
    r = Result(name)
    m = re.search(r"BOX_SUMMARY (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", text)
    if not m:
        r.errors = 1
        r.error_kinds["wrk gave no summary: " + text.strip()[-200:]] = 1
        return r
    requests, duration_us, connect, read, write, status, timeout = (int(x) for x in m.groups())
    r.requests, r.seconds = requests, duration_us / 1e6
    for kind, n in (("connect", connect), ("read", read), ("write", write), ("HTTP 4xx/5xx", status),
                    ("timeout", timeout)):
        if n:
            r.error_kinds[kind] = n
    r.errors = connect + read + write + status + timeout
    m = re.search(r"BOX_NOTMOD (\d+)", text)
    r.notmod = int(m.group(1)) if m else 0
    for us, n in re.findall(r"BOX_LATENCY (\d+) (\d+)", text):
        r.hist[int(us)] = r.hist.get(int(us), 0) + int(n)
    return r


def run(base: str, boxes_csv: Path, users: int, seconds: int, pacing: float, mix: list, news: list[str],
        out: Path, on_start=None, copies: Path | None = None) -> tuple[Result, list[Result]]:
    pop = Population(base, boxes_csv, users, seconds, pacing, mix, news, out, copies=copies)
    if on_start:
        on_start(pop, time.time())
    return pop.wait()


def prime(base: str, boxes_csv: Path, users: int, mix: list, news: list[str], out: Path, copies: Path,
          limit: int = 900) -> tuple[Result, list[Result]]:
    """Every box loads every screen of ``mix`` once, back to back (8
    connections a screen), keeping its copies in ``copies``."""
    pop = Population(base, boxes_csv, users, limit, 1.0, mix, news, out, copies=copies, prime=True)
    deadline = time.time() + limit
    while time.time() < deadline and len(list(out.glob("done-*"))) < pop.threads:
        if all(p.poll() is not None for _n, p, _l in pop.procs):
            break
        time.sleep(0.5)
    for _n, p, _l in pop.procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)  # wrk stops and reports what it measured
    return pop.wait()

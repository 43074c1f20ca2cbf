"""Load: a population of set-top boxes against the whole system, on this machine.

Starts the whole system as separate processes (``python -m tvapp.launcher``
in a temporary VAR_DIR on a free port: private Redis, reference back end,
migrations, demo data, gunicorn, workers, the sweep), adds N households to
the back end and to tvapp's database with one paired box each
(``bench.load.seed``), then measures, each client a separate process:

1. shared screens (home, certificate catalogue, news list) against a private
   nginx serving the same bytes as static files, same client (wrk, closed
   loop, same connections and boxes' cookies), full fetches and
   revalidations (``If-None-Match``): requests/s, p50, p99 and app/nginx;
2. households (wrk with ``bench/load/boxes.lua``, one process a screen; see
   ``bench/load/boxes.py``): N boxes each loading a screen every PACING
   seconds on average doing what households do: p50, p99 and errors per
   screen and in all, and what the load generator itself costs in CPU next to
   the system; first a floor (the same boxes against nginx) and a ladder of
   populations;
3. personal screens only (나의 민원, bills, certificate and payment starts):
   the load stepped up; the highest rate whose p99 stays under 100 ms with no
   errors.

Prints the machine, the settings and every figure; never fails a run (a
missing tool or a failed phase is reported and the rest goes on).

Settings (environment): BENCH_LOAD_USERS (boxes in phase 2, default 1000),
BENCH_LOAD_SECONDS (phase 2 seconds, 40), BENCH_LOAD_PACING (5), BENCH_LOAD_HOUSEHOLDS
(seeded, default max(users, 1000)), BENCH_LOAD_WEB_WORKERS (2), BENCH_LOAD_WEB_THREADS (8),
BENCH_LOAD_WRK_SECONDS (5), BENCH_LOAD_CONNECTIONS (64),
BENCH_LOAD_STEPS (personal req/s steps, "50,100,200,300,400"),
BENCH_LOAD_STEP_SECONDS (15), BENCH_LOAD_LADDER (household populations tried
before the main run, stopping at the first that misses the target,
"500,1000,1500,2000"), BENCH_LOAD_LADDER_SECONDS (30), BENCH_LOAD_WARMUP (seconds the
same boxes run, unmeasured, before each household run: 15), BENCH_LOAD_PHASES
(shared,households,personal,costs). ``make bench`` with the defaults takes about
ten minutes; the full runs recorded in BENCHMARKS.md are
``BENCH_LOAD_USERS=10000 BENCH_LOAD_SECONDS=60 BENCH_LOAD_LADDER=1000,1500,2000,2500,3000
BENCH_LOAD_STEPS=100,150,200,300 python -m bench bench_load`` (run D, with the front: ladder
2000,3000,4000,5000,6000,8000). BENCH_LOAD_WEB_FRONT (nginx; none: gunicorn faces the boxes) and
BENCH_LOAD_FRONT_CACHE_SECONDS (2) set the front. BENCH_LOAD_COPIES: keep (the default: the boxes keep
their copies of screens and revalidate them as browsers do, after a first pass in which every box loads
나의 민원, a request and the bills once - households in use during a deadline evening) or none (every load a full fetch, as in runs A-D).
Phases 3 and the costs always fetch in full: they measure rendering.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGETS = ("targets: 10,000 households at one screen per 5 s with p99 < 100 ms and no errors; "
           "shared screens >= 25% of nginx's requests/s; personal screens: req/s at p99 < 100 ms")
SHARED = [("home", "/tv/"), ("catalogue", "/tv/certificates/"), ("news list", "/tv/news/")]
P99_LIMIT = 100.0


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Settings:
    def __init__(self):
        self.users = env_int("BENCH_LOAD_USERS", 1000)
        self.seconds = env_int("BENCH_LOAD_SECONDS", 40)
        self.pacing = env_float("BENCH_LOAD_PACING", 5.0)
        self.households = env_int("BENCH_LOAD_HOUSEHOLDS", max(self.users, 1000))
        self.web_workers = env_int("BENCH_LOAD_WEB_WORKERS", 2)
        self.wrk_seconds = env_int("BENCH_LOAD_WRK_SECONDS", 5)
        self.connections = env_int("BENCH_LOAD_CONNECTIONS", 64)
        self.web_threads = env_int("BENCH_LOAD_WEB_THREADS", 8)
        self.steps = [float(x) for x in os.environ.get("BENCH_LOAD_STEPS", "50,100,200,300,400").split(",") if x]
        self.step_seconds = env_int("BENCH_LOAD_STEP_SECONDS", 15)
        self.phases = os.environ.get("BENCH_LOAD_PHASES", "shared,households,personal,costs").split(",")
        self.ladder = [int(x) for x in os.environ.get("BENCH_LOAD_LADDER", "500,1000,1500,2000").split(",") if x]
        self.ladder_seconds = env_int("BENCH_LOAD_LADDER_SECONDS", 30)
        self.warmup = env_int("BENCH_LOAD_WARMUP", 15)
        # keep: boxes keep their copies of screens (ETags) as browsers do, after a first pass in which
        # every box loads every screen once; none: every load is a full fetch (a population just switched on)
        self.copies = os.environ.get("BENCH_LOAD_COPIES", "keep")
        # gunicorn: enough connections for every box to keep its own alive between screens
        self.web = dict(WEB_WORKERS=self.web_workers, WEB_THREADS=self.web_threads, WEB_KEEPALIVE=int(self.pacing * 3) + 5,
                        WEB_CONNECTIONS=max(1000, self.users + 500),
                        WEB_WORKER_CLASS=os.environ.get("BENCH_LOAD_WEB_WORKER_CLASS", "tvapp.webworker.ScreenWorker"),
                        WEB_FRONT=os.environ.get("BENCH_LOAD_WEB_FRONT", "nginx"),
                        FRONT_CACHE_SECONDS=env_int("BENCH_LOAD_FRONT_CACHE_SECONDS", 2))

    def describe(self) -> str:
        return ("settings: %d households seeded; phase 2: %d boxes, one screen each per %.0f s (%.0f screens/s "
                "offered), %d s measured after a %d s warm-up; phase 1 wrk: %d connections, %d s per run; "
                "personal steps %s req/s, %d s each; gunicorn %d workers x %d threads (%s), keep-alive %d s, "
                "%d connections per worker; front %s (shared screens kept %d s); boxes' copies: %s" % (
                    self.households, self.users, self.pacing, self.users / self.pacing, self.seconds, self.warmup,
                    self.connections, self.wrk_seconds,
                    "/".join("%g" % s for s in self.steps), self.step_seconds, self.web["WEB_WORKERS"],
                    self.web["WEB_THREADS"], self.web["WEB_WORKER_CLASS"], self.web["WEB_KEEPALIVE"],
                    self.web["WEB_CONNECTIONS"], self.web["WEB_FRONT"], self.web["FRONT_CACHE_SECONDS"],
                    "kept (ETags; every box first loads its household screens once)" if self.copies == "keep"
                    else "none (every load a full fetch)"))


def print_machine() -> None:
    import psutil

    from bench.load.system import tool_version

    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print("machine: %s; %d cores (%s); %.1f GB RAM; load average %.2f %.2f %.2f (other work on the machine "
          "counts against every figure)" % (platform.platform(), os.cpu_count(), cpu or "?",
                                            psutil.virtual_memory().total / 2 ** 30, *os.getloadavg()))
    import gunicorn

    print("tools: Python %s, gunicorn %s, %s, %s, %s" % (
        platform.python_version(), gunicorn.__version__,
        tool_version(["nginx", "-v"]).replace("nginx version: ", ""), tool_version(["wrk", "-v"]).split(" [")[0],
        tool_version(["redis-server", "--version"]).split(" sha=")[0]))


def loadavg() -> str:
    return "load average %.2f" % os.getloadavg()[0]


# -- phase 1: shared screens against nginx ------------------------------------------

def start_nginx(system, boxes: list[dict], tmp: Path):
    """nginx serving the shared screens' bytes, as the app sent them to the first box."""
    import requests

    from bench.load.system import Nginx

    nginx = Nginx(tmp, workers=os.cpu_count() or 1)
    for _name, path in SHARED:
        nginx.put(path, requests.get(system.base + path, headers={"Cookie": boxes[0]["cookie"]}, timeout=10).content)
    return nginx.start()


def phase_shared(system, nginx, boxes: list[dict], s: Settings, tmp: Path) -> None:
    import requests

    from bench.load.system import BareGunicorn, cpu_seconds, wrk

    sample = boxes[:1000]
    print("\n-- shared screens vs nginx serving the same bytes (wrk: 1 thread, %d connections, %d s a run, %d "
          "boxes' cookies in turn; 'revalidate': each box's If-None-Match) --" % (
              s.connections, s.wrk_seconds, len(sample)))
    print("   ceiling: the same gunicorn serving the same bytes from a bare WSGI callable (no Flask, no Redis)")
    sess = requests.Session()
    tags: dict[str, list[tuple[str, str]]] = {}
    for _name, path in SHARED:
        tags[path] = [(b["cookie"], sess.get(system.base + path, headers={"Cookie": b["cookie"]},
                                             timeout=10).headers.get("ETag", "")) for b in sample]
    roles = system.pids()
    web_pids = roles.get("web", []) + roles.get("redis", [])
    app_pids = web_pids + roles.get("front", [])
    upstream = system.upstream
    if upstream:
        print("   app: the system as `make run` starts it (the nginx front, gunicorn behind it); gunicorn: the "
              "same app without the front")
    elif system.var.joinpath("front", "nginx.conf").exists():
        print("   app: the system as `make run` starts it (the nginx front, gunicorn behind it on a unix socket"
              " only: not measured without the front)")
    w = s.web
    print("%-10s %-10s %-8s %8s %7s %7s %6s %8s %9s %9s" % (
        "screen", "fetch", "server", "req/s", "p50 ms", "p99 ms", "errors", "vs nginx", "CPU/req", "wrk/req"))
    try:
        for name, path in SHARED:
            ntag = sess.get(nginx.base + path, timeout=5).headers.get("ETag", "")
            bare = BareGunicorn(tmp, (nginx.www / path.lstrip("/") / "index.html").read_bytes(), w["WEB_WORKERS"],
                                w["WEB_THREADS"], w["WEB_KEEPALIVE"], w["WEB_CONNECTIONS"]).start()
            try:
                for mode in ("full", "revalidate"):
                    runs = [("app", system.base, app_pids,
                             [(t, e if mode == "revalidate" else "") for t, e in tags[path]]),
                            ("nginx", nginx.base, nginx.pids(),
                             [(b["cookie"], ntag if mode == "revalidate" else "") for b in sample])]
                    if upstream:
                        runs.append(("gunicorn", upstream, web_pids,
                                     [(t, e if mode == "revalidate" else "") for t, e in tags[path]]))
                    if mode == "full":
                        runs.append(("ceiling", bare.base, bare.pids(), [(b["cookie"], "") for b in sample]))
                    res = {}
                    for who, base, pids, boxes_ in runs:
                        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                        s0 = cpu_seconds(pids)
                        r = wrk(base, path, boxes_, s.wrk_seconds, s.connections, 1, tmp)
                        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                        served = r["rps"] * s.wrk_seconds or 1
                        r["server_ms"] = (cpu_seconds(pids) - s0) * 1000 / served
                        r["client_ms"] = (c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) * 1000 / served
                        res[who] = r
                    for who, r in res.items():
                        vs = "%.1f%%" % (100.0 * r["rps"] / res["nginx"]["rps"]) if res["nginx"]["rps"] and \
                            who != "nginx" else ""
                        print("%-10s %-10s %-8s %8.0f %7.2f %7.2f %6d %8s %6.3f ms %6.3f ms" % (
                            name, mode, who, r["rps"], r.get("p50", 0), r.get("p99", 0), r["errors"], vs,
                            r["server_ms"], r["client_ms"]))
            finally:
                bare.stop()
        # Every TV screen also opens the ticker's EventSource: past the live streams a process
        # allows (TICKER_STREAMS), a box gets the state at once and comes back in a minute.
        holders = []  # boxes holding every live stream first, as boxes sitting on a screen do
        for b in sample[:4 * s.web["WEB_THREADS"] * s.web["WEB_WORKERS"]]:
            holders.append(requests.get(system.base + "/tv/ticker", headers={"Cookie": b["cookie"]}, stream=True,
                                        timeout=10))
        c0 = cpu_seconds(web_pids)
        r = wrk(system.base, "/tv/ticker", [(b["cookie"], "") for b in sample], s.wrk_seconds, s.connections, 1, tmp)
        served = r["rps"] * s.wrk_seconds or 1
        for h in holders:
            h.close()
        print("%-10s %-10s %-8s %8.0f %7.2f %7.2f %6d %8s %6.3f ms %9s" % (
            "ticker", "SSE, busy", "app", r["rps"], r.get("p50", 0), r.get("p99", 0), r["errors"], "",
            (cpu_seconds(web_pids) - c0) * 1000 / served, ""))
        print("(CPU/req: the server's processes (app: gunicorn and Redis) per request served; wrk/req: the "
              "client's; ticker: /tv/ticker past the live-stream limit, one event and retry in a minute - one "
              "more request per screen a box opens; %s)" % loadavg())
    finally:
        pass


# -- phase 2 and 3: boxes (wrk) ------------------------------------------------------

class CpuWindow(threading.Thread):
    """CPU seconds of the system's and the generator's processes between two moments."""

    def __init__(self, system, gen_pids: list[int], start_at: float, end_at: float):
        super().__init__(daemon=True)
        self.system, self.gen_pids, self.start_at, self.end_at = system, gen_pids, start_at, end_at
        self.result: dict | None = None

    def sample(self):
        from bench.load.system import cpu_seconds, machine_busy

        roles = self.system.pids() if self.system else {}
        out = {role: cpu_seconds(pids) for role, pids in roles.items()}
        out["_generator"] = cpu_seconds(self.gen_pids)
        out["_machine"], out["_wall"] = machine_busy()
        return out

    def run(self):
        time.sleep(max(0.0, self.start_at - time.time()))
        a = self.sample()
        time.sleep(max(0.0, self.end_at - time.time()))
        b = self.sample()
        self.result = {k: b.get(k, 0.0) - a.get(k, 0.0) for k in b}


def run_boxes(system, base: str, boxes_csv: Path, users: int, seconds: int, s: Settings, mix: list,
              out: Path, news: list[str], copies: Path | None = None):
    """One population for ``seconds``: ``(total, per-screen rows, CPU over the run but its first and
    last seconds)``."""
    from bench.load import boxes

    windows = []

    def on_start(pop, t0):
        w = CpuWindow(system, pop.pids(), t0 + min(3, seconds / 4), t0 + seconds - 1)
        w.start()
        windows.append(w)

    total, rows = boxes.run(base, boxes_csv, users, seconds, s.pacing, mix, news, out, on_start, copies=copies)
    windows[0].join(5)
    return total, rows, windows[0].result


def settle(system, seconds: float = 180) -> None:
    """Wait until the web processes are idle again (a run past capacity leaves
    queued requests behind), so the next run starts clean."""
    from bench.load.system import cpu_seconds

    deadline = time.time() + seconds
    pids = system.pids().get("web", []) + system.pids().get("back end", [])
    while time.time() < deadline:
        c0 = cpu_seconds(pids)
        time.sleep(2)
        if cpu_seconds(pids) - c0 < 0.1:
            return


def households_run(system, boxes_csv: Path, users: int, seconds: int, s: Settings, tmp: Path, name: str,
                   news: list[str], mix=None, copies: Path | None = None):
    """One population, measured after a warm-up run of the same boxes (a box in
    use has its identity and bills cached; the first screen of a box just
    switched on costs more: see BENCHMARKS.md). ``copies``: the boxes keep
    their copies of the screens there (``bench.load.boxes``)."""
    from bench.load.boxes import HOUSEHOLD

    mix = mix or HOUSEHOLD
    if s.warmup:
        settle(system)
        run_boxes(system, system.base, boxes_csv, users, s.warmup, s, mix, tmp / (name + "-warmup"), news,
                  copies=copies)
    settle(system)
    return run_boxes(system, system.base, boxes_csv, users, seconds, s, mix, tmp / name, news, copies=copies)


def prime_copies(system, boxes_csv: Path, s: Settings, tmp: Path, news: list[str]) -> Path | None:
    """Every box loads every screen once (the copies boxes in use have); None
    when the boxes keep no copies."""
    from bench.load import boxes

    if s.copies != "keep":
        return None
    copies = tmp / "copies"
    settle(system)
    t = time.time()
    mix = [m for m in boxes.HOUSEHOLD if m[0] in boxes.KEPT_NAMES]
    total, rows = boxes.prime(system.base, boxes_csv, s.users, mix, news, tmp / "prime", copies)
    kept = sum(1 for f in copies.glob("copies-*.txt") for _line in open(f))
    print("first pass: every one of %d boxes loaded %s once, back to back: %d loads in %.0f s (%.0f/s), "
          "errors: %s; %d copies kept (the other screens' copies are made as the runs go)" % (
              s.users, ", ".join(m[0] for m in mix), total.requests, time.time() - t,
              total.requests / max(1.0, time.time() - t), errors_text(total), kept))
    return copies


def cpu_line(cpu: dict, total) -> tuple[float, float]:
    """Per-request CPU (ms) of the system and of the generator over the window."""
    served = total.rps * max(1.0, cpu["_wall"])
    system_cpu = sum(v for k, v in cpu.items() if not k.startswith("_"))
    return system_cpu * 1000 / max(1.0, served), cpu["_generator"] * 1000 / max(1.0, served)


def meets(total, users: int, s: Settings) -> bool:
    return total.percentile(99) < P99_LIMIT and total.errors == 0 and total.rps >= 0.9 * users / s.pacing


def errors_text(r) -> str:
    return ", ".join("%s %d" % kv for kv in sorted(r.error_kinds.items())) or "none"


def news_ids(system, boxes_csv: Path) -> list[str]:
    import csv
    import re

    import requests

    with open(boxes_csv, newline="") as f:
        token = next(csv.DictReader(f))["token"]
    page = requests.get(system.base + "/tv/news/", cookies={"tv_device": token}, timeout=10).text
    return re.findall(r'href="/tv/news/(\d+)', page)[:5]


def phase_households(system, nginx, boxes_csv: Path, s: Settings, tmp: Path) -> None:
    news = news_ids(system, boxes_csv)
    print("\n-- households: each box loads a screen every %.0f s on average (wrk with bench/load/boxes.lua: "
          "one process a screen, its share of the boxes as keep-alive connections, on the same cores); "
          "%s --" % (s.pacing, loadavg()))
    if nginx is not None:
        calib = min(s.seconds, 20)
        settle(system)
        total, _rows, cpu = run_boxes(None, nginx.base, boxes_csv, s.users, calib, s, [("floor", 1, "/tv/")],
                                      tmp / "calibration", news)
        print("floor: %d boxes, same generator and pacing, against nginx (the home screen's bytes), %d s: %.0f "
              "req/s, p50 %.2f ms, p99 %.2f ms, errors: %s; the generator %.3f ms CPU a request - what it and the "
              "machine add to every figure below" % (
                  s.users, calib, total.rps, total.percentile(50), total.percentile(99), errors_text(total),
                  (cpu or {}).get("_generator", 0) * 1000 / max(1, total.rps * (cpu or {}).get("_wall", 1))))

    copies = prime_copies(system, boxes_csv, s, tmp, news)
    if s.ladder:
        print("\npopulation ladder (%d s each, after a %d s warm-up): the largest population that meets the "
              "target" % (s.ladder_seconds, s.warmup))
        print("%10s %9s %9s %8s %8s %8s %6s %10s %10s" % ("households", "offered/s", "served/s", "p50 ms",
                                                          "p99 ms", "errors", "304s", "system/req", "wrk/req"))
        best = None
        for users in s.ladder:
            total, _rows, cpu = households_run(system, boxes_csv, users, s.ladder_seconds, s, tmp,
                                               "ladder-%d" % users, news, copies=copies)
            per_sys, per_gen = cpu_line(cpu, total) if cpu else (0.0, 0.0)
            ok = meets(total, users, s)
            print("%10d %9.0f %9.1f %8.1f %8.1f %8d %5.0f%% %7.2f ms %7.3f ms %s" % (
                users, users / s.pacing, total.rps, total.percentile(50), total.percentile(99), total.errors,
                100.0 * total.notmod / max(1, total.requests), per_sys, per_gen, "meets" if ok else "does not"))
            if ok:
                best = users
            else:
                break
        print("result: %s" % ("%d households (%.0f screens/s) with p99 under 100 ms and no errors" % (
            best, best / s.pacing) if best else "no population in the ladder met the target"))

    print("\n%d households: %.0f screens/s offered, %d s measured after a %d s warm-up" % (
        s.users, s.users / s.pacing, s.seconds, s.warmup))
    total, rows, cpu = households_run(system, boxes_csv, s.users, s.seconds, s, tmp, "households", news,
                                      copies=copies)
    print("%-22s %6s %9s %8s %8s %8s %8s %6s" % ("screen", "boxes", "requests", "errors", "req/s", "p50 ms", "p99 ms",
                                                 "304s"))
    from bench.load.boxes import HOUSEHOLD, split

    boxes_per = {n: c for n, _p, c in split(s.users, HOUSEHOLD)}
    for r in rows + [total]:
        print("%-22s %6d %9d %8d %8.1f %8.1f %8.1f %5.0f%%" % (
            r.name, boxes_per.get(r.name, s.users), r.requests, r.errors, r.rps, r.percentile(50),
            r.percentile(99), 100.0 * r.notmod / max(1, r.requests)))
    print("result: %d households, %.0f req/s served of %.0f offered, p50 %.1f ms, p99 %.1f ms, %d errors "
          "(%.2f%%; %s): target (p99 < 100 ms, no errors) %s" % (
              s.users, total.rps, s.users / s.pacing, total.percentile(50), total.percentile(99), total.errors,
              100.0 * total.errors / max(1, total.requests), errors_text(total),
              "MET" if meets(total, s.users, s) else "NOT met"))
    if cpu:
        cores = os.cpu_count() or 1
        system_cpu = sum(v for k, v in cpu.items() if not k.startswith("_"))
        print("CPU over %.0f s (%d cores = %.0f core-seconds): the system %.1f s (%s), the load generator "
              "(wrk) %.1f s, everything on the machine %.1f s (%.0f%% busy)" % (
                  cpu["_wall"], cores, cores * cpu["_wall"], system_cpu,
                  ", ".join("%s %.1f" % (k, v) for k, v in sorted(cpu.items()) if not k.startswith("_")),
                  cpu["_generator"], cpu["_machine"], 100.0 * cpu["_machine"] / (cores * cpu["_wall"])))
        per_sys, per_gen = cpu_line(cpu, total)
        print("per request: the system %.2f ms CPU, wrk %.3f ms CPU; other work on the machine took %.1f "
              "core-seconds of the window" % (per_sys, per_gen,
                                              max(0.0, cpu["_machine"] - system_cpu - cpu["_generator"])))
        print("capacity if this machine's %d cores did nothing else, at this run's cost a request: %.0f req/s "
              "with the generator on them (%.0f households), %.0f req/s for the system alone (%.0f households)" % (
                  cores, cores * 1000 / (per_sys + per_gen), cores * 1000 / (per_sys + per_gen) * s.pacing,
                  cores * 1000 / per_sys, cores * 1000 / per_sys * s.pacing))


def phase_costs(system, boxes_csv: Path, s: Settings, tmp: Path) -> None:
    """Each screen alone at a light load (100 boxes a screen): the CPU it costs
    the system per request, by process, and its latency - where a household's
    3 ms go."""
    from bench.load.boxes import HOUSEHOLD

    news = news_ids(system, boxes_csv)
    users = min(s.households, 500)
    print("\n-- what each screen costs: %d boxes on that screen only, %d s each, after a %d s warm-up; %s --" % (
        users, s.step_seconds, s.warmup, loadavg()))
    print("%-22s %8s %8s %8s %11s %s" % ("screen", "req/s", "p50 ms", "p99 ms", "system/req", "by process"))
    for name, _w, path in HOUSEHOLD:
        total, _rows, cpu = households_run(system, boxes_csv, users, s.step_seconds, s, tmp, "cost-%s" % name,
                                           news, mix=[(name, 1, path)])
        if not cpu:
            continue
        served = max(1.0, total.rps * cpu["_wall"])
        per = {k: v * 1000 / served for k, v in cpu.items() if not k.startswith("_")}
        print("%-22s %8.1f %8.1f %8.1f %8.2f ms %s" % (
            name, total.rps, total.percentile(50), total.percentile(99), sum(per.values()),
            ", ".join("%s %.2f" % kv for kv in sorted(per.items()) if kv[1] >= 0.01)))


def phase_personal(system, boxes_csv: Path, s: Settings, tmp: Path) -> None:
    from bench.load.boxes import PERSONAL

    print("\n-- personal screens only (나의 민원, one request, bills, one bill, the certificate who screen, the "
          "payment start), stepped up; %s --" % loadavg())
    print("%10s %8s %9s %8s %8s %8s %s" % ("offered/s", "boxes", "req/s", "p50 ms", "p99 ms", "errors", ""))
    best = None
    for rate in s.steps:
        users = max(len(PERSONAL), int(round(rate * s.pacing)))
        try:
            total, _rows, _cpu = households_run(system, boxes_csv, users, s.step_seconds, s, tmp,
                                                "personal-%g" % rate, [], mix=PERSONAL)
        except Exception as exc:  # noqa: BLE001
            print("%10g step failed: %s" % (rate, exc))
            break
        good = total.percentile(99) < P99_LIMIT and total.errors == 0
        print("%10g %8d %9.1f %8.1f %8.1f %8d %s" % (rate, users, total.rps, total.percentile(50),
                                                      total.percentile(99), total.errors,
                                                      "ok" if good else "over the limit"))
        if good:
            best = total.rps if best is None else max(best, total.rps)
        else:
            break
    print("result: personal screens: %s" % (
        "%.0f req/s with p99 under 100 ms and no errors" % best if best else
        "no step kept p99 under 100 ms with no errors"))


def main() -> int:
    print(TARGETS)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:  # every box is a connection (wrk, gunicorn and nginx inherit this)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    s = Settings()
    try:
        print_machine()
    except Exception as exc:  # noqa: BLE001
        print("machine: (%s)" % exc)
    print(s.describe())
    from bench.load.system import System, tool_version

    if tool_version(["wrk", "-v"]) == "not installed":
        print("note: wrk is not installed (apt-get install wrk): the nginx comparison is skipped")
    system = None
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmpname:
        tmp = Path(tmpname)
        try:
            t = time.time()
            system = System(tmp, **s.web).start()
            print("system up in %.1f s at %s (launcher: Redis, back end, migrations, demo data, gunicorn, "
                  "workers, sweep)" % (time.time() - t, system.base))
            from bench.load.seed import seed
            from services.core.config import DEFAULT_PII_KEY

            t = time.time()
            boxes = seed(s.households, system.backend_db, system.database_url,
                         os.environ.get("PII_KEY", DEFAULT_PII_KEY), tmp / "boxes.csv")
            print("seeded %d households (back end and tvapp), %d paired boxes, %d requests in %.1f s" % (
                len(boxes), len(boxes), 2 * len(boxes), time.time() - t))
        except Exception as exc:  # noqa: BLE001
            print("load figures skipped: the system did not start: %s: %s" % (type(exc).__name__, exc))
            if system:
                system.stop()
            return 0
        nginx = None
        try:
            try:
                nginx = start_nginx(system, boxes, tmp)
            except Exception as exc:  # noqa: BLE001
                print("nginx comparison skipped: %s: %s" % (type(exc).__name__, exc))
            for phase in (phase_shared, phase_households, phase_personal, phase_costs):
                if phase.__name__.removeprefix("phase_") not in s.phases:
                    continue
                try:
                    if phase is phase_shared:
                        if nginx is None or not shutil.which("wrk"):
                            continue
                        phase(system, nginx, boxes, s, tmp)
                        # the live ticker streams its ticker run opened hold web threads
                        # until they run out: no later figure should pay for them
                        from broadcast_feed.push import STREAM_SECONDS

                        print("(waiting %.0f s for phase 1's live ticker streams to end)" % STREAM_SECONDS)
                        time.sleep(STREAM_SECONDS + 2)
                    elif phase is phase_households:
                        phase(system, nginx, tmp / "boxes.csv", s, tmp)
                    else:
                        phase(system, tmp / "boxes.csv", s, tmp)
                except Exception as exc:  # noqa: BLE001 - a bench reports, it never fails the run
                    print("%s skipped: %s: %s" % (phase.__name__, type(exc).__name__, exc))
        finally:
            if nginx is not None:
                nginx.stop()
            system.stop()
            errors = system.logged_errors()
            print("\nserver-side errors logged during the run: %d%s" % (
                len(errors), "".join("\n  " + e for e in errors[-12:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

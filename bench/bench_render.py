"""Render ratios: what a full render of each household screen costs next to a
trivial Flask route of the same app returning the same bytes.

One process, one run: the real app (test client, no server) on a private
Redis, the reference back end and a migrated SQLite in a temporary folder,
with the demo households and a paired box. Each screen is asked for without
``If-None-Match`` (a full render, through whatever decorator the view has);
then its bytes are served by ``/_bench/bytes/<name>``, a route added to the
same app. Prints the median time of each and the ratio (target: at most 3).

``python -m bench.bench_render`` (or ``make bench``); ``--profile`` prints a
cProfile of 나의 민원 with 30 requests instead; ``--parts`` prints where each
screen's time goes beyond the trivial route, part by part, in microseconds
of wall time (the parts' functions timed in place, no profiler). Never fails
a run.
"""

from __future__ import annotations

import cProfile
import importlib
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_tv import start_system

ROUNDS = 100
BLOCKS = 3
TARGET = 3.0
HOUSEHOLD = "1144012-0001"
BILL = "1144012608260000022"  # an unpaid demo bill (주민세)


def seed_requests(rt, household_id: int, count: int = 30, events: int = 20) -> str:
    """``count`` requests for the household; the last one with ``events`` events."""
    from services import ledger
    from services.models import utcnow

    with rt.session() as s:
        receipt = None
        for i in range(count):
            req, _ = ledger.create_request(
                s, rt.crypto, client_token="bench-render-%d-%s" % (i, utcnow().timestamp()),
                kind="certificate", household_id=household_id, resident_id=None, channel="tv",
                delivery_method="fax", delivery_address="02-1234-5678",
                options={"certificate_type": "resident-copy"})
            receipt = req.receipt_no
        kinds = ["sent_to_backend", "accepted", "issued", "delivering", "failed", "retried"]
        for j in range(events - 1):  # create_request appended "received"
            detail = {"page": j % 3 + 1, "pages": 3} if kinds[j % len(kinds)] == "delivering" else {}
            ledger.append_event(s, req.id, "ev-%d" % j, kinds[j % len(kinds)], detail)
        return receipt


def paired_client(app, rt):
    from sqlalchemy import select

    from services.households import get_household
    from services.models import Device, utcnow
    from tvapp.tv.device import COOKIE, HASH_PURPOSE

    client = app.test_client()
    client.get("/tv/")
    token = client.get_cookie(COOKIE).value
    with rt.session() as s:
        d = s.scalar(select(Device).where(Device.token_hash == rt.crypto.keyed_hash(token, HASH_PURPOSE)))
        d.household_id = get_household(s, HOUSEHOLD).id
        d.paired_at = utcnow()
        return client, d.household_id


def timed(client, path: str, rounds: int) -> tuple[float, bytes, int]:
    times = []
    resp = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        resp = client.get(path)
        body = resp.get_data()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), body, resp.status_code


def setup(tmp: Path):
    rt, procs = start_system(tmp)
    from tvapp import create_app

    app = create_app(rt.config)
    served: dict[str, bytes] = {}

    def same_bytes(name):
        return app.response_class(served[name], mimetype="text/html")

    app.add_url_rule("/_bench/bytes/<name>", "bench_bytes", same_bytes)
    client, household_id = paired_client(app, rt)
    receipt = seed_requests(rt, household_id)
    return rt, procs, app, client, receipt, served


def screens(receipt: str):
    return [
        ("나의 민원 (30)", "requests", "/tv/requests/"),
        ("request (20 events)", "request", "/tv/requests/%s" % receipt),
        ("bills", "bills", "/tv/taxes/"),
        ("one bill", "bill", "/tv/taxes/bill/%s" % BILL),
        ("card screen", "card", "/tv/taxes/bill/%s/card" % BILL),
    ]


def ratios(client, receipt, served, rounds=ROUNDS, blocks=BLOCKS) -> None:
    """Each screen and then its bytes, ``rounds`` requests in a row each, in
    ``blocks`` turns: the best block's median of each (the machine is shared;
    the best block is the one least disturbed)."""
    print("household screen       status  bytes   full render   same bytes   ratio (target <= %.0fx)" % TARGET)
    for label, name, path in screens(receipt):
        _, body, status = timed(client, path, 5)  # warm: templates compiled, caches of the process filled
        served[name] = body
        timed(client, "/_bench/bytes/" + name, 5)
        full = trivial = float("inf")
        for _ in range(blocks):
            full = min(full, timed(client, path, rounds)[0])
            t, same, _ = timed(client, "/_bench/bytes/" + name, rounds)
            trivial = min(trivial, t)
        assert same == body
        print("%-22s %6d %7d %10.2f ms %10.2f ms %7.1fx%s" % (
            label, status, len(body), full * 1000, trivial * 1000, full / trivial,
            "" if full / trivial <= TARGET else "  (over)"))


def profile(client, receipt, rounds=ROUNDS) -> None:
    timed(client, "/tv/requests/", 5)
    prof = cProfile.Profile()
    prof.enable()
    timed(client, "/tv/requests/", rounds)
    prof.disable()
    stats = pstats.Stats(prof)
    print("cProfile of %d renders of 나의 민원 (30 requests): %.2f ms per render" % (
        rounds, 1000 * stats.total_tt / rounds))
    stats.sort_stats("cumulative").print_stats(35)


# What a household screen does that the trivial route does not, each timed
# where it is called: (label, module, function). Indented labels are parts of
# the one above them.
PARTS = (
    ("the box and its household (one query)", "services.devices", "identity"),
    ("validator: counters, flow, bills digest (Redis)", "tvapp.caching", "_made_of"),
    ("bills kept from the back end (Redis, decrypt)", "services.taxes.bills", "household_bills"),
    ("the box's flow (Redis, decrypt)", "tvapp.flow", "Flow.load"),
    ("the payer's email (one query, decrypt)", "services.taxes.payments", "payer_email"),
    ("the payment order (one query)", "services.taxes.payments", "prepare_order"),
    ("certificates offered again (나의 민원)", "services.certificates.requests", "repeat_offers"),
    ("request rows (one query)", "services.ledger", "household_request_page"),
    ("request and events (one query)", "services.ledger", "request_screen"),
    ("render_template", "flask.templating", "_render"),
    ("  context processors", "flask.app", "Flask.update_template_context"),
    ("    of which the ticker (one query)", "broadcast_feed.push", "ticker_payload"),
    ("  remote_nav finish", "remote_nav.prepare", "finish"),
)


def _timed_parts(spent: dict) -> list:
    """Wrap each part's function where its callers find it; returns the undo list."""
    undo = []
    for label, module, name in PARTS:
        owner = importlib.import_module(module)
        *path, attr = name.split(".")
        for step in path:
            owner = getattr(owner, step)
        fn = getattr(owner, attr)

        def timed(*args, _fn=fn, _label=label, **kwargs):
            t0 = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t0

        setattr(owner, attr, timed)
        undo.append((owner, attr, fn))
    return undo


def parts(client, receipt, served, rounds=ROUNDS, blocks=BLOCKS) -> None:
    """Each screen: the full render and the trivial route (best block's mean),
    and the parts' shares of the difference (best block each)."""
    for label, name, path in screens(receipt):
        _, body, _ = timed(client, path, 5)
        served[name] = body
        trivial = min(timed(client, "/_bench/bytes/" + name, rounds)[0] for _ in range(blocks))
        spent: dict = {}
        undo = _timed_parts(spent)
        try:
            full, best = float("inf"), {}
            for _ in range(blocks):
                spent.clear()
                t0 = time.perf_counter()
                for _ in range(rounds):
                    client.get(path).get_data()
                full = min(full, (time.perf_counter() - t0) / rounds)
                for k, v in spent.items():
                    best[k] = min(best.get(k, float("inf")), v / rounds)
        finally:
            for owner, attr, fn in undo:
                setattr(owner, attr, fn)
        print("%s: full render %.0f us (mean), trivial route %.0f us, difference %.0f us" % (
            label, full * 1e6, trivial * 1e6, (full - trivial) * 1e6))
        top = 0.0
        for part, _, _ in PARTS:
            if part in best:
                print("  %-52s %6.0f us" % (part, best[part] * 1e6))
                top += best[part] if not part.startswith(" ") else 0.0
        print("  %-52s %6.0f us" % ("the rest (Flask, cookies, headers, the view's code)",
                                      (full - trivial - top) * 1e6))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        try:
            rt, procs, app, client, receipt, served = setup(Path(tmp))
            if "--profile" in sys.argv:
                profile(client, receipt)
            elif "--parts" in sys.argv:
                parts(client, receipt, served)
            else:
                ratios(client, receipt, served)
        except Exception as exc:  # a bench reports, it never fails the run
            print("render ratios skipped: %s: %s" % (type(exc).__name__, exc))
        finally:
            for p in procs:
                p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""SMS figures: MO messages handled per second end to end, through the Kannel
MO endpoint (``GET /gateway/kannel/mo``) on a real HTTP server in front of
the app, with real Redis, a migrated SQLite database and the reference back
end's demo households. Prints figures and settings; never fails a run.

Each message is parsed, deduplicated (an MO row), rate-checked, matched to a
resident by keyed hash, answered and the answer recorded; ``등본 메일`` also
stores a challenge and sends a one-time code through the (outbox) gateway.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

MESSAGES = ["도움말", "상태", "세금", "등본 메일", "초본 팩스 02-123-4567", "아무 말", "취소 20260101-000000"]
PHONES = ["010-0000-%04d" % i for i in range(1, 9)] + ["010-7777-%04d" % i for i in range(50)]
N = int(os.environ.get("BENCH_SMS_N", "600"))


def main() -> None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    from tests.support.procs import BackendServer, RedisServer, free_port

    tmp = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    redis = RedisServer(tmp, tmp / "redis").start()
    backend = BackendServer(tmp, tmp / "backend.sqlite3").start()
    try:
        os.environ.update(TVGOV_ENV="test", VAR_DIR=str(tmp / "var"), REDIS_URL=redis.url,
                          BACKEND_URL=backend.url, DATABASE_URL="sqlite:///%s" % (tmp / "tvgov.sqlite3"),
                          SMS_RATE_PER_PHONE="1000000", SMS_RATE_GLOBAL="100000000", LOG_LEVEL="WARNING")
        from services import demo
        from services.core.config import load_config
        from services.core.migrate import upgrade
        from services.core.runtime import Runtime
        from tvapp import create_app

        config = load_config()
        upgrade(config.DATABASE_URL)
        demo.seed(Runtime(config))
        app = create_app(config)

        class Quiet(WSGIRequestHandler):
            def log_request(self, *a, **k):
                pass

        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True, request_handler=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = "http://127.0.0.1:%d/gateway/kannel/mo" % port
        print("settings: gateway=%s, SMS %d bytes, LMS %s, database SQLite (WAL), Redis %s, "
              "threaded werkzeug server, %d messages per run" % (
                  config.SMS_GATEWAY, config.SMS_MAX_BYTES, "on" if config.LMS_ENABLED else "off",
                  "local", N))
        counter = itertools.count()
        local = threading.local()

        def one(i: int, dup: bool = False) -> int:
            s = getattr(local, "s", None) or requests.Session()
            local.s = s
            n = i if dup else next(counter)
            r = s.get(url, params={"from": PHONES[n % len(PHONES)], "to": "15880000",
                                   "text": MESSAGES[n % len(MESSAGES)], "smsc": "bench", "ts": "t%d" % n},
                      timeout=30)
            return r.status_code

        for conc in (1, 4, 16):
            t0 = time.perf_counter()
            with ThreadPoolExecutor(conc) as pool:
                codes = list(pool.map(one, range(N)))
            dt = time.perf_counter() - t0
            ok = sum(c == 200 for c in codes)
            print("  concurrency %2d: %6.1f MO/s end to end (%d/%d answered 200, %.1f ms mean)" % (
                conc, N / dt, ok, N, 1000 * dt * conc / N))
        # Gateway retries: the same messages again are answered from the record.
        t0 = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: one(i, dup=True), range(N)))
        dt = time.perf_counter() - t0
        print("  retried duplicates (concurrency 4): %6.1f MO/s" % (N / dt))
        server.shutdown()
    finally:
        backend.stop()
        redis.stop()


if __name__ == "__main__":
    main()

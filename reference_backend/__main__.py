"""python -m reference_backend [--host H] [--port P] [--db PATH]"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from werkzeug.serving import make_server

from reference_backend.app import create_app


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="reference_backend")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("--db", default="var/backend.sqlite3")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s backend %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    app = create_app("sqlite:///" + str(Path(args.db).resolve()))
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except OSError as exc:
        print("reference back end: cannot listen on %s:%d (%s)" % (args.host, args.port, exc.strerror),
              file=sys.stderr)
        return 1
    print("reference back end listening on http://%s:%d" % (args.host, args.port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

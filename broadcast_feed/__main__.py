"""``python -m broadcast_feed ingest PATH_OR_URL``: see broadcast_feed.ingest."""

import sys

from broadcast_feed.cli import main

if __name__ == "__main__":
    sys.exit(main())

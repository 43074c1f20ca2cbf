"""Command line for operators: ``python -m fax_bridge render IN.pdf OUT.tif [--normal]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import FaxError
from .render import FINE, NORMAL, FaxHeader, preview_png, render_fax


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the command, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m fax_bridge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="turn a PDF into a TIFF Class F fax file")
    render.add_argument("pdf", type=Path, help="the PDF to fax")
    render.add_argument("tiff", type=Path, help="where to write the TIFF")
    render.add_argument("--normal", action="store_true", help="204x98 instead of 204x196 (fine)")
    render.add_argument("--sender", default="", help="sending office printed in the header line")
    render.add_argument("--preview", type=Path, metavar="DIR",
                        help="also write page-N.png previews into DIR")
    args = parser.parse_args(argv)

    try:
        header = FaxHeader(args.sender) if args.sender else None
        doc = render_fax(args.pdf, resolution=NORMAL if args.normal else FINE, header=header)
        args.tiff.write_bytes(doc.tiff)
        if args.preview:
            args.preview.mkdir(parents=True, exist_ok=True)
            for number, png in enumerate(preview_png(doc.tiff), start=1):
                (args.preview / ("page-%d.png" % number)).write_bytes(png)
    except (FaxError, OSError) as exc:
        print("fax_bridge: %s" % exc, file=sys.stderr)  # noqa: T201
        return 1
    print("%s: %d pages, %s resolution" % (args.tiff, doc.pages, doc.resolution.name))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark module in its own process and print what each reports."""

import os
import platform
import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    only = sys.argv[1:]
    print("machine: %s, %s cores, Python %s" % (platform.platform(), os.cpu_count(), platform.python_version()))
    for path in sorted(here.glob("bench_*.py")):
        name = path.stem
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        print("\n=== %s ===" % name, flush=True)
        rc = subprocess.call([sys.executable, "-m", "bench.%s" % name], cwd=here.parent)
        if rc:
            print("(%s ended with exit code %d; figures above are incomplete)" % (name, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main())

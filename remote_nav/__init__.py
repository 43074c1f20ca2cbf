"""Remote-control navigation for TV web applications.

- :mod:`remote_nav.keys` and :mod:`remote_nav.keymaps`: logical keys and
  per-device key maps (``devices/*.json``).
- :mod:`remote_nav.focus`: navigation declared in markup, the focus graph,
  :func:`annotate` (renders the targets the runtime follows) and checks.
- :mod:`remote_nav.assets`: the ES5 runtime ``static/remote_nav.js``.
- :mod:`remote_nav.driver`: a Playwright driver that presses remote keys.
- :mod:`remote_nav.prepare`: annotation prepared once per Jinja template (no
  HTML parsed per response), and :func:`~remote_nav.prepare.differences`, the
  check that a rendered page is fully annotated.
- :mod:`remote_nav.integration`: optional Flask glue (static route, templates
  annotated when they load or responses after the request, template helpers).

See README.md in this folder for the markup vocabulary and the runtime API.

The package imports nothing but the standard library and lxml (and
Playwright, lazily, in the driver).
"""

from .focus import FocusGraph, Problem, annotate, check
from .keymaps import DeviceMap, all_devices, device_families, keyset_mask, load_device
from .keys import ARROWS, COLOURS, DIGITS, Key, digit_key, parse_key

__all__ = [
    "ARROWS",
    "COLOURS",
    "DIGITS",
    "DeviceMap",
    "FocusGraph",
    "Key",
    "Problem",
    "all_devices",
    "annotate",
    "check",
    "device_families",
    "digit_key",
    "keyset_mask",
    "load_device",
    "parse_key",
]

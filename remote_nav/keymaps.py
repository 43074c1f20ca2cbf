"""Per-device key maps: raw key codes to logical keys.

The maps are JSON data files in ``remote_nav/devices/`` (one per device
family, in the style of bbc/tal's ``config/devices/*.json``). The same data
is embedded in the browser runtime (see :mod:`remote_nav.assets`), so the
Python side and the box always agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .keys import Key

DEVICES_DIR = Path(__file__).resolve().parent / "devices"

#: Order in which the runtime tries families. HbbTV comes first: an HbbTV app on a
#: Tizen or webOS set gets OIPF key codes. The last one is the fallback.
DETECTION_ORDER = ("hbbtv", "tizen", "webos", "maple", "keyboard")

#: HbbTV / OIPF ``keyset.setValue`` masks (OIPF DAE vol. 5, 7.2.5).
KEYSET_MASKS = MappingProxyType({
    "RED": 0x1,
    "GREEN": 0x2,
    "YELLOW": 0x4,
    "BLUE": 0x8,
    "NAVIGATION": 0x10,
    "VCR": 0x20,
    "SCROLL": 0x40,
    "INFO": 0x80,
    "NUMERIC": 0x100,
    "ALPHA": 0x200,
    "OTHER": 0x400,
})


class KeyMapError(ValueError):
    """A device map file is missing or malformed."""


@dataclass(frozen=True)
class DeviceMap:
    """The key map of one device family."""

    family: str
    name: str
    codes: Mapping[int, Key]
    detect_globals: tuple[str, ...] = ()
    detect_user_agent: tuple[str, ...] = ()
    keyset: tuple[str, ...] = ()
    register: Mapping[str, Key] = field(default_factory=dict)
    exit: str = "window"

    def key_for(self, code: int) -> Key | None:
        """The logical key for a raw key code, or None if the device has none."""
        return self.codes.get(int(code))

    def codes_for(self, key: Key | str) -> list[int]:
        """All raw codes that produce ``key`` on this device, ascending."""
        key = Key(key)
        return sorted(code for code, k in self.codes.items() if k is key)

    def code_for(self, key: Key | str) -> int:
        """The main raw code for ``key`` (the lowest); KeyError if unmapped."""
        codes = self.codes_for(key)
        if not codes:
            raise KeyError("%s has no code for %s" % (self.family, Key(key).value))
        return codes[0]

    @property
    def keyset_mask(self) -> int:
        """The HbbTV keyset value this device requests (0 if none)."""
        return keyset_mask(self.keyset)

    def to_runtime(self) -> dict:
        """The plain dict the browser runtime uses (codes as string keys)."""
        data = {
            "family": self.family,
            "map": {str(code): key.value for code, key in sorted(self.codes.items())},
            "detect": {
                "globals": list(self.detect_globals),
                "userAgent": list(self.detect_user_agent),
            },
            "exit": self.exit,
        }
        if self.keyset:
            data["keyset"] = self.keyset_mask
        if self.register:
            data["register"] = {name: key.value for name, key in self.register.items()}
        return data


def keyset_mask(names) -> int:
    """OR together HbbTV keyset masks given by name (``RED``, ``NAVIGATION`` ...)."""
    mask = 0
    for name in names:
        try:
            mask |= KEYSET_MASKS[name.upper()]
        except KeyError:
            raise KeyMapError("unknown keyset name: %r" % name) from None
    return mask


def device_families() -> list[str]:
    """Names of all device families that have a map file, sorted."""
    return sorted(p.stem for p in DEVICES_DIR.glob("*.json"))


def _read(family: str) -> dict:
    path = DEVICES_DIR / ("%s.json" % family)
    if not family.replace("_", "").isalnum() or not path.is_file():
        raise KeyMapError("no key map for device family %r" % family)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise KeyMapError("%s: %s" % (path.name, exc)) from None


def _parse_codes(raw: Mapping, family: str) -> dict[int, Key]:
    codes = {}
    for code, name in raw.items():
        try:
            codes[int(code)] = Key(name)
        except ValueError:
            raise KeyMapError("%s: bad entry %r: %r" % (family, code, name)) from None
    return codes


@lru_cache(maxsize=None)
def load_device(family: str) -> DeviceMap:
    """Load one family's map, resolving ``extends`` (the base map comes first)."""
    data = _read(family)
    codes: dict[int, Key] = {}
    base = data.get("extends")
    if base:
        if base == family:
            raise KeyMapError("%s extends itself" % family)
        codes.update(load_device(base).codes)
    codes.update(_parse_codes(data.get("input", {}).get("map", {}), family))
    detect = data.get("detect", {})
    register = {name: Key(key) for name, key in data.get("register", {}).items()}
    keyset = tuple(data.get("keyset", ()))
    keyset_mask(keyset)  # validate names
    return DeviceMap(
        family=data.get("family", family),
        name=data.get("name", family),
        codes=MappingProxyType(codes),
        detect_globals=tuple(detect.get("globals", ())),
        detect_user_agent=tuple(detect.get("userAgent", ())),
        keyset=keyset,
        register=MappingProxyType(register),
        exit=data.get("exit", "window"),
    )


def all_devices() -> dict[str, DeviceMap]:
    """Every device family's map, by family name."""
    return {family: load_device(family) for family in device_families()}


def runtime_keymaps() -> list[dict]:
    """The maps as the browser runtime wants them, in detection order."""
    families = device_families()
    order = [f for f in DETECTION_ORDER if f in families]
    order += [f for f in families if f not in order]
    return [load_device(f).to_runtime() for f in order]


def translate(family: str, code: int) -> Key | None:
    """Shortcut: the logical key that ``code`` means on ``family``."""
    return load_device(family).key_for(code)

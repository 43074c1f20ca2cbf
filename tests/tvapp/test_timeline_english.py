"""Issue 17 item 9: a request's timeline in English says every step in
English. The services write their steps in Korean (SMS and documents keep
it); the screens translate at the presentation edge (tvapp.tv.labels).

The walk reads the services' and the fax bridge's source (no list kept by
hand): every event kind given to ``append_event`` / ``ctx.event``, and every
sentence that can become a step's detail - the messages of ``Retry`` /
``Fail``, the ``"message"`` of an event's detail, the fax bridge's
``message_ko`` / ``reason_ko``, a payment's ``message`` and the payment
providers' refusals - put together the way the code puts them together
(``+``, ``%`` with sample values, a dict's values, ``a or b``, a slice).
A part that comes from outside (a back end's or a card company's own words)
is a marker, replaced by each sentence the providers here say."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from fax_bridge.numbers import DEFAULT_REASONS
from tvapp.tv.labels import EVENT_LABELS, step_message, table

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for d in ("services", "fax_bridge") for p in (ROOT / d).rglob("*.py")
                 if "migrations" not in p.parts)
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
DATA = "\x00"  # a part in someone else's words
#: Sample values for what the code fills in (an amount, a delay, a count).
SAMPLES = {"won": ("12,000원",), "_korean_duration": ("30초", "3분", "1시간"), "tax_item": ("자동차세",)}
RESULT_ATTRS = {"reason_ko", "message_ko"}


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


class Module:
    """One source file: its assignments (any scope), to resolve names by."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.names: dict[str, list] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    self._bind(target, node.value)

    def _bind(self, target, value, index=None):
        if isinstance(target, ast.Name):
            self.names.setdefault(target.id, []).append((value, index))
        elif isinstance(target, ast.Tuple):
            for i, t in enumerate(target.elts):
                if isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts):
                    self._bind(t, value.elts[i])
                else:
                    self._bind(t, value, i)


class Walk:
    def __init__(self):
        self.modules = [Module(p) for p in SOURCES]
        self.kinds: set[str] = set()
        self.sinks: list[tuple[Module, ast.AST]] = []
        self.attr_sinks: dict[str, list[tuple[Module, ast.AST]]] = {"reason_ko": [], "message": []}
        for m in self.modules:
            for node in ast.walk(m.tree):
                if isinstance(node, ast.Call):
                    self._call(m, node)
                elif isinstance(node, ast.Assign):
                    for target in node.targets:
                        both = isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) and len(
                            target.elts) == len(node.value.elts)
                        pairs = zip(target.elts, node.value.elts, strict=True) if both else [(target, node.value)]
                        for t, v in pairs:
                            if isinstance(t, ast.Attribute) and t.attr in self.attr_sinks:
                                self.attr_sinks[t.attr].append((m, v))
        self.sinks += self.attr_sinks["reason_ko"] + self.attr_sinks["message"]

    def _call(self, m, node):
        name, args = _call_name(node), node.args
        if name in ("append_event", "event"):
            at = 3 if name == "append_event" else 1
            if len(args) > at and isinstance(args[at], ast.Constant):
                self.kinds.add(args[at].value)
            detail = args[at + 1] if len(args) > at + 1 else None
            if isinstance(detail, ast.Dict):
                for k, v in zip(detail.keys, detail.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == "message":
                        self.sinks.append((m, v))
        elif name in ("Retry", "Fail", "Declined", "NotCharged", "OutcomeUnknown") and len(args) > 1:
            self.sinks.append((m, args[1]))
        elif name == "_emit" and len(args) > 2:
            self.sinks.append((m, args[2]))
        elif name == "_close" and len(args) > 3:
            self.attr_sinks["message"].append((m, args[3]))

    # -- values
    def values(self, m: Module, node, depth=0) -> set:
        """Every value ``node`` can have (strings, tuples of them), DATA for someone else's words."""
        if depth > 12:
            return {DATA}
        v = lambda n: self.values(m, n, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            return {node.value if isinstance(node.value, str) else "3"}
        if isinstance(node, ast.Tuple):
            return set(itertools.product(*[sorted(v(e), key=str) for e in node.elts]))
        if isinstance(node, ast.Dict):
            return set().union(*[v(e) for e in node.values]) if node.values else set()
        if isinstance(node, ast.Name):
            found = set()
            for value, index in self._lookup(m, node.id):
                for x in v(value):
                    if index is None:
                        found.add(x)
                    elif isinstance(x, tuple) and index < len(x):
                        found.add(x[index])
            return found or {"3"}
        if isinstance(node, ast.Attribute):
            if node.attr == "reason_ko" and isinstance(node.value, ast.Name) and node.value.id == "exc":
                return self.refusals()  # a NumberRefused's: the number policy's sentences
            if node.attr in RESULT_ATTRS:  # the fax bridge's sentences
                return self.reasons()
            if node.attr == "message" and isinstance(node.value, ast.Name) and node.value.id in ("r", "f"):
                return set()  # a Retry's / Fail's own message: walked where it is raised
            if node.attr == "message" and isinstance(node.value, ast.Name) and node.value.id == "p":
                return self.payment_messages()
            if node.attr == "message":
                return {DATA}
            return set(SAMPLES.get(node.attr, ("3",)))
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in SAMPLES:
                return set(SAMPLES[name])
            if name == "replace" and isinstance(node.func, ast.Attribute):
                return {x.replace(a, b) if isinstance(x, str) and isinstance(a, str) and isinstance(b, str) else x
                        for x in v(node.func.value) for a in v(node.args[0]) for b in v(node.args[1])}
            if name in ("get",) and isinstance(node.func, ast.Attribute):
                return v(node.func.value) | (v(node.args[1]) if len(node.args) > 1 else set())
            return {"3"}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return {a + b for a in v(node.left) for b in v(node.right) if isinstance(a, str) and isinstance(b, str)}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            right = v(node.right) if isinstance(node.right, ast.Tuple) else {(x,) for x in v(node.right)}
            out = set()
            for fmt in v(node.left):
                for args in right:
                    if isinstance(fmt, str):
                        out.add(_format(fmt, args if isinstance(args, tuple) else (args,)))
            return out
        if isinstance(node, ast.Subscript):
            base = v(node.value)
            if isinstance(node.slice, ast.Slice):
                lo = node.slice.lower and ast.literal_eval(node.slice.lower)
                hi = node.slice.upper and ast.literal_eval(node.slice.upper)
                return {x[lo:hi] if isinstance(x, str) and x != DATA else x for x in base}
            return base
        if isinstance(node, ast.IfExp):
            return v(node.body) | v(node.orelse)
        if isinstance(node, ast.BoolOp):
            return set().union(*[v(e) for e in node.values])
        if isinstance(node, ast.JoinedStr):
            return {DATA}
        return {"3"}

    def _lookup(self, m, name):
        if name in m.names:
            return [(value, index) for value, index in m.names[name]]
        for other in self.modules:  # an imported constant
            if name in other.names and name.isupper():
                return [(value, index) for value, index in other.names[name]]
        return []

    def _args(self, call: str, at: int) -> set:
        found = set()
        for m in self.modules:
            for node in ast.walk(m.tree):
                if isinstance(node, ast.Call) and _call_name(node) == call and len(node.args) > at:
                    found |= self.values(m, node.args[at])
        return found

    def reasons(self) -> set:
        """What the fax bridge says of a job (its reason_ko, the events' message_ko)."""
        if not hasattr(self, "_reasons"):
            self._reasons = set()  # (no recursion through itself)
            found = self._args("_emit", 2)
            for m, node in self.attr_sinks["reason_ko"]:
                found |= self.values(m, node)
            self._reasons = {t for t in found if t and t != "3"}
        return self._reasons

    def refusals(self) -> set:
        """What the number policy says of a number it refuses."""
        return {ko for ko, _en in DEFAULT_REASONS.values()} | {t for t in self._args("NumberRefused", 2) if t != "3"}

    def payment_messages(self) -> set:
        if not hasattr(self, "_payments"):
            self._payments = set()
            found = set()
            for m, node in self.attr_sinks["message"]:
                found |= self.values(m, node)
            self._payments = found
        return self._payments

    def sentences(self) -> dict[str, str]:
        """Every step text the walk finds -> where (file:line)."""
        out = {}
        for m, node in self.sinks:
            for text in self.values(m, node):
                if isinstance(text, str) and HANGUL.search(text):
                    out.setdefault(text, "%s:%d" % (m.path.relative_to(ROOT), node.lineno))
        return out


def _format(fmt: str, args: tuple) -> str:
    parts = iter(args)
    return re.sub(r"%[-0-9.]*[sdif]", lambda _m: str(next(parts, "3")), fmt)


@pytest.fixture(scope="module")
def walk():
    return Walk()


def test_the_walk_finds_the_services_steps(walk):
    """The walk sees what it should (else the test below would pass on nothing)."""
    found = walk.sentences()
    assert len(found) > 60, len(found)
    for text in ("받는 팩스가 통화 중입니다. 3분 뒤 다시 보냅니다.", "팩스 번호로 전화 거는 중 (3번째 시도)",
                 "메일 서버가 잠시 받지 않아 곧 다시 보냅니다.", "12,000원 납부", "입금 기한이 지났습니다. 요금은 청구되지 않았습니다.",
                 "받는 팩스가 응답하지 않아 보내지 못했습니다. 팩스 번호가 맞는지 확인해 주세요. 이메일로 받으시거나 다시 신청해 주세요.",
                 "휴대전화 번호로는 팩스를 보낼 수 없습니다. 받으실 곳의 팩스 번호(예: 02-1234-5678)를 입력해 주세요. 납부는 끝났습니다.",
                 "카드 한도를 넘었습니다. 다른 카드로 납부해 주세요.", DATA + " 요금은 청구되지 않았습니다."):
        assert text in found, text
    assert {"received", "verified", "delivering", "waiting", "failed", "fax_stopped", "switched", "paid",
            "tax_recorded", "notified"} <= walk.kinds


def test_every_event_kind_has_an_english_label(app, walk):
    with app.test_request_context(), force_locale("en"):
        labels = table("en")
        missing = sorted(k for k in walk.kinds if k not in EVENT_LABELS or HANGUL.search(labels["events"][k]))
    assert missing == []


def test_every_step_sentence_has_an_english_form(app, walk):
    """Each sentence the services can write, shown on an English screen: English, whole (not the note
    that the details are in Korean). A part in someone else's words (DATA) is each refusal the
    payment providers here give."""
    refusals = {t for t in walk.sentences() if DATA not in t and re.search(r"(카드|결제).*(니다|세요)\.$", t)}
    texts = {}
    for text, where in walk.sentences().items():
        for filled in ({text.replace(DATA, r) for r in refusals} if DATA in text else {text}):
            texts.setdefault(filled, where)
    with app.test_request_context(), force_locale("en"):
        labels = table("en")
        note = step_message("누구도 모르는 문장", labels)
        wrong = sorted("%s (%s) -> %s" % (t, where, step_message(t, labels)) for t, where in texts.items()
                       if HANGUL.search(step_message(t, labels)) or step_message(t, labels) == note)
    assert wrong == [], "%d without English:\n%s" % (len(wrong), "\n".join(wrong))

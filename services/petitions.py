"""SMS U-petitions: the conversation with a resident who texts the district.

``parse`` turns a message into a :class:`Command` (Korean first, English
aliases, spaces, hyphens and common variants tolerated); ``handle_mo`` runs
one incoming message end to end and returns the answer to send back (or
``None``: no answer).

Identity: the sender must be a registered resident's phone (matched by keyed
hash). A certificate request is only remembered (in Redis, destination
encrypted) until the resident answers the one-time code sent by SMS with
``확인 123456``; then the request is created (once) and queued.

Safety: our own numbers and short codes are never answered; 수신거부/STOP is
honoured (and confirmed once); a retried MO message is handled once; per-phone
and global rate limits; unknown numbers get one polite answer per day; replies
tell nothing of the record beyond what was asked, and fit the configured
length in CP949 bytes.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from fax_bridge import FaxNumberPolicy, NumberRefused
from services import approvals, ledger, otp, pairing, pii, ratelimit, steps
from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.certificates import catalogue
from services.delivery.email import valid_address
from services.households import phone_hash, resident_by_phone
from services.korean import particles
from services.models import Household, Request, Resident
from services.participation import sms as vote_sms
from services.sms import (
    EARLY_DLRS,
    apply_early_dlrs,
    is_opted_out,
    is_ours_or_short,
    limit_for,
    messages_for_phone,
    opt_in,
    opt_out,
    parts_for,
    record_mo,
    record_reply,
    reply_to,
    send_more_parts,
)
from services.sms.text import cp949_len

log = logging.getLogger(__name__)

PENDING_TTL = otp.CODE_TTL + 60
UNKNOWN_EVERY = 86400
RATE_WINDOW = 600

# -- parsing ------------------------------------------------------------------

# Certificates a resident can ask for by SMS (no choices to make on a phone).
SMS_TYPES = ("resident-copy", "resident-abstract", "tax-payment")
CERT_WORDS: dict[str, str] = {}
for _c in catalogue.CATALOGUE:
    for _w in _c.sms_words:
        CERT_WORDS[_w] = _c.code
    CERT_WORDS[_c.name_ko.replace(" ", "")] = _c.code
CERT_WORDS.update({
    "주민등록등본": "resident-copy", "주민등록표등본": "resident-copy", "등본": "resident-copy",
    "주민등록초본": "resident-abstract", "주민등록표초본": "resident-abstract", "초본": "resident-abstract",
    "지방세납세증명": "tax-payment", "납세증명": "tax-payment",
    "residentcopy": "resident-copy", "registrationcopy": "resident-copy", "copy": "resident-copy",
    "residentabstract": "resident-abstract", "abstract": "resident-abstract",
    "taxcertificate": "tax-payment", "taxcert": "tax-payment", "taxpayment": "tax-payment",
    "land": "land-register", "building": "building-register", "assessment": "tax-assessment",
})
SHORT_NAMES = {"resident-copy": "등본", "resident-abstract": "초본", "tax-payment": "납세증명"}

METHOD_WORDS = (
    ("이메일", "email"), ("전자우편", "email"), ("e-mail", "email"), ("email", "email"),
    ("메일", "email"), ("멜", "email"), ("mail", "email"),
    ("팩스", "fax"), ("펙스", "fax"), ("훽스", "fax"), ("fax", "fax"), ("팩", "fax"),
)
STOP_WORDS = ("수신거부", "수신차단", "거부", "그만", "stopall", "stop", "unsubscribe", "optout")
START_WORDS = ("수신허용", "수신동의", "수신재개", "start", "unstop", "subscribe")
HELP_WORDS = ("도움말", "도움", "안내", "메뉴", "사용법", "help", "menu", "info", "?", "h")
TAX_WORDS = ("세금조회", "세금", "지방세", "체납", "미납", "tax", "taxes", "bills")
CONFIRM_WORDS = ("확인", "인증번호", "인증", "confirm", "verify", "code", "ok")
PAIR_WORDS = ("tv연결", "연결", "pair", "link")
STATUS_WORDS = ("진행상황", "처리상황", "상태", "조회", "진행", "status", "check")
CANCEL_WORDS = ("신청취소", "취소", "cancel")
# A yes to the TV request the identity SMS named (services.approvals); 확인 and ok
# without a code are a yes too (CONFIRM_WORDS).
YES_WORDS = ("예", "네", "넵", "넹", "녜", "응", "yes", "y", "승인")
APPROVE_RE = re.compile(r"([1-9])(번)?")

DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc\u2500"), "-")
RECEIPT_RE = re.compile(r"(\d{8})-?(\d{6})")
SIX_DIGITS_RE = re.compile(r"\d{6}")
PARTICLE_RE = re.compile(r"^[\s,.:;/을를은는으로로]+")
# Polite openings and closings around a command ("안녕하세요 등본 한 통 메일로 보내주세요"),
# and counts of copies (SMS requests are always one copy).
GREETING_RE = re.compile(r"^(안녕하세요|안녕하십니까|수고하십니다|수고하세요|저기요|여보세요|실례합니다|hello|hi|please)[\s,.!~]*")
CLOSING_RE = re.compile(r"(좀|을|를)?(보내|발급해|발급|신청해|신청|부탁|해|알려|조회해)?"
                        r"(주세요|줘요|줘|주십시오|주실래요|드립니다|드려요|합니다|해요|요)?[\s.!?~^]*$")
COUNT_RE = re.compile(r"^(한|1|일|하나)(통|부|장|매)")
TAX_TAIL = ("얼마", "얼마에요", "얼마예요", "얼마인가요", "얼마죠", "있나요", "있어요", "남았나요", "내야", "알려", "조회",
            "확인", "주세요", "좀")


@dataclass
class Command:
    name: str  # help status taxes cancel confirm approve pair stop start cert unknown empty
    cert: str | None = None
    method: str | None = None
    number: str | None = None
    receipt: str | None = None
    code: str | None = None
    word: str = ""
    digit: int | None = None  # approve: the digit replied (None: 예/네)
    vote: vote_sms.VoteCommand | None = None  # 주민 참여: votes | vote | vote_check


def normalize(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(DASHES)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \n\t")
    return " ".join(text.split()).lower()


def _compact(text: str) -> str:
    return "".join(text.split())


def _prefix(c: str, words) -> str | None:
    for w in sorted(words, key=len, reverse=True):
        if c.startswith(w):
            return w
    return None


def _receipt(rest: str) -> str | None:
    m = RECEIPT_RE.search(rest)
    return "%s-%s" % (m.group(1), m.group(2)) if m else None


def _strip_particles(rest: str) -> str:
    return PARTICLE_RE.sub("", rest)


def _cert(c: str) -> Command | None:
    word = _prefix(c, CERT_WORDS)
    method_first = None
    if word is None:  # "팩스 등본 02-..." / "메일로 초본"
        mw = _prefix(c, [w for w, _ in METHOD_WORDS])
        if mw is None:
            return None
        after = _strip_particles(c[len(mw):])
        word = _prefix(after, CERT_WORDS)
        if word is None:
            return None
        method_first = dict(METHOD_WORDS)[mw]
        rest = _strip_particles(after[len(word):])
    else:
        rest = _strip_particles(c[len(word):])
    rest = _strip_particles(COUNT_RE.sub("", rest))
    cmd = Command("cert", cert=CERT_WORDS[word], word=word)
    if method_first:
        cmd.method = method_first
    else:
        mw = _prefix(rest, [w for w, _ in METHOD_WORDS])
        if mw is None:
            if rest and rest[0].isdigit():  # "등본 02-1234-5678": a number means fax
                cmd.method = "fax"
            else:
                return cmd
        else:
            cmd.method = dict(METHOD_WORDS)[mw]
            rest = _strip_particles(rest[len(mw):])
    if cmd.method == "fax":
        number = re.sub(r"[^\d+\-()]", "", rest)
        cmd.number = number or None
    return cmd


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap neighbours) between ``a`` and ``b``,
    Hangul counted by its letters (jamo): 듣 is one letter from 등, far from 초."""
    a, b = unicodedata.normalize("NFD", a), unicodedata.normalize("NFD", b)
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


# The command vocabulary a typo may stand for: words long enough that one wrong
# letter still leaves them unmistakable (Hangul 2+ syllables, Latin 4+ letters).
# Opting out or in is never guessed from a short word ("거북" is not "거부").
def _vocabulary() -> list[str]:
    words = set(CERT_WORDS) | {w for w, _ in METHOD_WORDS}
    for group in (HELP_WORDS, TAX_WORDS, CONFIRM_WORDS, PAIR_WORDS, STATUS_WORDS, CANCEL_WORDS):
        words |= {w for w in group if len(w) >= (4 if w.isascii() else 2)}
    for group in (STOP_WORDS, START_WORDS):
        words |= {w for w in group if len(w) >= (6 if w.isascii() else 4)}
    return sorted(words, key=len, reverse=True)


VOCABULARY = _vocabulary()


def _fix_typos(c: str) -> str:
    """Each leading word one letter (or one swap) away from a command word replaced by
    the one word it can only be ("듣본 메일" -> "등본메일", "status" typed "stauts")."""
    out, rest = "", c
    for _ in range(3):  # command word, then method, then what follows
        word = _prefix(rest, VOCABULARY)  # as written ("납세" of "납세증멍")...
        near = [w for w in VOCABULARY if len(w) > len(word or "") and len(rest) >= len(w)
                and _distance(rest[:len(w)], w) == 1]  # ...or a longer word one letter away
        if near:
            longest = max(map(len, near))
            near = [w for w in near if len(w) == longest]
            if len(near) == 1:  # two words as near: guess neither
                word = near[0]
        if word is None:
            break
        out, rest = out + word, _strip_particles(rest[len(word):])
        if not rest:
            break
    return out + rest


def parse(text: str | None) -> Command:
    """One message to one command; never raises. Tried as written, then without
    polite openings and closings, then with one typo per command word fixed."""
    t = normalize(text)
    c = _compact(t)
    if not c:
        return Command("empty")
    vote = vote_sms.parse(t)
    if vote is not None:
        return Command(vote.name, vote=vote)
    cmd = _parse(c)
    if _understood(cmd):
        return cmd
    polite = _compact(CLOSING_RE.sub("", GREETING_RE.sub("", t)))
    for attempt in (polite, _fix_typos(polite or c)):
        if attempt and attempt != c:
            again = _parse(attempt)
            if _understood(again) or cmd.name == "unknown" != again.name:
                return again
    return cmd


def _understood(cmd: Command) -> bool:
    """Fully: a certificate without a way to send it may be a typo in the way."""
    return cmd.name != "unknown" and not (cmd.name == "cert" and cmd.method is None)


def _parse(c: str) -> Command:
    if c.strip(".!") in STOP_WORDS or _prefix(c, ("수신거부",)):
        return Command("stop")
    if c.strip(".!") in START_WORDS:
        return Command("start")
    if c.rstrip("?!.") in HELP_WORDS or c in HELP_WORDS:
        return Command("help")
    if SIX_DIGITS_RE.fullmatch(c):
        return Command("confirm", code=c)
    yes = c.strip(".!~^")
    m = APPROVE_RE.fullmatch(yes)
    if m:
        return Command("approve", digit=int(m.group(1)))
    if yes in YES_WORDS or yes.rstrip("요") in YES_WORDS:
        return Command("approve")
    w = _prefix(c, CONFIRM_WORDS)
    if w is not None:
        digits = "".join(ch for ch in c[len(w):] if ch.isdigit())
        return Command("confirm", code=digits or None)
    w = _prefix(c, PAIR_WORDS)
    if w is not None:
        code = pairing.normalize(c[len(w):])
        return Command("pair", code=code if pairing.is_well_formed(code) else None)
    w = _prefix(c, CANCEL_WORDS)
    if w is not None:
        return Command("cancel", receipt=_receipt(c[len(w):]))
    w = _prefix(c, STATUS_WORDS)
    if w is not None:
        return Command("status", receipt=_receipt(c[len(w):]))
    if RECEIPT_RE.fullmatch(c):
        return Command("status", receipt=_receipt(c))
    w = _prefix(c, TAX_WORDS)
    if w is not None:
        tail = _strip_particles(c[len(w):]).strip("?!.~")
        if not tail.strip("조회확인알려줘요주세") or _prefix(tail, TAX_TAIL):
            return Command("taxes")
    cmd = _cert(c)
    if cmd is not None:
        return cmd
    return Command("unknown")


# -- replies (each fits 90 bytes of CP949; the tests check every one). A particle
# after a value is written both ways, 을(를), (으)로: fmt() picks the one it takes.

R = {
    "help": "등본 메일, 초본 팩스 02-123-4567 / 상태 / 세금 / 취소 접수번호 / TV 신청 승인 1 / 수신거부",
    "help_long": ("[{office}] 문자 민원 안내\n"
                  "- 증명서: '등본 메일', '초본 팩스 02-123-4567', '납세증명 메일'\n"
                  "- 진행 확인: '상태' 또는 '상태 접수번호'\n- 미납 세금: '세금'\n"
                  "- 신청 취소: '취소 접수번호'\n- TV 연결: '연결 BCDF-GHJK'\n- 주민 투표: '투표'\n"
                  "- TV 신청 승인: 인증번호 문자에 '1'(문자에 적힌 번호) 답장\n"
                  "- 문자 그만 받기: '수신거부'"),
    "unknown": "무슨 말씀인지 몰라 처리하지 못했습니다. '도움말'을 보내 주세요.",
    "stranger": "[{office}] 등록된 주민의 휴대전화 번호가 아닙니다. 구청 민원실로 문의해 주세요.",
    "optout": "수신거부를 처리했습니다. 다시 받으시려면 '수신허용'을 보내 주세요.",
    "optin": "문자 수신을 다시 시작합니다. 안내는 '도움말'을 보내 주세요.",
    "optin_already": "이미 문자를 받고 계십니다. 안내는 '도움말'을 보내 주세요.",
    "slow_down": "문자가 너무 많습니다. 10분 뒤에 다시 보내 주세요.",
    "not_by_sms": "{name}은(는) 문자로 신청할 수 없습니다. TV나 구청에서 신청해 주세요.",
    "ask_method": "받을 방법을 적어 주세요. 예: '{w} 메일' 또는 '{w} 팩스 02-123-4567'",
    "ask_fax": "팩스 번호를 함께 적어 주세요. 예: '{w} 팩스 02-123-4567'",
    "no_email": "등록된 메일 주소가 없습니다. '{w} 팩스 02-123-4567'처럼 팩스로 신청해 주세요.",
    "challenge": "{w}({how}) 신청: 인증번호를 보냈습니다. '확인 123456'처럼 답장해 주세요.",
    "challenge_again": "앞서 보낸 인증번호로 '확인 123456'처럼 답장해 주세요.",
    "replaced": "{old} 대신 {w}({how}) 신청: 받은 인증번호를 '확인 123456'처럼 보내 주세요.",
    "challenge_replaced": "{old} 대신 {w}({how}) 신청: 새 인증번호를 '확인 123456'처럼 보내 주세요.",
    "no_pending": "확인할 신청이 없습니다. 먼저 '등본 메일'처럼 신청해 주세요.",
    "ask_code": "문자로 받은 인증번호 6자리를 '확인 123456'처럼 보내 주세요.",
    "wrong": "인증번호가 맞지 않습니다. 다시 보내 주세요. (남은 횟수 {n}번)",
    "expired": "인증 시간이 지났습니다. 처음부터 다시 신청해 주세요.",
    "accepted": "{w} 접수 {receipt}. {how}(으)로 보낸 뒤 문자로 알려드립니다.",
    "no_requests": "문자나 TV로 신청하신 증명서가 없습니다.",
    "not_found": "접수번호 {receipt}을(를) 찾을 수 없습니다.",
    "ask_receipt": "접수번호를 함께 적어 주세요. 예: '취소 20261121-123456'",
    "cancelled": "{receipt} 신청을 취소했습니다.",
    "not_cancellable": "{receipt}은(는) 이미 처리가 끝나 취소할 수 없습니다.",
    "already_cancelled": "{receipt}은(는) 이미 취소된 신청입니다.",
    "more": " 외 {n}건",
    "taxes_none": "본인 명의로 미납된 지방세가 없습니다.",
    "taxes_some": "미납 지방세 {n}건, 합계 {total}원입니다. 납부는 TV의 세금 메뉴에서 하실 수 있습니다.",
    "taxes_others": " 가족 명의 고지서 {n}건은 납부자가 TV에서 확인해 주세요.",
    "taxes_none_others": "본인 명의 미납 지방세는 없습니다. 가족 명의 고지서 {n}건은 납부자가 TV에서 확인해 주세요.",
    "taxes_down": "구청 시스템에 잠시 연결할 수 없습니다. 조금 뒤에 다시 보내 주세요.",
    "ask_pair": "TV에 나온 연결 번호 8자리를 보내 주세요. 예: '연결 BCDF-GHJK'",
    "paired": "TV 연결을 마쳤습니다. TV 화면에서 계속해 주세요.",
    "sorry": "잠시 문제가 있어 처리하지 못했습니다. 잠시 후 다시 보내 주세요.",
}

STATUS_KO = {
    "received": "접수", "verified": "확인", "submitted": "요청 중", "accepted": "발급 중",
    "issued": "발급됨", "delivering": "보내는 중", "delivered": "전달 완료", "completed": "완료",
    "failed": "처리 못 함", "cancelled": "취소됨",
}
HOW_KO = {"email": "메일", "fax": "팩스", "none": "창구"}


def _short(code: str) -> str:
    return SHORT_NAMES.get(code) or catalogue.get(code).name_ko


# -- the conversation -----------------------------------------------------------

@dataclass
class Outcome:
    reply: str | None
    duplicate: bool = False
    started: list[int] = field(default_factory=list)
    ignored: str = ""  # why nothing was processed: ours, global_rate


class Conversation:
    def __init__(self, session: Session, runtime, phone: str):
        self.s, self.rt, self.phone = session, runtime, phone
        self.config = runtime.config
        self.redis = runtime.redis
        self.hash = phone_hash(runtime.crypto, phone)
        self.to_start: list[int] = []

    def fmt(self, key: str, **kw) -> str:
        kw.setdefault("office", self.config.DISTRICT_NAME)
        return particles(R[key].format(**kw))  # 은(는), (으)로...: by the word before

    def answer(self, cmd: Command) -> str | None:
        # Every message counts against the phone's limit, STOP and START too:
        # otherwise alternating them would draw an answer each, without end.
        within = self._phone_rate_ok()
        if cmd.name == "stop":  # always honoured; confirmed once, within the limit
            return self.fmt("optout") if opt_out(self.s, self.rt, self.phone) and within else None
        if cmd.name == "start":
            changed = opt_in(self.s, self.rt, self.phone)
            if not within:
                return self._slow_down()
            return self.fmt("optin") if changed else self.fmt("optin_already")
        if is_opted_out(self.s, self.rt, self.phone):
            return None
        if not within:
            return self._slow_down()
        if cmd.name == "empty":
            return None
        resident = resident_by_phone(self.s, self.rt.crypto, self.phone)
        if resident is None:
            if cmd.name == "pair":  # pairing records the failure against the code
                return self.pair(cmd, None)
            return self.fmt("stranger") if self._said_once("stranger", UNKNOWN_EVERY) else None
        handler = getattr(self, "do_" + cmd.name)
        return handler(cmd, resident)

    # -- limits --

    def _phone_rate_ok(self) -> bool:
        item = ratelimit.sms_per_phone(self.config.SMS_RATE_PER_PHONE, RATE_WINDOW)
        return ratelimit.hit(self.redis, item, self.hash)

    def _slow_down(self) -> str | None:
        return self.fmt("slow_down") if self._said_once("slow", RATE_WINDOW) else None

    def _said_once(self, what: str, seconds: int) -> bool:
        return bool(self.redis.set("sms:once:%s:%s" % (what, self.hash), 1, nx=True, ex=seconds))

    # -- commands --

    def do_help(self, cmd, resident) -> str:
        long = self.fmt("help_long")
        return long if cp949_len(long) <= limit_for(self.config) else self.fmt("help")

    def do_unknown(self, cmd, resident) -> str:
        return self.fmt("unknown")

    def _pending_key(self, resident: Resident) -> str:
        return "sms:pending:%d" % resident.id

    def _subject(self, resident: Resident) -> str:
        return "sms-petition:%d" % resident.id

    def do_cert(self, cmd: Command, resident: Resident) -> str:
        if cmd.cert not in SMS_TYPES:
            return self.fmt("not_by_sms", name=catalogue.get(cmd.cert).name_ko)
        w = _short(cmd.cert)
        if cmd.method is None:
            return self.fmt("ask_method", w=w)
        if cmd.method == "email":
            address = self.rt.crypto.decrypt(resident.email_enc) if resident.email_enc else None
            if not address or not valid_address(address):
                return self.fmt("no_email", w=w)
        else:
            if not cmd.number:
                return self.fmt("ask_fax", w=w)
            try:
                address = FaxNumberPolicy().check(cmd.number).digits
            except NumberRefused as exc:
                return exc.reason_ko
            except Exception:  # noqa: BLE001 - a number the parser cannot read at all
                return self.fmt("ask_fax", w=w)
        # One request waits for its code at a time: a new one replaces the one
        # waiting, and its reply names what it replaced (never in silence).
        vote_sms.forget(self.redis, resident)
        before = self.redis.get(self._pending_key(resident))
        old = None
        if before is not None:
            prev = json.loads(before)
            same = (prev["cert"], prev["method"]) == (cmd.cert, cmd.method) \
                and self.rt.crypto.decrypt(prev["address"]) == address
            if not same:
                old = "%s(%s)" % (_short(prev["cert"]), HOW_KO[prev["method"]])
        pending = {"cert": cmd.cert, "method": cmd.method, "token": secrets.token_hex(12),
                   "address": self.rt.crypto.encrypt(address)}
        result = otp.send_code(self.s, self.rt, self._subject(resident), self.phone, purpose="otp")
        if not result.ok and result.reason != "cooldown":
            return result.message  # locked or too many codes: the waiting request (if any) stays
        self.redis.set(self._pending_key(resident), json.dumps(pending), ex=PENDING_TTL)
        how = HOW_KO[cmd.method]
        if result.ok:
            if old:
                return self.fmt("challenge_replaced", w=w, how=how, old=old)
            return self.fmt("challenge", w=w, how=how)
        if old:  # the code sent a moment ago now confirms this request
            return self.fmt("replaced", w=w, how=how, old=old)
        return self.fmt("challenge_again")

    def do_approve(self, cmd: Command, resident: Resident) -> str:
        """1 (or 예, 네) to the TV request the identity SMS named."""
        return approvals.reply(self.rt, self.hash, cmd.digit) or approvals.nothing_to_approve()

    def do_confirm(self, cmd: Command, resident: Resident) -> str:
        if not cmd.code or len(cmd.code) == 1:  # 확인 (or 확인 1) alone: a yes to a TV request, if one waits
            said = approvals.reply(self.rt, self.hash, int(cmd.code) if cmd.code and cmd.code != "0" else None)
            if said:
                return said
        if vote_sms.waiting(self.redis, resident) and cmd.code and len(cmd.code) == 6:
            return vote_sms.confirm(self.s, self.rt, resident, cmd.code)
        raw = self.redis.get(self._pending_key(resident))
        if raw is None:
            return self.fmt("no_pending")
        if not cmd.code or len(cmd.code) != 6:
            return self.fmt("ask_code")
        result = otp.verify_code(self.rt, self._subject(resident), cmd.code)
        if not result.ok:
            if result.reason == "wrong":
                return self.fmt("wrong", n=result.attempts_left)
            if result.reason == "expired":
                self.redis.delete(self._pending_key(resident))
                return self.fmt("expired")
            return result.message
        pending = json.loads(raw)
        ctype = catalogue.get(pending["cert"])
        options = {o.name: o.choices[0].value for o in ctype.options if o.choices}
        options["certificate_type"] = ctype.code
        req, _ = ledger.create_request(
            self.s, self.rt.crypto, client_token="sms-" + pending["token"], kind="certificate",
            household_id=resident.household_id, resident_id=resident.id, channel="sms",
            delivery_method=pending["method"],
            delivery_address=self.rt.crypto.decrypt(pending["address"]), options=options,
            grace_seconds=self.config.SWEEP_GRACE_SECONDS)
        ledger.append_event(self.s, req.id, "verified", "verified", {"by": "sms-otp"})
        self.redis.delete(self._pending_key(resident))
        self.to_start.append(req.id)
        log.info("sms petition accepted", extra={"req": req.id})
        return self.fmt("accepted", w=_short(ctype.code), receipt=req.receipt_no,
                        how=HOW_KO[pending["method"]])

    def _mine(self, resident: Resident, receipt: str) -> Request | None:
        req = ledger.get_by_receipt(self.s, receipt, household_id=resident.household_id)
        return req if req is not None and req.resident_id == resident.id else None

    def _line(self, req: Request) -> str:
        name = _short(req.options.get("certificate_type", req.kind)) if req.kind == "certificate" else req.kind
        return "%s %s %s" % (req.receipt_no, name, STATUS_KO.get(req.status, req.status))

    def do_status(self, cmd: Command, resident: Resident) -> str:
        if cmd.receipt:
            req = self._mine(resident, cmd.receipt)
            if req is None:
                return self.fmt("not_found", receipt=cmd.receipt)
            line = self._line(req)
            if req.delivery_method in ("email", "fax"):
                line += "(%s)" % HOW_KO[req.delivery_method]
            return line
        mine = [r for r in ledger.list_requests(self.s, resident.household_id, limit=50)
                if r.resident_id == resident.id]
        if not mine:
            return self.fmt("no_requests")
        mine.sort(key=lambda r: r.status != "failed")  # stable: failures first, then newest first
        limit = limit_for(self.config)
        lines = [self._line(r) for r in mine]
        shown = 1
        while shown < len(lines):
            rest = len(lines) - shown - 1
            nxt = "\n".join(lines[:shown + 1]) + (self.fmt("more", n=rest) if rest else "")
            if cp949_len(nxt) > limit:
                break
            shown += 1
        out = "\n".join(lines[:shown])
        if shown < len(lines):
            out += self.fmt("more", n=len(lines) - shown)
        return out

    def do_cancel(self, cmd: Command, resident: Resident) -> str:
        if not cmd.receipt:
            return self.fmt("ask_receipt")
        req = self._mine(resident, cmd.receipt)
        if req is None:
            return self.fmt("not_found", receipt=cmd.receipt)
        if ledger.cancel(self.s, req, reason="cancelled by SMS"):
            return self.fmt("cancelled", receipt=req.receipt_no)
        if req.status == "cancelled":
            return self.fmt("already_cancelled", receipt=req.receipt_no)
        return self.fmt("not_cancellable", receipt=req.receipt_no)

    def do_taxes(self, cmd: Command, resident: Resident) -> str:
        """The unpaid local-tax bills this phone's owner pays (with late charges), in
        one line; other household members' bills only counted, never shown."""
        hh = self.s.get(Household, resident.household_id)
        try:
            bills = [b for b in self.rt.bridge.tax_bills(hh.code) if b.get("status") != "paid"]
        except (BackendUnavailable, BackendProtocolError, BackendRefused):
            return self.fmt("taxes_down")
        own = [b for b in bills if b.get("payer_ref") == resident.ref]
        others = len(bills) - len(own)
        if not own:
            return self.fmt("taxes_none_others", n=others) if others else self.fmt("taxes_none")
        tail = self.fmt("taxes_others", n=others) if others else ""
        total = sum(int(b.get("total", b.get("amount", 0))) for b in own)
        return self.fmt("taxes_some", n=len(own), total="{:,}".format(total)) + tail

    # -- 주민 참여 (services.participation.sms) --

    def do_votes(self, cmd: Command, resident: Resident) -> str:
        return vote_sms.list_votes(self.s, limit_for(self.config))

    def do_vote(self, cmd: Command, resident: Resident) -> str:
        # A valid vote waiting for its code replaces a certificate's (a refused one does not).
        return vote_sms.ask(self.s, self.rt, resident, self.phone, cmd.vote, limit_for(self.config),
                            replaces=lambda: self.redis.delete(self._pending_key(resident)))

    def do_vote_check(self, cmd: Command, resident: Resident) -> str:
        return vote_sms.check(self.s, self.rt, resident, cmd.vote, limit_for(self.config))

    def do_pair(self, cmd: Command, resident: Resident | None) -> str:
        return self.pair(cmd, resident)

    def pair(self, cmd: Command, resident: Resident | None) -> str:
        if not cmd.code:
            return self.fmt("ask_pair")
        try:
            pairing.confirm_by_phone(self.s, self.rt, cmd.code, self.phone)
        except pairing.PairingError as exc:
            return exc.message
        return self.fmt("paired")

    def do_stop(self, cmd, resident):  # handled in answer(); kept for the dispatch table
        return None

    do_start = do_stop
    do_empty = do_stop


def _global_rate_ok(runtime) -> bool:
    return ratelimit.hit(runtime.redis, ratelimit.sms_global(runtime.config.SMS_RATE_GLOBAL), "all")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> str:
    """A gateway may hand us NUL (PostgreSQL refuses it) or a lone UTF-16
    surrogate (a JSON ``\\ud83d`` cut in half: not UTF-8, so no database stores
    it and no hash takes it): the message must still be recorded and answered."""
    return _UNSTORABLE.sub("\ufffd", value)


def _apply_early_reports(runtime) -> None:
    """Delivery reports that overtook their message's commit, applied now (they are
    also applied with the next report)."""
    try:
        if runtime.redis.zcard(EARLY_DLRS):
            with runtime.session() as s:
                apply_early_dlrs(s, runtime.redis)
    except Exception:  # noqa: BLE001 - the next report applies them
        log.warning("early delivery reports not applied now")


def handle_mo(runtime, phone: str, text: str | None, *, to: str = "", ts: str = "", smsc: str = "",
              gateway: str = "outbox", dedup_key: str | None = None) -> Outcome:
    """Handle one incoming message; returns what to answer (``reply`` None: nothing).

    ``dedup_key`` is the gateway's identity of the message (Kannel's ``%I``
    with the SMSC and sender, the HTTP gateway's id): a retry carries the same
    one and gets the first answer again. Without one the message is handled:
    a time stamp is not an identity (two genuine messages can share the same
    minute, and must both be answered). Requests created are queued after
    the transaction commits. A reply that does not fit one message comes
    back whole: its first part here, the rest sent as their own messages.
    """
    text, phone = storable(text or "")[:2000], storable(phone or "")
    to, ts, smsc = storable(to or ""), storable(ts or ""), storable(smsc or "")
    if is_ours_or_short(runtime.config, phone):
        log.info("sms from one of our numbers or a short code ignored (%s)", gateway)
        return Outcome(None, ignored="ours")
    if not _global_rate_ok(runtime):
        log.warning("sms global rate limit reached; message not processed")
        return Outcome(None, ignored="global_rate")
    key = dedup_key or "mo:" + secrets.token_hex(16)
    try:
        with runtime.session() as s:
            mo, new = record_mo(s, runtime, phone, text, dedup_key=key, gateway=gateway)
            if not new:
                prev = reply_to(s, mo)
                log.info("duplicate sms %d ignored", mo.id)
                return Outcome(prev.body if prev else None, duplicate=True)
            conv = Conversation(s, runtime, phone)
            cmd = parse(text)
            mo.purpose = cmd.name[:32]
            reply = conv.answer(cmd)
            if reply:
                parts = parts_for(runtime.config, reply)
                reply = parts[0]
                record_reply(s, runtime, phone, reply, mo=mo, gateway=gateway)
                send_more_parts(s, runtime, phone, parts, mo=mo)
            log.info("sms %d handled: %s", mo.id, cmd.name)
            started = list(conv.to_start)
    except Exception:
        log.exception("sms could not be handled")
        return Outcome(R["sorry"])
    _apply_early_reports(runtime)
    for rid in started:
        try:
            steps.start(runtime, rid)
        except Exception:  # noqa: BLE001 - the sweep queues it after the grace period
            log.warning("request %d not queued now; the sweep will", rid)
    return Outcome(reply, started=started)


# -- the phone simulator (embedded default gateway) --------------------------------

@dataclass
class SimPhone:
    ref: str
    label: str  # masked name and relation
    masked: str


def simulator_phones(session: Session, runtime) -> list[SimPhone]:
    """The demo residents' phones the simulator page can pick (shown masked)."""
    rows = session.scalars(select(Resident).where(Resident.phone_enc.is_not(None))
                           .order_by(Resident.household_id, Resident.position))
    return [SimPhone(r.ref, "%s (%s)" % (pii.mask_name(r.name), r.relation),
                     pii.mask_phone(runtime.crypto.decrypt(r.phone_enc))) for r in rows]


def simulator_thread(session: Session, runtime, ref: str) -> tuple[str | None, list]:
    """(phone, messages oldest first) of the resident ``ref``; (None, []) if unknown."""
    r = session.scalar(select(Resident).where(Resident.ref == ref))
    if r is None or not r.phone_enc:
        return None, []
    phone = runtime.crypto.decrypt(r.phone_enc)
    return phone, list(reversed(messages_for_phone(session, runtime, phone, limit=60)))

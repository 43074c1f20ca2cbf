"""The editorial workflow: who may do what to an item, a ticker message,
an operator or a source; every action leaves an audit entry.

    ingested -> draft -> submitted -> published (now, or at publish_at;
    until expires_at) -> unpublished

Editors edit and submit; approvers also publish, schedule, unpublish, and
write or approve ticker messages; admins also manage operators and sources.
Functions take the runtime and an ``Actor`` and open their own unit of work;
ticker changes are pushed to the TVs after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from werkzeug.security import check_password_hash, generate_password_hash

from broadcast_feed import push, store
from broadcast_feed.fetch import feed_policy, refuse_private_literal
from broadcast_feed.models import (
    ADMIN,
    APPROVER,
    DRAFT,
    EDITOR,
    INGESTED,
    PUBLISHED,
    ROLES,
    SOURCE_KINDS,
    SUBMITTED,
    T_EXPIRED,
    T_PENDING,
    T_PUBLISHED,
    UNPUBLISHED,
    NewsSource,
    Operator,
    TickerMessage,
)
from services import ratelimit
from services.core.errors import AppError
from services.models import utcnow

log = logging.getLogger(__name__)

# Login throttling (issue 19): every attempt is counted atomically in Redis
# *before* the password is checked, so parallel guesses cannot outrun it.
# An account-and-address pair gets MAX_FAILURES tries per LOCK_FOR; an address
# ADDRESS_TRIES over every account; the account itself is locked only after
# ACCOUNT_FAILURES failures from everywhere (far more than an anonymous
# attacker on one address can send), and an admin can unlock it.
# Unknown usernames are counted and answered exactly like known ones.
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
ADDRESS_TRIES = 30
ACCOUNT_FAILURES = 50
ACCOUNT_WINDOW = 3600
THROTTLED = "로그인 시도가 너무 많아 잠겼습니다. %d분 뒤에 다시 하세요" % (LOCK_FOR.seconds // 60)
WRONG = "아이디 또는 비밀번호가 맞지 않습니다"
MIN_PASSWORD = 10
TICKER_DEFAULT_MINUTES = 120

CAN = {
    EDITOR: {"edit", "submit"},
    APPROVER: {"edit", "submit", "publish", "unpublish", "ticker"},
    ADMIN: {"edit", "submit", "publish", "unpublish", "ticker", "operators", "sources"},
}

# Demo operators (make run); their passwords are refused in production.
DEMO_OPERATORS = (
    ("editor", "editor-demo-1234", EDITOR),
    ("approver", "approver-demo-1234", APPROVER),
    ("admin", "admin-demo-1234", ADMIN),
)
DEMO_PASSWORDS = frozenset(p for _, p, _ in DEMO_OPERATORS)
_DUMMY_HASH = generate_password_hash("not-a-password")


class WorkflowError(AppError):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(WorkflowError):
    status_code = 403


class NotFound(WorkflowError):
    status_code = 404


class BadState(WorkflowError):
    status_code = 409


class LoginFailed(WorkflowError):
    status_code = 401


class LoginUnavailable(LoginFailed):
    """Redis cannot count the attempt: refuse rather than check unthrottled."""

    status_code = 503


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    role: str

    def can(self, what: str) -> bool:
        return what in CAN.get(self.role, ())


def settings(config) -> dict:
    """The news settings of ``config`` (``NEWS_CAP_AUTOPUBLISH``, ``NEWS_SESSION_MINUTES``)."""
    return {
        "cap_autopublish": config.NEWS_CAP_AUTOPUBLISH,
        "session_minutes": config.NEWS_SESSION_MINUTES,
    }


def require(actor: Actor, what: str) -> None:
    if not actor.can(what):
        raise NotAllowed("이 작업은 권한이 없습니다 (%s cannot %s)" % (actor.role, what))


def _item(s, item_id: int):
    item = store.get_item(s, item_id)
    if item is None:
        raise NotFound("기사를 찾을 수 없습니다")
    return item


# -- items -----------------------------------------------------------------------

def edit_item(rt, actor: Actor, item_id: int, *, title: str, summary: str, body: str,
              category: str, note: str = "") -> None:
    """Save a correction as a new revision; a published item needs an approver."""
    require(actor, "edit")
    title = " ".join((title or "").split())
    if not title:
        raise WorkflowError("제목을 입력하세요")
    with rt.session() as s:
        item = _item(s, item_id)
        if item.state == PUBLISHED:
            require(actor, "publish")
        item.title, item.summary = title[:500], (summary or "").strip()
        item.body = (body or "").replace("\r\n", "\n").strip()
        item.category = " ".join((category or "").split())[:60]
        if item.state in (INGESTED, SUBMITTED, UNPUBLISHED):
            item.state = DRAFT
        rev = store.add_revision(s, item, actor.username, note or "수정")
        store.audit(s, actor.username, "edit", "item", item.id, revision=rev.number)
    log.info("item %s edited by operator %s", item_id, actor.id)


def submit_item(rt, actor: Actor, item_id: int) -> None:
    require(actor, "submit")
    with rt.session() as s:
        item = _item(s, item_id)
        if item.state not in (INGESTED, DRAFT, UNPUBLISHED):
            raise BadState("제출할 수 없는 상태입니다 (%s)" % item.state)
        item.state = SUBMITTED
        item.publish_at = None
        store.audit(s, actor.username, "submit", "item", item.id)


def publish_item(rt, actor: Actor, item_id: int, *, publish_at: datetime | None = None,
                 expires_at: datetime | None = None, now: datetime | None = None) -> str:
    """Publish now, or schedule (``publish_at`` in the future). Returns the new state."""
    require(actor, "publish")
    now = now or utcnow()
    if expires_at is not None and expires_at <= max(now, publish_at or now):
        raise WorkflowError("만료 시각은 게시 시각보다 뒤여야 합니다")
    with rt.session() as s:
        item = _item(s, item_id)
        if item.state not in (SUBMITTED, UNPUBLISHED):
            raise BadState("승인 요청된 기사만 게시할 수 있습니다 (%s)" % item.state)
        item.expires_at = expires_at
        if publish_at is not None and publish_at > now:
            item.state, item.publish_at = SUBMITTED, publish_at
            store.audit(s, actor.username, "schedule", "item", item.id,
                        publish_at=publish_at.isoformat(),
                        expires_at=expires_at.isoformat() if expires_at else None)
            return SUBMITTED
        item.state, item.publish_at, item.went_live_at = PUBLISHED, None, now
        store.audit(s, actor.username, "publish", "item", item.id,
                    expires_at=expires_at.isoformat() if expires_at else None)
    log.info("item %s published by operator %s", item_id, actor.id)
    return PUBLISHED


def unpublish_item(rt, actor: Actor, item_id: int) -> None:
    require(actor, "unpublish")
    with rt.session() as s:
        item = _item(s, item_id)
        if item.state not in (PUBLISHED, SUBMITTED):
            raise BadState("게시 중이거나 예약된 기사가 아닙니다 (%s)" % item.state)
        item.state, item.publish_at = UNPUBLISHED, None
        store.audit(s, actor.username, "unpublish", "item", item.id)


def run_schedule(rt, now: datetime | None = None) -> dict:
    """Publish what is due, expire what has run out (items and tickers)."""
    now = now or utcnow()
    done = {"published": 0, "expired": 0, "tickers_expired": 0}
    with rt.session() as s:
        for item in store.due_to_publish(s, now):
            item.state, item.went_live_at, item.publish_at = PUBLISHED, now, None
            store.audit(s, "schedule", "publish", "item", item.id)
            done["published"] += 1
        for item in store.due_to_expire(s, now):
            item.state = UNPUBLISHED
            store.audit(s, "schedule", "expire", "item", item.id)
            done["expired"] += 1
        for t in store.tickers_to_expire(s, now):
            t.state = T_EXPIRED
            store.audit(s, "schedule", "expire", "ticker", t.id)
            done["tickers_expired"] += 1
    if done["tickers_expired"]:
        push.announce(rt)
    if any(done.values()):
        log.info("news schedule: %(published)d published, %(expired)d expired, "
                 "%(tickers_expired)d tickers expired", done)
    return done


# -- ticker ----------------------------------------------------------------------

def write_ticker(rt, actor: Actor, text: str, *, minutes: int = TICKER_DEFAULT_MINUTES,
                 severity: str = "Severe", now: datetime | None = None) -> int:
    require(actor, "ticker")
    now = now or utcnow()
    text = " ".join((text or "").split())
    if not text:
        raise WorkflowError("자막 내용을 입력하세요")
    if len(text) > store.TICKER_MAX:
        raise WorkflowError("자막은 %d자까지입니다" % store.TICKER_MAX)
    if not 1 <= minutes <= 7 * 24 * 60:
        raise WorkflowError("표시 시간은 1분에서 7일 사이입니다")
    if severity not in ("Extreme", "Severe", "Moderate", "Minor"):
        severity = "Severe"
    with rt.session() as s:
        t = TickerMessage(text=text, severity=severity, state=T_PUBLISHED, created_by=actor.username,
                          approved_by=actor.username, published_at=now,
                          expires_at=now + timedelta(minutes=minutes))
        s.add(t)
        s.flush()
        store.audit(s, actor.username, "ticker_publish", "ticker", t.id, minutes=minutes)
        tid = t.id
    push.announce(rt)
    log.info("ticker %s published by operator %s", tid, actor.id)
    return tid


def approve_ticker(rt, actor: Actor, ticker_id: int, now: datetime | None = None) -> None:
    require(actor, "ticker")
    now = now or utcnow()
    with rt.session() as s:
        t = store.get_ticker(s, ticker_id)
        if t is None:
            raise NotFound("자막을 찾을 수 없습니다")
        if t.state != T_PENDING:
            raise BadState("승인 대기 중인 자막이 아닙니다 (%s)" % t.state)
        if t.expires_at <= now:
            raise BadState("이미 만료된 경보입니다")
        t.state, t.approved_by, t.published_at = T_PUBLISHED, actor.username, now
        store.audit(s, actor.username, "ticker_approve", "ticker", t.id)
    push.announce(rt)


def withdraw_ticker(rt, actor: Actor, ticker_id: int) -> None:
    require(actor, "ticker")
    with rt.session() as s:
        t = store.get_ticker(s, ticker_id)
        if t is None:
            raise NotFound("자막을 찾을 수 없습니다")
        if t.state not in (T_PUBLISHED, T_PENDING):
            raise BadState("내릴 수 없는 자막입니다 (%s)" % t.state)
        t.state = T_EXPIRED
        store.audit(s, actor.username, "ticker_withdraw", "ticker", t.id)
    push.announce(rt)


# -- operators -------------------------------------------------------------------

def _check_password(config, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise WorkflowError("비밀번호는 %d자 이상이어야 합니다" % MIN_PASSWORD)
    if config.is_production and password in DEMO_PASSWORDS:
        raise WorkflowError("데모 비밀번호는 운영 환경에서 쓸 수 없습니다")


def _add_operator(s, config, username: str, password: str, role: str) -> Operator:
    username = (username or "").strip().lower()
    if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").isalnum():
        raise WorkflowError("아이디는 영문, 숫자, -, _ 로 64자까지입니다")
    if role not in ROLES:
        raise WorkflowError("역할이 올바르지 않습니다")
    _check_password(config, password)
    if store.operator_by_name(s, username) is not None:
        raise BadState("이미 있는 아이디입니다")
    op = Operator(username=username, password_hash=generate_password_hash(password), role=role,
                  active=True, failed_attempts=0)
    s.add(op)
    s.flush()
    return op


def create_operator(rt, actor: Actor, username: str, password: str, role: str) -> int:
    require(actor, "operators")
    with rt.session() as s:
        op = _add_operator(s, rt.config, username, password, role)
        store.audit(s, actor.username, "operator_create", "operator", op.id, role=role)
        return op.id


def set_operator(rt, actor: Actor, operator_id: int, *, active: bool | None = None,
                 unlock: bool = False, password: str | None = None) -> None:
    require(actor, "operators")
    with rt.session() as s:
        op = store.get_operator(s, operator_id)
        if op is None:
            raise NotFound("운영자를 찾을 수 없습니다")
        if active is not None:
            if op.id == actor.id and not active:
                raise WorkflowError("자기 계정은 끌 수 없습니다")
            op.active = active
        if unlock:
            op.failed_attempts, op.locked_until = 0, None
            try:
                unlock_login(rt, op.username)
            except (RedisError, RuntimeError):
                log.warning("operator %s unlocked; Redis unreachable, counters expire by themselves", op.id)
        if password:
            _check_password(rt.config, password)
            op.password_hash = generate_password_hash(password)
        store.audit(s, actor.username, "operator_update", "operator", op.id,
                    active=active, unlock=unlock, password=bool(password))


def _login_limits():
    window = int(LOCK_FOR.total_seconds())
    return (ratelimit.login_tries(MAX_FAILURES, window),
            ratelimit.login_address_tries(ADDRESS_TRIES, window),
            ratelimit.login_account_failures(ACCOUNT_FAILURES, ACCOUNT_WINDOW))


def _login_keys(rt, username: str, address: str) -> tuple[str, str]:
    return (rt.crypto.keyed_hash(username, "console-login-user"),
            rt.crypto.keyed_hash(address or "-", "console-login-addr"))


def authenticate(rt, username: str, password: str, now: datetime | None = None,
                 address: str = "-") -> Actor:
    """Check a login from ``address``, throttled (see MAX_FAILURES above)."""
    now = now or utcnow()
    username = (username or "").strip().lower()[:64]
    pair, per_address, account = _login_limits()
    user_key, addr_key = _login_keys(rt, username, address)
    try:
        redis = rt.redis
        allowed = (ratelimit.hit(redis, pair, user_key, addr_key)
                   and ratelimit.hit(redis, per_address, addr_key)
                   and ratelimit.within(redis, account, user_key))
    except (RedisError, RuntimeError) as exc:
        log.warning("console login refused: attempts cannot be counted (Redis unreachable)")
        raise LoginUnavailable("지금은 로그인할 수 없습니다. 잠시 뒤에 다시 하세요") from exc
    failure = None  # raised after the commit, so the audit entry is kept
    with rt.session() as s:
        op = store.operator_by_name(s, username)
        if not allowed:
            store.audit(s, username or "-", "login_throttled", "operator", op.id if op else None)
            failure = THROTTLED
        elif op is None or not op.active:
            check_password_hash(_DUMMY_HASH, password or "")  # same cost as a real check
            store.audit(s, username or "-", "login_failed", "operator", None)
            failure = WRONG
        elif op.locked_until is not None and op.locked_until > now:
            store.audit(s, op.username, "login_locked", "operator", op.id)
            failure = THROTTLED
        else:
            ok = check_password_hash(op.password_hash, password or "")
            if ok and rt.config.is_production and password in DEMO_PASSWORDS:
                ok = False
            if ok:
                op.failed_attempts, op.locked_until, op.last_login_at = 0, None, now
                store.audit(s, op.username, "login", "operator", op.id)
                actor = Actor(op.id, op.username, op.role)
            else:
                op.failed_attempts = Operator.failed_attempts + 1  # one UPDATE, no read
                store.audit(s, op.username, "login_failed", "operator", op.id)
                failure = WRONG
        if failure == WRONG:
            try:
                under = ratelimit.hit(rt.redis, account, user_key)
            except (RedisError, RuntimeError):
                under = True
            if not under and op is not None and op.active:
                op.locked_until = now + LOCK_FOR
                store.audit(s, op.username, "locked", "operator", op.id)
                log.warning("operator %s locked after %d failures from every address",
                            op.id, ACCOUNT_FAILURES)
    if failure is not None:
        raise LoginFailed(failure)
    try:
        ratelimit.clear(rt.redis, pair, user_key, addr_key)  # a success forgets this pair's tries
    except (RedisError, RuntimeError):
        pass
    return actor


def unlock_login(rt, username: str) -> None:
    """Forget the failures counted against ``username`` from every address."""
    _, _, account = _login_limits()
    ratelimit.clear(rt.redis, account, _login_keys(rt, username, "-")[0])


def current_actor(rt, operator_id: int) -> Actor | None:
    with rt.session() as s:
        op = store.get_operator(s, operator_id)
        if op is None or not op.active:
            return None
        return Actor(op.id, op.username, op.role)


def ensure_demo_operators(rt) -> list[tuple[str, str, str]]:
    """One operator per role for the demo (idempotent); refused in production."""
    if rt.config.is_production:
        raise WorkflowError("production refuses the demo operators")
    with rt.session() as s:
        for username, password, role in DEMO_OPERATORS:
            if store.operator_by_name(s, username) is None:
                _add_operator(s, rt.config, username, password, role)
                store.audit(s, "demo", "operator_create", "operator", None, role=role)
    return list(DEMO_OPERATORS)


# -- sources ---------------------------------------------------------------------

def add_source(rt, actor: Actor, name: str, kind: str, url: str,
               poll_minutes: int = 30) -> int:
    require(actor, "sources")

    name = " ".join((name or "").split())[:120]
    if not name:
        raise WorkflowError("출처 이름을 입력하세요")
    if kind not in SOURCE_KINDS or kind == "upload":
        raise WorkflowError("종류는 rss, atom, cap 중 하나입니다")
    try:
        refuse_private_literal(url, feed_policy(rt.config))  # no DNS here; every fetch checks each hop
    except Exception as exc:  # noqa: BLE001 - FeedError or ValueError: the reason is shown
        raise WorkflowError("주소를 쓸 수 없습니다: %s" % getattr(exc, "reason", exc)) from exc
    if not 1 <= poll_minutes <= 24 * 60:
        raise WorkflowError("확인 간격은 1분에서 1440분 사이입니다")
    with rt.session() as s:
        if store.source_by_name(s, name) is not None:
            raise BadState("같은 이름의 출처가 있습니다")
        src = NewsSource(name=name, kind=kind, url=url, poll_minutes=poll_minutes,
                         status="new", last_reason="", last_counts="")
        s.add(src)
        s.flush()
        store.audit(s, actor.username, "source_add", "source", src.id, kind=kind)
        return src.id

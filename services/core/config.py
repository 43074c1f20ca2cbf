"""One configuration, chosen by one environment variable: ``TVGOV_ENV``.

``development`` (default), ``test`` or ``production``. Every setting can be
overridden from the environment; production refuses to start with default
secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

from services.core.errors import AppError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SECRET = "dev-secret-not-for-production"
DEFAULT_PII_KEY = "dev-pii-key-not-for-production"


class ConfigError(AppError, RuntimeError):
    """A setting is missing or unsafe; the message says which and how to fix it."""

    status_code = 500


def _env(name: str, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError("%s must be a whole number, got %r" % (name, value)) from exc


def _float(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ConfigError("%s must be a number, got %r" % (name, value)) from exc


def _flag(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.lower() not in ("0", "false", "no")


# Defaults of the settings moved here from where they were read (issue 18).
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/nanum"
DEMO_HOUSEHOLDS = ("1144012-0001", "1144012-0002", "1144012-0003")


# Queue names live here and nowhere else (a test checks each has a worker).
QUEUE_REQUESTS = "requests"
QUEUE_DELIVERY = "delivery"
QUEUE_DEFAULT = "default"
QUEUES = (QUEUE_REQUESTS, QUEUE_DELIVERY, QUEUE_DEFAULT)

FAX_TRANSPORTS = ("spool", "hylafax", "email", "http")


class Config:
    ENV = "development"
    DEBUG = False
    TESTING = False

    def __init__(self) -> None:
        self.VAR_DIR = Path(_env("VAR_DIR", str(ROOT / "var"))).resolve()
        self.PORT = _int("PORT", 8000)
        self.HOST = _env("HOST", "127.0.0.1")
        self.PUBLIC_URL = _env("PUBLIC_URL", "http://%s:%d" % (self.HOST, self.PORT))
        self.SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET)
        self.PII_KEY = _env("PII_KEY", DEFAULT_PII_KEY)
        self.DATABASE_URL = _env(
            "DATABASE_URL", "sqlite:///%s" % (self.VAR_DIR / "tvgov.sqlite3")
        )
        self.REDIS_URL = _env("REDIS_URL")
        self.BACKEND_URL = _env("BACKEND_URL")
        self.BACKEND_TIMEOUT = _float("BACKEND_TIMEOUT", 5.0)
        self.BACKEND_RETRIES = _int("BACKEND_RETRIES", 2)
        self.BACKEND_BREAKER_FAILURES = _int("BACKEND_BREAKER_FAILURES", 5)
        self.BACKEND_BREAKER_RESET = _float("BACKEND_BREAKER_RESET", 30.0)
        self.WORKERS = _int("WORKERS", 2)
        self.WEB_WORKERS = _int("WEB_WORKERS", 2)
        self.WEB_THREADS = _int("WEB_THREADS", 8)  # gunicorn gthread threads per web process
        self.WEB_WORKER_CLASS = _env("WEB_WORKER_CLASS") or "tvapp.webworker.ScreenWorker"
        # Idle keep-alive connections a web process holds, and for how long:
        # a box loads a screen every few seconds, so it keeps its connection.
        self.WEB_KEEPALIVE = _int("WEB_KEEPALIVE", 2)
        self.WEB_CONNECTIONS = _int("WEB_CONNECTIONS", 1000)
        # The front (tvapp.front): nginx holds the boxes' connections and serves
        # shared screens from a short cache; "none" serves gunicorn on PORT.
        # `make run` uses nginx when it is installed ("auto").
        self.WEB_FRONT = (_env("WEB_FRONT") or "auto").lower()
        self.FRONT_CACHE_SECONDS = _int("FRONT_CACHE_SECONDS", 2)
        self.FRONT_WORKERS = _int("FRONT_WORKERS", 1)
        # The unix socket gunicorn listens on behind the front, and nothing else:
        # nginx's only way to the app (`make run`: VAR_DIR/run/web.sock). Set,
        # `launcher web` binds it instead of HOST:PORT and `launcher front` proxies to it.
        self.WEB_SOCKET = _env("WEB_SOCKET", "")
        # Proxies whose X-Forwarded-For/-Proto to believe on requests that came
        # over WEB_SOCKET (the front's; 1: nginx itself). Never on TCP: a
        # request to gunicorn's own port is the address it connects from (tvapp.frontpeer).
        self.PROXY_HOPS = _int("PROXY_HOPS", 1)
        # Live ticker streams (SSE) a web process holds at once: each holds a
        # thread for up to a minute, so at most half of them; more boxes get
        # the current state and come back a minute later.
        self.TICKER_STREAMS = _int("TICKER_STREAMS", max(1, self.WEB_THREADS // 2))
        # The request row is the truth: a job holds a lease on it while it
        # works; the sweep re-queues rows whose lease ran out.
        self.JOB_LEASE_SECONDS = _float("JOB_LEASE_SECONDS", 120.0)
        self.SWEEP_INTERVAL = _float("SWEEP_INTERVAL", 5.0)
        self.SWEEP_GRACE_SECONDS = _float("SWEEP_GRACE_SECONDS", 30.0)
        self.RETRY_BASE_SECONDS = _float("RETRY_BASE_SECONDS", 10.0)
        self.RETRY_MAX_SECONDS = _float("RETRY_MAX_SECONDS", 600.0)
        self.MAX_ATTEMPTS = _int("MAX_ATTEMPTS", 50)
        # Fax (fax_bridge; services.delivery.fax). Jobs live in the database;
        # the transport is what the fax worker sends them through: spool (a
        # folder a fax server reads; with FAX_SANDBOX, the fax worker plays
        # that server), hylafax, email (an email-to-fax gateway over SMTP_URL)
        # or http (a fax API; its signed callbacks reach /gateway/fax/callback).
        self.FAX_TRANSPORT = (_env("FAX_TRANSPORT") or "spool").lower()
        self.FAX_SPOOL_DIR = Path(_env("FAX_SPOOL_DIR", str(self.VAR_DIR / "fax" / "spool")))
        self.FAX_SANDBOX = _env("FAX_SANDBOX", "0" if self.ENV == "production" else "1") == "1"
        self.FAX_SANDBOX_PAGE_SECONDS = _float("FAX_SANDBOX_PAGE_SECONDS", 2.0)
        self.FAX_HYLAFAX_HOST = _env("FAX_HYLAFAX_HOST", "127.0.0.1")
        self.FAX_HYLAFAX_PORT = _int("FAX_HYLAFAX_PORT", 4559)
        self.FAX_HYLAFAX_USER = _env("FAX_HYLAFAX_USER")
        self.FAX_HYLAFAX_PASSWORD = _env("FAX_HYLAFAX_PASSWORD", "")
        self.FAX_EMAIL_DOMAIN = _env("FAX_EMAIL_DOMAIN")
        self.FAX_API_URL = _env("FAX_API_URL")
        self.FAX_API_KEY = _env("FAX_API_KEY", "")
        self.FAX_CALLBACK_URL = _env("FAX_CALLBACK_URL", "")
        self.FAX_CALLBACK_SECRET = _env("FAX_CALLBACK_SECRET", "")
        self.FAX_LINES = _int("FAX_LINES", 2)  # calls at once, across every fax worker
        self.FAX_POLL = _float("FAX_POLL", 1.0)  # seconds between looks at calls and the queue
        # When to call again and when to give up (fax_bridge.RetryPolicy: HylaFAX's defaults).
        self.FAX_RETRY_BUSY_DELAY = _float("FAX_RETRY_BUSY_DELAY", 180.0)
        self.FAX_RETRY_NO_ANSWER_DELAY = _float("FAX_RETRY_NO_ANSWER_DELAY", 300.0)
        self.FAX_RETRY_FAILED_DELAY = _float("FAX_RETRY_FAILED_DELAY", 300.0)
        self.FAX_RETRY_UNAVAILABLE_DELAY = _float("FAX_RETRY_UNAVAILABLE_DELAY", 60.0)
        self.FAX_RETRY_MAX_TRIES = _int("FAX_RETRY_MAX_TRIES", 3)
        self.FAX_RETRY_MAX_DIALS = _int("FAX_RETRY_MAX_DIALS", 12)
        self.FAX_RETRY_KILL_AFTER = _float("FAX_RETRY_KILL_AFTER", 3 * 3600.0)
        self.DISTRICT_NAME = _env("DISTRICT_NAME", "마포구청")
        self.LOG_LEVEL = _env("LOG_LEVEL", "INFO")
        self.LOG_FORMAT = _env("LOG_FORMAT", "text")
        # SMS (U-petitions): gateway outbox | kannel | http; byte limits counted in CP949.
        self.SMS_GATEWAY = _env("SMS_GATEWAY", "outbox")
        self.SMS_SERVICE_NUMBER = _env("SMS_SERVICE_NUMBER", "1588-0000")
        self.SMS_OWN_NUMBERS = _env("SMS_OWN_NUMBERS", "")  # more of our numbers, comma-separated
        self.SMS_MAX_BYTES = _int("SMS_MAX_BYTES", 90)
        self.LMS_MAX_BYTES = _int("LMS_MAX_BYTES", 2000)
        self.LMS_ENABLED = _env("LMS_ENABLED", "0").lower() in ("1", "true", "yes")
        self.KANNEL_SENDSMS_URL = _env("KANNEL_SENDSMS_URL", "http://127.0.0.1:13013/cgi-bin/sendsms")
        self.KANNEL_USER = _env("KANNEL_USER", "tvgov")
        self.KANNEL_PASS = _env("KANNEL_PASS", "")
        self.SMS_HTTP_URL = _env("SMS_HTTP_URL")
        self.SMS_HTTP_SECRET = _env("SMS_HTTP_SECRET", "")
        self.KANNEL_ALLOW_IPS = _env("KANNEL_ALLOW_IPS", "127.0.0.1,::1")  # who may call /gateway/kannel/*
        self.SMS_RATE_PER_PHONE = _int("SMS_RATE_PER_PHONE", 20)  # MO per phone per 10 minutes
        self.SMS_RATE_GLOBAL = _int("SMS_RATE_GLOBAL", 6000)  # MO per minute, all phones
        self._init_moved_settings()

    def _init_moved_settings(self) -> None:
        """Settings once read from the environment where they were used (issue 18):
        read here, once; code takes them from the config or runtime it is given."""
        self.FONT_DIR = _env("FONT_DIR", DEFAULT_FONT_DIR)  # NanumGothic.ttf and NanumGothicBold.ttf, for PDFs
        self.REDIS_MAX_CONNECTIONS = _int("REDIS_MAX_CONNECTIONS", 64)  # per process (a blocking pool)
        # Seconds a Redis command may take, and a connection: past them the screens go on without
        # what Redis keeps (a calm "잠시 늦어지고 있습니다" where a flow needs it; tvapp.errors)
        self.REDIS_TIMEOUT = _float("REDIS_TIMEOUT", 5.0)
        self.REDIS_CONNECT_TIMEOUT = _float("REDIS_CONNECT_TIMEOUT", 2.0)
        self.REDIS_SERVER = _env("REDIS_SERVER")  # the redis-server the launcher starts; unset: found on PATH
        self.SMTP_URL = _env("SMTP_URL")  # email relay; unset: .eml files in VAR_DIR/outbox/email
        self.MAIL_FROM = _env("MAIL_FROM", "no-reply@tvgov.local")  # the sender of email-to-fax jobs
        self.PAYMENT_PROVIDER = _env("PAYMENT_PROVIDER", "sandbox")  # sandbox | gateway
        self.PAYMENT_URL = _env("PAYMENT_URL")  # unset with the sandbox: BACKEND_URL + /pay/v1
        self.PAYMENT_SECRET = _env("PAYMENT_SECRET")  # unset with the sandbox: "sandbox"
        self.PAYMENT_TIMEOUT = _float("PAYMENT_TIMEOUT", 5.0)  # seconds per call to the provider
        self.DEMO_HOUSEHOLDS = _env("DEMO_HOUSEHOLDS", ",".join(DEMO_HOUSEHOLDS))  # mirrored by the demo seed
        self.NEWS_CAP_AUTOPUBLISH = _flag("NEWS_CAP_AUTOPUBLISH", True)  # CAP alerts on the ticker at once
        self.NEWS_SESSION_MINUTES = _int("NEWS_SESSION_MINUTES", 30)  # console idle logout
        self.NEWS_DISTRICT_NAMES = _env("NEWS_DISTRICT_NAMES", "")  # CAP area names, comma-separated; unset: demo's
        # 주민 참여: a vote's electorate lives at addresses starting with this (the register's district)
        self.PARTICIPATION_DISTRICT = _env("PARTICIPATION_DISTRICT", "서울특별시 마포구")
        self._init_hardening_settings()

    def _init_hardening_settings(self) -> None:
        """Request limits (tvapp.bodylimits; the front applies the same per location)."""
        self.MAX_BODY_BYTES = _int("MAX_BODY_BYTES", 64 * 1024)  # every route but those below
        self.CONSOLE_MAX_BODY_BYTES = _int("CONSOLE_MAX_BODY_BYTES", 1024 * 1024)  # the news item editor
        # the feed upload: services.xmlsafe's 5 MB cap plus the multipart envelope
        self.UPLOAD_MAX_BODY_BYTES = _int("UPLOAD_MAX_BODY_BYTES", 5 * 1024 * 1024 + 256 * 1024)
        self.MAX_FORM_PARTS = _int("MAX_FORM_PARTS", 200)  # fields of any form, urlencoded too
        # Feed servers that may be on a private or loopback address (a development
        # feed server), comma-separated host or host:port; empty: none (issue 19).
        self.FEED_ALLOW_HOSTS = _env("FEED_ALLOW_HOSTS", "")
        self.MAX_FORM_MEMORY_SIZE = _int("MAX_FORM_MEMORY_SIZE", 1024 * 1024)  # one multipart text field

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def validate(self) -> None:
        """Refuse unsafe settings (production overrides this with more)."""
        fax = self.fax_problems()
        if fax:
            raise ConfigError("the fax settings are incomplete; set " + ", ".join(fax))

    def fax_problems(self) -> list[str]:
        """What the chosen fax transport lacks (checked in every environment)."""
        if self.FAX_TRANSPORT not in FAX_TRANSPORTS:
            return ["FAX_TRANSPORT to one of %s (got %r)" % (", ".join(FAX_TRANSPORTS), self.FAX_TRANSPORT)]
        problems = []
        if self.FAX_TRANSPORT == "email" and not self.FAX_EMAIL_DOMAIN:
            problems.append("FAX_EMAIL_DOMAIN (FAX_TRANSPORT=email)")
        if self.FAX_TRANSPORT == "http" and not self.FAX_API_URL:
            problems.append("FAX_API_URL (FAX_TRANSPORT=http)")
        if self.FAX_LINES < 1:
            problems.append("FAX_LINES to at least 1")
        return problems

    def as_flask(self) -> dict:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


class DevelopmentConfig(Config):
    ENV = "development"
    DEBUG = False


class TestConfig(Config):
    ENV = "test"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.RETRY_BASE_SECONDS = _float("RETRY_BASE_SECONDS", 0.5)
        self.RETRY_MAX_SECONDS = _float("RETRY_MAX_SECONDS", 2.0)
        self.BACKEND_TIMEOUT = _float("BACKEND_TIMEOUT", 2.0)
        self.BACKEND_BREAKER_RESET = _float("BACKEND_BREAKER_RESET", 1.0)


class ProductionConfig(Config):
    ENV = "production"

    def validate(self) -> None:
        problems = []
        if self.SECRET_KEY == DEFAULT_SECRET or len(self.SECRET_KEY) < 32:
            problems.append("SECRET_KEY (at least 32 random characters)")
        if self.PII_KEY == DEFAULT_PII_KEY or len(self.PII_KEY) < 32:
            problems.append("PII_KEY (at least 32 random characters)")
        if not self.REDIS_URL:
            problems.append("REDIS_URL")
        if not self.BACKEND_URL:
            problems.append("BACKEND_URL")
        problems.extend(self.fax_problems())
        if self.FAX_TRANSPORT == "http" and not self.FAX_CALLBACK_SECRET:
            problems.append("FAX_CALLBACK_SECRET (FAX_TRANSPORT=http: fax callbacks are checked with it)")
        if problems:
            raise ConfigError(
                "production refuses to start; set " + ", ".join(problems)
            )


_CLASSES = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(env_name: str | None = None) -> Config:
    name = env_name or _env("TVGOV_ENV", "development")
    try:
        cls = _CLASSES[name]
    except KeyError as exc:
        raise ConfigError(
            "TVGOV_ENV must be one of %s, got %r" % (", ".join(_CLASSES), name)
        ) from exc
    config = cls()
    config.validate()
    return config

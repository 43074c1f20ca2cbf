"""Settings are read in ``services/core/config.py`` only (shared/ARCHITECTURE.md),
once, by ``load_config()``; the SMS gateway, the mailer and the payment
provider are built once by the runtime from its config."""

import ast
from pathlib import Path

import pytest

from services.core.config import DEFAULT_FONT_DIR, load_config
from services.core.runtime import Runtime
from services.delivery.email import OutboxMailer, SmtpMailer

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("services", "tvapp", "broadcast_feed", "reference_backend", "fax_bridge", "remote_nav")
THE_ONE_PLACE = "services/core/config.py"

# (file, text on the line or None for the whole file, why it may read the environment).
# An entry that no longer matches anything fails the test: delete it.
ALLOWED = (
    ("tvapp/launcher.py", "dict(os.environ)",
     "the launcher hands its environment to the processes it starts (they run load_config())"),
    ("tvapp/front.py", 'os.environ.get("PATH"',
     "finds the nginx binary on PATH: a lookup, not a setting"),
    ("broadcast_feed/ingest.py", '"BROADCAST_FEED_STORE"',
     "an argparse default of the `python -m broadcast_feed ingest` command-line tool, which runs without Config"),
    ("remote_nav/driver.py", '"REMOTE_NAV_CHROMIUM"',
     "remote_nav stands alone (imports nothing of ours): its test driver keeps its own default"),
)

MOVED = ("FONT_DIR", "REDIS_MAX_CONNECTIONS", "REDIS_SERVER", "SMTP_URL", "PAYMENT_PROVIDER", "PAYMENT_URL",
         "PAYMENT_SECRET", "PAYMENT_TIMEOUT", "DEMO_HOUSEHOLDS", "NEWS_CAP_AUTOPUBLISH", "NEWS_SESSION_MINUTES",
         "NEWS_DISTRICT_NAMES")


def environment_reads(path: Path) -> list[tuple[int, str]]:
    """(line, source line) of every use of os.environ / os.getenv in a module."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source, str(path))
    os_names = {"os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv", "getenvb")
                and isinstance(node.value, ast.Name) and node.value.id in os_names):
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                a.name in ("environ", "environb", "getenv", "getenvb") for a in node.names):
            found.append(node.lineno)
    return [(n, lines[n - 1].strip()) for n in sorted(set(found))]


def _allowed(rel: str, line: str, used: set) -> bool:
    for i, (path, text, _why) in enumerate(ALLOWED):
        if path == rel and (text is None or text in line):
            used.add(i)
            return True
    return False


def test_only_config_reads_the_environment():
    bad, used = [], set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel == THE_ONE_PLACE:
                continue
            for n, line in environment_reads(path):
                if not _allowed(rel, line, used):
                    bad.append("%s:%d: %s" % (rel, n, line))
    assert bad == [], ("read the setting in services/core/config.py (Config, load_config) and take it "
                       "from the config or runtime you are given:\n  " + "\n  ".join(bad))
    stale = [ALLOWED[i][:2] for i in range(len(ALLOWED)) if i not in used]
    assert stale == [], "allow-list entries that match nothing any more (delete them): %s" % stale


def test_the_scan_sees_every_form(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import os as o\nfrom os import getenv\nx = o.environ['A']\ny = o.getenv('B')\n")
    assert [n for n, _ in environment_reads(f)] == [2, 3, 4]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TVGOV_ENV", "test")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    for name in MOVED:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_moved_settings_have_their_defaults(clean_env):
    cfg = load_config()
    assert cfg.FONT_DIR == DEFAULT_FONT_DIR
    assert cfg.REDIS_MAX_CONNECTIONS == 64 and cfg.REDIS_SERVER is None
    assert cfg.SMTP_URL is None
    assert (cfg.PAYMENT_PROVIDER, cfg.PAYMENT_URL, cfg.PAYMENT_SECRET, cfg.PAYMENT_TIMEOUT) == (
        "sandbox", None, None, 5.0)
    assert cfg.DEMO_HOUSEHOLDS == "1144012-0001,1144012-0002,1144012-0003"
    assert cfg.NEWS_CAP_AUTOPUBLISH is True and cfg.NEWS_SESSION_MINUTES == 30
    assert cfg.NEWS_DISTRICT_NAMES == ""
    assert not cfg.is_production


def test_moved_settings_are_read_from_the_environment_once(clean_env):
    clean_env.setenv("NEWS_CAP_AUTOPUBLISH", "0")
    clean_env.setenv("NEWS_SESSION_MINUTES", "5")
    clean_env.setenv("REDIS_MAX_CONNECTIONS", "8")
    clean_env.setenv("PAYMENT_TIMEOUT", "1.5")
    clean_env.setenv("DEMO_HOUSEHOLDS", "1144012-0002, 1144012-0003")
    cfg = load_config()
    assert cfg.NEWS_CAP_AUTOPUBLISH is False and cfg.NEWS_SESSION_MINUTES == 5
    assert cfg.REDIS_MAX_CONNECTIONS == 8 and cfg.PAYMENT_TIMEOUT == 1.5
    from services.demo import demo_household_codes

    assert demo_household_codes(cfg) == ["1144012-0002", "1144012-0003"]
    clean_env.setenv("NEWS_SESSION_MINUTES", "50")  # too late: the config has been read
    assert cfg.NEWS_SESSION_MINUTES == 5


def test_runtime_builds_each_adapter_once_from_its_config(clean_env):
    cfg = load_config()
    cfg.BACKEND_URL = "http://127.0.0.1:9"
    rt = Runtime(cfg)
    assert rt.sms_gateway is rt.sms_gateway and rt.sms_gateway.name == "outbox"
    assert rt.mailer is rt.mailer and isinstance(rt.mailer, OutboxMailer)
    assert rt.payments is rt.payments and rt.payments.__class__.__name__ == "SandboxProvider"
    clean_env.setenv("SMTP_URL", "smtp://127.0.0.1:2525")  # the environment is not read at send time
    assert isinstance(rt.mailer, OutboxMailer)
    new = load_config()
    new.SMTP_URL, new.SMS_GATEWAY, new.BACKEND_URL = "smtp://127.0.0.1:2526", "kannel", "http://127.0.0.1:9"
    rt.reconfigure(new)
    assert rt.config is new
    assert isinstance(rt.mailer, SmtpMailer) and rt.mailer.port == 2526
    assert rt.sms_gateway.name == "kannel"


def test_a_misconfigured_provider_fails_when_used_and_is_not_kept(clean_env):
    cfg = load_config()
    cfg.PAYMENT_PROVIDER = "gateway"
    rt = Runtime(cfg)
    with pytest.raises(RuntimeError, match="PAYMENT_URL and PAYMENT_SECRET"):
        _ = rt.payments
    cfg.PAYMENT_URL, cfg.PAYMENT_SECRET = "http://127.0.0.1:9", "s" * 32
    assert rt.payments.__class__.__name__ == "GatewayProvider"


def test_production_is_a_property_of_the_config(clean_env):
    clean_env.setenv("TVGOV_ENV", "production")
    clean_env.setenv("SECRET_KEY", "s" * 40)
    clean_env.setenv("PII_KEY", "p" * 40)
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    clean_env.setenv("BACKEND_URL", "http://127.0.0.1:9")
    assert load_config().is_production

import pytest

from services.core.config import ConfigError, load_config


def test_env_var_chooses_the_configuration(monkeypatch):
    monkeypatch.setenv("TVGOV_ENV", "test")
    assert load_config().ENV == "test"
    monkeypatch.setenv("TVGOV_ENV", "development")
    assert load_config().ENV == "development"


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("TVGOV_ENV", "staging")
    with pytest.raises(ConfigError, match="TVGOV_ENV must be one of"):
        load_config()


def test_production_refuses_default_secrets(monkeypatch):
    monkeypatch.setenv("TVGOV_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PII_KEY", raising=False)
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "SECRET_KEY" in str(err.value) and "PII_KEY" in str(err.value)


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("TVGOV_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PII_KEY", "p" * 40)
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    monkeypatch.setenv("BACKEND_URL", "http://backend")
    assert load_config().ENV == "production"


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TVGOV_ENV", "development")
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = load_config()
    assert cfg.PORT == 9123
    assert cfg.DATABASE_URL == "sqlite:///%s" % (tmp_path / "tvgov.sqlite3")
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(ConfigError, match="PORT must be a whole number"):
        load_config()


def _production(monkeypatch):
    monkeypatch.setenv("TVGOV_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PII_KEY", "p" * 40)
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    monkeypatch.setenv("BACKEND_URL", "http://backend")


def test_production_with_the_http_fax_api_needs_the_callback_secret(monkeypatch):
    _production(monkeypatch)
    monkeypatch.setenv("FAX_TRANSPORT", "http")
    monkeypatch.setenv("FAX_API_URL", "https://fax.example/api")
    monkeypatch.delenv("FAX_CALLBACK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="FAX_CALLBACK_SECRET"):
        load_config()
    monkeypatch.setenv("FAX_CALLBACK_SECRET", "c" * 32)
    cfg = load_config()
    assert (cfg.FAX_TRANSPORT, cfg.FAX_CALLBACK_SECRET) == ("http", "c" * 32)
    assert cfg.FAX_SANDBOX is False  # no pretend fax line in production


def test_fax_settings_are_checked_in_every_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TVGOV_ENV", "test")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name in ("FAX_TRANSPORT", "FAX_SPOOL_DIR", "FAX_LINES", "FAX_RETRY_BUSY_DELAY"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_config()
    assert (cfg.FAX_TRANSPORT, cfg.FAX_SPOOL_DIR, cfg.FAX_SANDBOX) == ("spool", tmp_path / "fax" / "spool", True)
    monkeypatch.setenv("FAX_TRANSPORT", "pigeon")
    with pytest.raises(ConfigError, match="FAX_TRANSPORT to one of spool, hylafax, email, http"):
        load_config()
    monkeypatch.setenv("FAX_TRANSPORT", "email")
    monkeypatch.delenv("FAX_EMAIL_DOMAIN", raising=False)
    with pytest.raises(ConfigError, match="FAX_EMAIL_DOMAIN"):
        load_config()
    monkeypatch.setenv("FAX_TRANSPORT", "spool")
    monkeypatch.setenv("FAX_LINES", "0")
    with pytest.raises(ConfigError, match="FAX_LINES"):
        load_config()


def test_fax_retry_rules_default_to_fax_bridges(monkeypatch):
    from fax_bridge import RetryPolicy
    from services.delivery.fax import retry_policy

    monkeypatch.setenv("TVGOV_ENV", "test")
    for name in ("BUSY_DELAY", "NO_ANSWER_DELAY", "FAILED_DELAY", "UNAVAILABLE_DELAY", "MAX_TRIES",
                 "MAX_DIALS", "KILL_AFTER"):
        monkeypatch.delenv("FAX_RETRY_" + name, raising=False)
    assert retry_policy(load_config()) == RetryPolicy()
    monkeypatch.setenv("FAX_RETRY_BUSY_DELAY", "0.5")
    assert retry_policy(load_config()).busy_delay == 0.5

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

import pytest

from tests.support import procs
from tests.support.procs import wait_for


@pytest.fixture
def running_worker(runtime, log_dir):
    cfg = runtime.config
    p = procs.worker(log_dir, "health-worker", DATABASE_URL=cfg.DATABASE_URL,
                     REDIS_URL=cfg.REDIS_URL, BACKEND_URL=cfg.BACKEND_URL)
    yield p
    p.stop()


def test_healthz_is_200_only_when_every_part_is_up(client, running_worker):
    wait_for(lambda: client.get("/healthz").status_code == 200, 30, "healthy")
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert set(body["parts"]) == {"database", "redis", "backend", "workers"}
    assert body["parts"]["workers"]["queues_without_worker"] == []


def test_healthz_is_503_without_workers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["parts"]["workers"]["ok"] is False


def test_healthz_reports_a_down_back_end(env, sqlite_url, redis_url, private_backend, running_worker):
    from services.core.config import load_config
    from tvapp import create_app

    env(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, BACKEND_URL=private_backend.url)
    c = create_app(load_config()).test_client()
    private_backend.stop()
    resp = c.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["parts"]["backend"]["ok"] is False

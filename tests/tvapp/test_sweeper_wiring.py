"""The sweep process that make run starts does every part's periodic work."""

from services.pipeline import sweep


def test_sweeper_runs_the_request_sweep_and_the_news_tick():
    from broadcast_feed.tasks import news_tick
    from tvapp.sweeper import wire

    tasks = wire()
    assert sweep in tasks and news_tick in tasks
    assert wire().count(news_tick) == 1

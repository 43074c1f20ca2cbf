"""The front: nginx between the boxes and gunicorn (``launcher front``; `make run` starts it).

Why: a box keeps its connection open between screens, so ten thousand
households are ten thousand idle connections. nginx holds them for almost
nothing and talks to gunicorn over a few keep-alive connections, so the
Python processes spend their time on screens, not on sockets.

What it caches, and only that: a *shared screen* (home, the certificate
catalogue, the news list and articles; ``tvapp.screen_cache``) is the same
bytes for every box with the same language and text size once the household's
masked name is left out. When nginx asks (``X-TV-Front: 1``) the app answers
such a screen with the name left blank (``tv.js`` fills it from the box's
``tv_who`` cookie) and ``X-Accel-Expires`` (``FRONT_CACHE_SECONDS``, never past
the moment something on it runs out); nginx keeps it under the URL and the
box's ``tv_view`` cookie (language and text size) and serves it, and its
304s, to every box of that variant. Everything else passes through uncached:
a response without ``X-Accel-Expires``, any with ``Set-Cookie``, any request
without a well-formed ``tv_view`` or ``tv_device`` cookie (an unpaired box;
the app clears ``tv_view`` when it finds a box unpaired), any method but GET
and HEAD. No ``proxy_cache_lock``: every personal screen shares its cache key
with every other household's (it is never stored), and nginx's lock would
make them wait for each other in steps of half a second; an expired shared
screen is refreshed by one request while the others get the stale copy
(``proxy_cache_use_stale updating``). The box's own ``Cache-Control: private, no-cache`` reaches it unchanged.

What it answers itself, with nginx's Lua module installed (Debian:
libnginx-mod-http-lua; ``FRONT_VALIDATE=off`` leaves it to the app): a box
revalidating a *household screen* (나의 민원, its bills, a form it keeps).
The app writes, for each box and such screen it answers, a record in Redis
(``tvapp.screen_cache.keep_for_front``): the validator it gave and each key
the screen was made from with its value's digest. ``front_lua/tvfront.lua``
names the record from the box's cookies and the URI (and tells the app the
name in ``X-TV-Front-Key``, set here whatever the box sent) and, when the box
offers a household validator, asks Redis in one call (``front_lua/check.lua``)
whether all still hold; if so it answers the 304 with the app's headers, else
the request goes on to the app as before. So a household's screen changes
exactly when the app would say so, and most personal loads never reach Python.

What it costs: a shared screen may be up to ``FRONT_CACHE_SECONDS`` behind a
news change, and its clock is the moment nginx fetched it (the box ticks it on
from there). A box unpaired from elsewhere may see the public screens, with
its own old name from its own cookie, until its next personal screen or
ticker connection reaches the app.

gunicorn behind the front trusts one proxy hop (``PROXY_HOPS=1``) for the
client's address, which the rate limits key on.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

PROXY = """      proxy_pass http://tv_app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Id $tv_request_id;
      proxy_hide_header X-Request-Id;  # a cached screen's would be another request's
      add_header X-Request-Id $tv_request_id always;
      proxy_read_timeout 120s;
      proxy_send_timeout 60s;
"""

CONF = """# Written by tvapp.front at every start; edit that module, not this file.
{modules}{user}worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
  access_log off;  # URLs carry no personal data, but the app logs what matters
  server_tokens off;
  client_body_temp_path {dir}/tmp_body; proxy_temp_path {dir}/tmp_proxy;
  fastcgi_temp_path {dir}/tmp_fastcgi; uwsgi_temp_path {dir}/tmp_uwsgi; scgi_temp_path {dir}/tmp_scgi;
  keepalive_timeout 75s;
  keepalive_requests 100000;
  client_max_body_size {max_body};
{lua_http}  proxy_cache_path {dir}/cache levels=1:2 keys_zone=tv_screens:8m max_size=256m inactive=10m use_temp_path=off;
  upstream tv_app {{
    server {upstream} max_fails=0;
    keepalive 64;
  }}
  # A box of a known variant: language.textsize, as the app sets it (tvapp.tv.device).
  map $cookie_tv_view $tv_no_view {{
    "~^(ko|en)\\.(normal|large|xlarge)$" 0;
    default 1;
  }}
  # The box's own request id when it sent a sane one, else nginx's.
  map $http_x_request_id $tv_request_id {{
    "~^[A-Za-z0-9._-]{{1,64}}$" $http_x_request_id;
    default $request_id;
  }}
  map $cookie_tv_device $tv_no_box {{
    "" 1;
    default 0;
  }}
  server {{
    listen {listen} backlog=4096;
    location / {{
{proxy}      proxy_set_header X-TV-Front "";
      proxy_set_header X-TV-Front-Key "";
    }}
    location /tv/ {{
{proxy}      proxy_set_header X-TV-Front "1";
{lua_tv}
      proxy_cache tv_screens;
      proxy_cache_key "$uri?$args|$cookie_tv_view";
      # A box's validators reach the app (household screens answer 304s); the
      # app never answers the front's own fetch of a shared screen with one.
      proxy_set_header If-None-Match $http_if_none_match;
      proxy_set_header If-Modified-Since $http_if_modified_since;
      proxy_cache_bypass $tv_no_view $tv_no_box;
      proxy_no_cache $tv_no_view $tv_no_box;
      proxy_ignore_headers Cache-Control Expires Vary;
      proxy_cache_use_stale updating;
      proxy_cache_background_update on;
      add_header X-TV-Cache $upstream_cache_status always;
    }}
  }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/local/sbin")


def wanted(config) -> bool:
    """Whether `make run` puts nginx in front: WEB_FRONT=nginx, or auto and installed."""
    if config.WEB_FRONT == "none":
        return False
    return config.WEB_FRONT == "nginx" or nginx_binary() is not None


LUA_MODULES = ("ndk_http_module.so", "ngx_http_lua_module.so")  # Debian: libnginx-mod-http-lua
LUA_SOURCES = Path(__file__).resolve().parent / "front_lua"
LUA_HTTP = """  lua_package_path "{dir}/?.lua;{src}/?.lua;;";
  init_by_lua_block {{ require "tvfront" }}
"""
LUA_TV = """      set $tv_front_key "";
      access_by_lua_block { require("tvfront").access() }
      proxy_set_header X-TV-Front-Key $tv_front_key;
"""


def lua_modules(folder: str = "/usr/lib/nginx/modules") -> list[str] | None:
    """nginx's Lua module and its NDK when installed, else None."""
    found = [os.path.join(folder, m) for m in LUA_MODULES]
    return found if all(os.path.exists(f) for f in found) else None


def redis_target(url: str) -> dict | None:
    """Where the front's Lua reaches Redis, from REDIS_URL; None when it
    cannot (TLS, Sentinel or an unknown scheme: the app validates instead)."""
    u = urlsplit(url)
    q = parse_qs(u.query)
    try:
        db = int((u.path.lstrip("/") if u.scheme == "redis" else "") or q.get("db", ["0"])[0])
        port = u.port or 6379
    except ValueError:
        return None
    # as redis-py reads the URL: AUTH only with a password, as the user when one is named
    password = u.password or q.get("password", [None])[0]
    target = {"db": db, "password": unquote(password) if password else None,
              "username": unquote(u.username) if password and u.username else None}
    if u.scheme == "redis" and u.hostname:
        return dict(target, host=u.hostname, port=port, unix=None)
    if u.scheme == "unix" and u.path:
        return dict(target, host=None, port=0, unix=u.path)
    return None


def _lua_str(value) -> str:
    if value is None:
        return "nil"
    text = str(value)
    level = "=" * 3
    while "]%s]" % level in text:
        level += "="
    return "[%s[%s]%s]" % (level, text, level)


def lua_conf(target: dict, prefix: str, cache_control: str, now_cookie: str) -> str:
    """``tvfront_conf.lua``: what ``front_lua/tvfront.lua`` needs to know."""
    fields = dict(host=_lua_str(target["host"]), port=str(int(target["port"])), unix=_lua_str(target["unix"]),
                  db=str(int(target["db"])), username=_lua_str(target["username"]),
                  password=_lua_str(target["password"]), script=_lua_str(LUA_SOURCES / "check.lua"),
                  prefix=_lua_str(prefix), cache_control=_lua_str(cache_control),
                  now_cookie=_lua_str(now_cookie), timeout_ms="200", idle_ms="30000", pool="64")
    return "-- Written by tvapp.front at every start.\nreturn {\n%s\n}\n" % ",\n".join(
        "  %s = %s" % kv for kv in fields.items())


def render(directory: Path, listen: str, upstream: str, workers: int = 1, max_body: int = 6 * 1024 * 1024,
           connections: int = 16384, lua: list[str] | None = None) -> str:
    """nginx.conf; ``lua``: the module files to load for the front's own 304s
    (``front_lua/tvfront.lua``), None to leave every request to the app."""
    # Started by root, nginx would drop its workers to nobody, who cannot reach a
    # private VAR_DIR (its cache and buffers); they stay the launcher's user.
    user = "user root;\n" if os.geteuid() == 0 else ""
    modules = "".join("load_module %s;\n" % m for m in lua or ())
    return CONF.format(dir=directory, listen=listen, upstream=upstream, workers=max(1, workers),
                       connections=connections, max_body=max_body, proxy=PROXY, user=user, modules=modules,
                       lua_http=LUA_HTTP.format(dir=directory, src=LUA_SOURCES) if lua else "",
                       lua_tv=LUA_TV if lua else '      proxy_set_header X-TV-Front-Key "";\n')


def prepare(config, directory: Path | None = None) -> tuple[list[str], Path]:
    """``(nginx command, its folder)`` for the front on HOST:PORT before FRONT_UPSTREAM."""
    from services.xmlsafe import DEFAULT_MAX_BYTES

    binary = nginx_binary()
    if not binary:
        raise RuntimeError("nginx is not installed: apt-get install nginx (or run with WEB_FRONT=none)")
    if not config.FRONT_UPSTREAM:
        raise RuntimeError("FRONT_UPSTREAM is not set: the host:port of the web app behind the front")
    d = (directory or config.VAR_DIR / "front").resolve()
    d.mkdir(parents=True, exist_ok=True)
    lua = lua_modules() if config.FRONT_VALIDATE != "off" else None
    target = redis_target(config.REDIS_URL) if lua else None
    if target:
        from services import webcache
        from tvapp.screen_cache import CACHE_CONTROL, NOW_COOKIE_FORMAT

        conf_lua = d / "tvfront_conf.lua"
        conf_lua.touch(mode=0o600)  # it may hold Redis's password
        conf_lua.write_text(lua_conf(target, webcache.FRONT_PREFIX, CACHE_CONTROL, NOW_COOKIE_FORMAT))
    conf = d / "nginx.conf"
    conf.write_text(render(d, "%s:%d" % (config.HOST, config.PORT), config.FRONT_UPSTREAM,
                           config.FRONT_WORKERS, DEFAULT_MAX_BYTES + 2 * 1024 * 1024,
                           lua=lua if target else None))
    return [binary, "-c", str(conf), "-p", str(d), "-g", "daemon off;"], d

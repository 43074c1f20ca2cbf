"""The front: nginx between the boxes and gunicorn (``launcher front``; `make run` starts it).

Why: a box keeps its connection open between screens, so ten thousand
households are ten thousand idle connections. nginx holds them for almost
nothing and talks to gunicorn over a few keep-alive connections, so the
Python processes spend their time on screens, not on sockets.

What it caches, and only that: a *shared screen* (home, the certificate
catalogue, the news list and articles; ``tvapp.caching``) is the same
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

It also gzips what it sends (HTML, CSS, JavaScript, JSON): a screen is a few
kilobytes on the wire. Household screens pass through to the app, which
answers a box's revalidation with a 304 before rendering (``tvapp.caching``).

What it costs: a shared screen may be up to ``FRONT_CACHE_SECONDS`` behind a
news change, and its clock is the moment nginx fetched it (the box ticks it on
from there). A box unpaired from elsewhere may see the public screens, with
its own old name from its own cookie, until its next personal screen or
ticker connection reaches the app.

gunicorn behind the front listens on a unix socket only (``WEB_SOCKET``, 0660
in a folder closed to other users), which nginx alone uses; the app believes
``X-Forwarded-For`` (``PROXY_HOPS``, one: nginx's) for the client's address,
which the rate limits and the SMS gateway's caller check key on, only for
requests that came over it (``tvapp.frontpeer``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tvapp.bodylimits import body_limits

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
{user}worker_processes {workers};
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
  client_max_body_size {max_body};  # tvapp.bodylimits: the app's own limits, per location
  gzip on;
  gzip_comp_level 5;
  gzip_min_length 512;
  gzip_proxied any;
  gzip_vary on;
  gzip_types text/css application/javascript text/javascript application/json image/svg+xml;
  proxy_cache_path {dir}/cache levels=1:2 keys_zone=tv_screens:8m max_size=256m inactive=10m use_temp_path=off;
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
    }}
{body_locations}    location /tv/ {{
{proxy}      proxy_set_header X-TV-Front "1";
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


def _body_locations(limits: list[tuple[str, int]]) -> str:
    """A location per path with a larger body limit than the rest (none is cached)."""
    out = []
    for prefix, most in limits:
        if prefix == "/":
            continue
        where = prefix if prefix.endswith("/") else "= " + prefix
        out.append("    location %s {\n%s      proxy_set_header X-TV-Front \"\";\n"
                   "      client_max_body_size %d;\n    }\n" % (where, PROXY, most))
    return "".join(out)


def render(directory: Path, listen: str, upstream: str, workers: int = 1, max_body: int = 64 * 1024,
           connections: int = 16384, limits: list[tuple[str, int]] | None = None) -> str:
    """nginx.conf; ``max_body`` for every location but those of ``limits``."""
    # Started by root, nginx would drop its workers to nobody, who cannot reach a
    # private VAR_DIR (its cache and buffers); they stay the launcher's user.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return CONF.format(dir=directory, listen=listen, upstream=upstream, workers=max(1, workers),
                       connections=connections, max_body=max_body, proxy=PROXY, user=user,
                       body_locations=_body_locations(limits or []))


def prepare(config, directory: Path | None = None) -> tuple[list[str], Path]:
    """``(nginx command, its folder)`` for the front on HOST:PORT before gunicorn on WEB_SOCKET."""
    binary = nginx_binary()
    if not binary:
        raise RuntimeError("nginx is not installed: apt-get install nginx (or run with WEB_FRONT=none)")
    if not config.WEB_SOCKET:
        raise RuntimeError("WEB_SOCKET is not set: the unix socket of the web app behind the front"
                           " (`launcher web` with the same WEB_SOCKET)")
    d = (directory or config.VAR_DIR / "front").resolve()
    d.mkdir(parents=True, exist_ok=True)
    conf = d / "nginx.conf"
    conf.write_text(render(d, "%s:%d" % (config.HOST, config.PORT), "unix:%s" % config.WEB_SOCKET,
                           config.FRONT_WORKERS, config.MAX_BODY_BYTES, limits=body_limits(config)))
    return [binary, "-c", str(conf), "-p", str(d), "-g", "daemon off;"], d

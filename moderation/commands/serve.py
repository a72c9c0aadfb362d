"""`moderation serve`: the pre-publish hook over HTTP, on uvicorn (see docs/service.md)."""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
from typing import Any

import click

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_port(host: str, port: int) -> str:
    """`host:port` as a URL writes it: an IPv6 address in brackets (`[::1]:8080`, not `::1:8080`)."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def bind_error(host: str, port: int, workers: int) -> str | None:
    """Why uvicorn could not listen on host:port (None if it can), found by binding the way it will, then letting go.

    Without this check a port in use shows up only after our banner and
    uvicorn's "Application startup complete", as its own error and exit code 3.
    One worker: asyncio's create_server binds every address the host resolves
    to (SO_REUSEADDR on POSIX, IPv6 sockets IPv6-only, an address family the
    machine lacks skipped). More workers: uvicorn binds the host once in the
    parent (SO_REUSEADDR, IPv6 if the host has a colon). With SO_REUSEADDR as
    they use it, a port left in TIME_WAIT is not reported as taken.
    """
    if workers > 1:
        addresses = [(socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port))]
        reuse = True
    else:
        try:
            infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as exc:
            return str(exc.strerror or exc).lower()
        addresses = list(dict.fromkeys((family, sockaddr) for family, _, _, _, sockaddr in infos))
        reuse = os.name == "posix"
    sockets: list[socket.socket] = []
    bound, error = 0, None
    try:
        for family, sockaddr in addresses:
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
                sockets.append(sock)
                if reuse:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if workers == 1 and family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(sockaddr)
            except OSError as exc:
                error = str(exc.strerror or exc).lower()
                if workers > 1 or exc.errno != errno.EADDRNOTAVAIL:
                    return error
                continue  # asyncio skips an address whose family the machine has not enabled
            bound += 1
        return None if bound else error
    finally:
        for sock in sockets:
            sock.close()


def connection_options(timeout: float, max_pending: int) -> dict[str, Any]:
    """uvicorn's per-connection settings for `moderation serve` (the tests run their servers with these too)."""
    from moderation.service import HeaderDeadlineProtocol

    # uvicorn's Config and protocols take a float here (loop.call_later), though its own CLI rounds to int.
    return dict(timeout_keep_alive=timeout,
                # a connection must send its request line and headers within the keep-alive timeout
                http=HeaderDeadlineProtocol,
                # uvicorn answers 503 itself past this many connections+tasks per worker
                limit_concurrency=max_pending * 4, server_header=False)


@click.command(name="serve", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs an API key (see --api-key-env).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes, each with its own copy of the model (about one per core).")
# No exists=True: a missing --policy/--model is exit 1 like a broken one (docs/service.md), not click's usage error.
@click.option("--policy", "policy_path", type=click.Path(), metavar="FILE",
              help="Policy TOML (thresholds, word lists, fail mode; docs/policy.md).")
@click.option("--model", "model_path", type=click.Path(), metavar="PATH",
              help="Model (its directory, card or .npz) instead of the shipped one.")
@click.option("--api-key-env", default="MODERATION_API_KEY", show_default=True, metavar="VAR",
              help="Environment variable holding the API key. When it is set, every endpoint but /healthz "
                   "needs the key (X-API-Key header, Authorization: Bearer, or ?key=).")
@click.option("--coral-secret-env", default="MODERATION_CORAL_SECRET", show_default=True, metavar="VAR",
              help="Environment variable holding Coral's signing secret; when set, /v1/coral checks X-Coral-Signature.")
@click.option("--allow-no-api-key", is_flag=True,
              help="Serve on a non-loopback address without an API key (behind a proxy that authenticates).")
@click.option("--max-body-bytes", default=256 * 1024, show_default=True, type=click.IntRange(1024),
              help="Larger request bodies get 413.")
@click.option("--max-comment-chars", default=20_000, show_default=True, type=click.IntRange(1),
              help="Longer comments get 413 (Coral and WordPress endpoints: the fail mode); shorter ones are scored whole.")
@click.option("--max-batch", default=256, show_default=True, type=click.IntRange(1),
              help="Most comments in one /v1/check:batch request (413 above).")
@click.option("--max-pending", default=64, show_default=True, type=click.IntRange(1),
              help="Requests in progress per worker before new ones get 503 with Retry-After.")
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(0.1),
              help="Seconds to receive a request's headers (else the connection is closed), its body (408), then, "
                   "counted from there, to score a batch (503); also the keep-alive timeout.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log one line per request (an API key sent as ?key= shows as key=REDACTED).")
def serve_command(host: str, port: int, workers: int, policy_path: str | None, model_path: str | None,
                  api_key_env: str, coral_secret_env: str, allow_no_api_key: bool, max_body_bytes: int,
                  max_comment_chars: int, max_batch: int, max_pending: int, timeout: float, log_level: str,
                  access_log: bool) -> None:
    """Run the pre-publish HTTP service: a CMS asks before a comment goes live.

    \b
    Endpoints (docs/service.md):
      POST /v1/check                           {"text", "id"?, "author"?, "thread"?} -> verdict
      POST /v1/check:batch                     {"comments": [...]} -> {"verdicts": [...]}
      POST /v1alpha1/comments:analyze          Perspective-compatible (change the base URL)
      POST /v1/coral                           Coral Talk external moderation phase
      POST /v1/wordpress/pre_comment_approved  WordPress: 1 / 0 / "spam" / "trash"
      GET  /healthz, GET /version

    \b
    Examples:
      moderation serve                                   http://127.0.0.1:8080, no key
      MODERATION_API_KEY=s3cret moderation serve --host 0.0.0.0 --workers 2

    \b
    Exit codes:
      0  stopped by Ctrl+C (or SIGTERM with --workers > 1); with one
         worker, SIGTERM ends it by that signal after a graceful shutdown
         (uvicorn re-raises it: a shell shows 143)
      1  error before serving: the model or policy cannot be loaded (a
         --model or --policy path missing, unreadable or refused), or the
         address cannot be listened on (port in use, permission denied)
      2  usage error (including a non-loopback --host without an API key)
      3  uvicorn could not start (e.g. another process took the port after
         the check)
    """
    import uvicorn

    from moderation.model import ModelError
    from moderation.policy import PolicyError
    from moderation.service import SETTINGS_ENV, ServiceSettings, create_app, load_moderator, log_config

    api_key = os.environ.get(api_key_env) or None
    if not is_loopback(host) and not api_key and not allow_no_api_key:
        raise click.UsageError(f"serving on {host} (not loopback) needs an API key: set ${api_key_env}, "
                               f"or pass --allow-no-api-key if a proxy in front authenticates")
    # Before loading the model and printing the banner: a taken port is a one-line error, exit 1.
    reason = bind_error(host, port, workers)
    if reason:
        raise click.ClickException(f"cannot listen on {host_port(host, port)}: {reason}"
                                   + (" (another process listens there; stop it or pick another --port)"
                                      if "in use" in reason else ""))
    settings = ServiceSettings(max_body_bytes=max_body_bytes, max_comment_chars=max_comment_chars,
                               max_batch=max_batch, max_pending=max_pending, timeout=timeout)
    # Load once here so a bad model or policy file is a clear error before any worker starts.
    try:
        moderator = load_moderator(model_path, policy_path)
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    except (ModelError, OSError, ValueError) as exc:
        raise click.ClickException(f"cannot load the model: {exc}") from None
    click.echo(f"moderation serve: model {moderator.version}, policy {moderator.policy.source}, "
               f"http://{host_port(host, port)}, {workers} worker(s), "
               f"API key {'required' if api_key else 'off'}", err=True)
    server_options = dict(host=host, port=port, log_level=log_level, access_log=access_log,
                          log_config=log_config(),  # the access log shows ?key=REDACTED, in every worker
                          **connection_options(timeout, max_pending))
    if workers == 1:
        settings.api_key = api_key
        settings.coral_secret = os.environ.get(coral_secret_env) or None
        uvicorn.run(create_app(moderator, settings), **server_options)
        return
    del moderator  # each worker process loads its own copy
    os.environ[SETTINGS_ENV] = json.dumps({
        "settings": {k: v for k, v in vars(settings).items() if k not in ("api_key", "coral_secret")},
        "model_path": model_path, "policy_path": policy_path,
        "api_key_env": api_key_env, "coral_secret_env": coral_secret_env,
    })
    uvicorn.run("moderation.service:app_from_env", factory=True, workers=workers, **server_options)

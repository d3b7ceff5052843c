"""Built-in plugin adding ``peloton-export serve``: the local web interface
(:mod:`peloton_export.web`; needs the ``serve`` extra: Starlette, uvicorn, Jinja2).

``serve`` listens on ``127.0.0.1:8740`` by default. Beyond loopback (``--host 0.0.0.0``)
it needs a password (``serve --set-password``) and refuses to start without one, in one
line. Without ``--profile`` it serves every profile of the household.
"""

from __future__ import annotations

import sys

import click

from peloton_export.hookspecs import hookimpl

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8740


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("New serve password", hide_input=True, confirmation_prompt=True))


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free one).",
)
@click.option("--read-only", is_flag=True, help="Serve the dashboard, workouts and reports only: no action.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another name this server is opened by (its Host header; repeatable). IP addresses, "
    "localhost and this machine's name are always accepted.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="A TLS proxy's address whose X-Forwarded-Proto is believed (repeatable).",
)
@click.option(
    "--set-password",
    is_flag=True,
    help="Set the password the pages ask for (read from standard input when it is not a "
    "terminal), then exit.",
)
def serve_command(
    host: str,
    port: int,
    read_only: bool,
    allow_hosts: tuple[str, ...],
    trusted_proxies: tuple[str, ...],
    set_password: bool,
) -> None:
    """A local web interface: dashboard, sync now, workouts and their reports."""
    from peloton_export.paths import default_dirs

    try:
        from peloton_export.web.auth import check_bind, load_password_hash, save_password
    except ImportError:  # pragma: no cover - the extra is missing
        raise click.ClickException("serve needs its extra: pip install 'peloton-export[serve]'") from None
    config_dir = default_dirs().config
    if set_password:
        where = save_password(config_dir, _read_password())
        click.echo(f"Serve password set (its scrypt hash is in {where}).")
        return
    password_hash = load_password_hash(config_dir)
    check_bind(host, password_hash)
    _serve(host, port, read_only, allow_hosts, trusted_proxies, password_hash)


def _serve(
    host: str,
    port: int,
    read_only: bool,
    allow_hosts: tuple[str, ...],
    trusted_proxies: tuple[str, ...],
    password_hash: str | None,
) -> None:
    import signal
    import socket

    try:
        import uvicorn

        from peloton_export.web.app import ServeSettings, create_app
    except ImportError:
        raise click.ClickException("serve needs its extra: pip install 'peloton-export[serve]'") from None
    from peloton_export.cli import PROFILE_META
    from peloton_export.config import load_config
    from peloton_export.plugins import create_host
    from peloton_export.profiles import Profile, load_profiles

    ctx = click.get_current_context()
    chosen = ctx.find_root().meta.get(PROFILE_META)
    profiles = [chosen] if isinstance(chosen, Profile) else load_profiles(load_config())
    settings = ServeSettings(
        read_only=read_only,
        password_hash=password_hash,
        allowed_hosts=frozenset(allow_hosts),
        trusted_proxies=frozenset(trusted_proxies),
    )
    app = create_app(profiles, create_host(), settings)
    import logging

    logging.getLogger("peloton_export").setLevel(logging.INFO)  # the Logs page keeps INFO and up
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog until uvicorn serves them
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    names = ", ".join(p.name for p in profiles)
    mode = " (read-only)" if read_only else ""
    click.echo(f"Serving {names} on http://{shown}:{bound}/{mode}; Ctrl-C stops.", err=False)
    sys.stdout.flush()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            date_header=True,
            lifespan="off",
        )
    )
    # uvicorn stops on SIGTERM/SIGINT and raises the signal again once stopped: a quiet
    # handler then, so a stopped server exits 0 without the export's "Interrupted" line
    quiet = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in quiet.items():
            signal.signal(sig, handler)
    click.echo("Stopped.")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add ``serve``."""
    cli.add_command(serve_command)


__all__ = ["register_commands", "serve_command"]

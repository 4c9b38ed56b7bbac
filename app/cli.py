"""`flask --app wsgi kindred ...`: admin, demo data and the development server."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.models import Role
from app.services import accounts, audit, roles
from app.services.errors import DomainError


@click.group()
def kindred() -> None:
    """Kindred administration."""


@kindred.command("create-admin")
@click.argument("name")
@click.option("--passphrase-stdin", is_flag=True,
              help="Read the passphrase from standard input instead of generating one.")
@with_appcontext
def create_admin(name: str, passphrase_stdin: bool) -> None:
    """Create an admin account NAME (or make the existing account NAME an admin)."""
    member = accounts.find_by_pseudonym(name)
    if member is not None:
        if member.has_role(Role.ADMIN):
            click.echo(f"{member.pseudonym} is already an admin.")
            return
        roles.add_role_row(member, Role.ADMIN)
        audit.record(None, "role.granted", member, role="admin", via="command line")
        db.session.commit()
        click.echo(f"{member.pseudonym} is now an admin.")
        return
    if passphrase_stdin:
        passphrase = sys.stdin.readline().rstrip("\n")
    else:
        passphrase = secrets.token_urlsafe(18)
    try:
        new = accounts.register(name, passphrase, passphrase, roles=(Role.ADMIN,))
    except DomainError as err:
        raise click.ClickException(err.message) from None
    audit.record(None, "role.granted", new.member, role="admin", via="command line")
    db.session.commit()
    click.echo(f"Created admin account {new.member.pseudonym}.")
    if not passphrase_stdin:
        click.echo(f"Passphrase (shown once, change it after signing in): {passphrase}")
    click.echo("Recovery codes (shown once, keep them somewhere safe):")
    for code in new.recovery_codes:
        click.echo(f"  {code}")


@kindred.command("grant")
@click.argument("name")
@click.argument("role", type=click.Choice(["member", "peer_supporter", "facilitator", "admin"]))
@with_appcontext
def grant(name: str, role: str) -> None:
    """Grant ROLE to the member NAME (audited like the admin page)."""
    from app.services import duty

    try:
        click.echo(duty.grant_from_shell(name, role))
    except DomainError as err:
        raise click.ClickException(err.message) from None


@kindred.command("seed-categories")
@with_appcontext
def seed_categories() -> None:
    """Create the community's forum categories and example support resources (only if there are
    none yet). Safe in production; edit them afterwards on the admin pages."""
    from app.services import demo

    created = demo.seed_categories()
    click.echo(f"Created {created} categories." if created else "Categories already exist; nothing changed.")


@kindred.command("seed-demo")
@click.option("--demo-deployment", is_flag=True,
              help="Allow it under the production config: only for `make prod-demo`, a throwaway "
                   "production-shaped demo on 127.0.0.1.")
@with_appcontext
def seed_demo(demo_deployment: bool) -> None:
    """Create the demo accounts once (development only) and print their passphrases."""
    from app.services import demo

    if current_app.config.get("ENV_NAME") == "production" and not demo_deployment:
        raise click.ClickException("Demo data is never created in production.")
    creds = Path(current_app.instance_path) / "demo-accounts.txt"
    fresh = not demo.is_seeded()
    rows = demo.seed(creds)
    click.echo("")
    click.echo("=" * 72)
    click.echo("  DEMO DATA" + (" (created now)" if fresh else " (already there)")
               + ": made-up accounts for trying Kindred locally.")
    for name, role, passphrase in rows:
        click.echo(f"  {role:<16} pseudonym: {name:<18} passphrase: {passphrase}")
    if not rows:
        click.echo("  (demo credentials file missing; use `kindred create-admin NAME`)")
    click.echo("=" * 72)


@kindred.command("purge-chat")
@with_appcontext
def purge_chat() -> None:
    """Delete chat lines older than each room's retention period (run it daily, e.g. from cron)."""
    from app.services import chat

    click.echo(f"Deleted {chat.purge_expired()} expired chat lines.")


@kindred.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int,
              show_default="5000 or $PORT")
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve Kindred with Socket.IO on one process (development and demos)."""
    from app.extensions import socketio

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Flask refuses app.run() under its own CLI unless told this is deliberate.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    from app.services import chat, jobs

    chat.clear_presence()  # one process: nobody is connected before it starts
    jobs.start(app)
    click.echo(f"Kindred is running on http://{host}:{port}/  (Ctrl+C stops it)")
    socketio.run(app, host=host, port=port, debug=False, use_reloader=False,
                 log_output=False, allow_unsafe_werkzeug=True)

"""The `broker` command: init, serve, reindex, worker, run-due, ... (plus Flask's own, e.g. `broker db upgrade`)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select
from tqdm import tqdm

from broker.extensions import db


def _create_app():
    from broker import create_app

    return create_app()


@click.command("init")
@click.option("--demo/--no-demo", default=True, help="Load the West Yorkshire demo directory.")
@with_appcontext
def init_command(demo: bool):
    """Create or migrate the database, load demo data and build the search index."""
    from broker.directory import demo as demo_data
    from broker.directory.models import Provision

    click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    upgrade()
    if demo:
        existing = db.session.scalar(select(func.count()).select_from(Provision))
        if existing:
            click.echo(f"Directory already holds {existing} provisions; demo data not loaded again.")
        else:
            with tqdm(total=demo_data.demo_size(), desc="Loading demo directory", unit="provision") as bar:
                added = demo_data.load_demo(progress=bar.update)
            click.echo(f"Loaded {added} demo provisions.")
        from broker.demo_people import create_demo_people

        accounts = create_demo_people()
        db.session.commit()
        if accounts:
            click.echo("Demo accounts (for the demo only; passwords are shown once):")
            for role, email, password in accounts:
                click.echo(f"  {role:<9} {email:<24} {password}")
    _reindex()
    _warm_up_matcher()


def _warm_up_matcher():
    import matching

    click.echo("Compiling the placement matcher (once; cached in matching/__pycache__)...")
    click.echo(f"Matcher ready in {matching.warm_up():.1f} s")


def _reindex():
    from broker.directory.models import Provision
    from broker.directory.services import rebuild_index

    total = db.session.scalar(select(func.count()).select_from(Provision))
    with tqdm(total=total, desc="Building search index", unit="provision") as bar:
        docs = rebuild_index(progress=bar.update)
    click.echo(f"Search index: {docs} documents in {current_app.config['BROKER_INDEX_DIR']}")


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the search index from the database."""
    _reindex()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Processes: 1 serves with waitress; more with gunicorn (Linux), so every core serves.")
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per process.")
@with_appcontext
def serve_command(host: str, port: int, workers: int, threads: int):
    """Serve the web app and API (waitress in one process, or gunicorn with --workers N)."""
    from broker import serving

    from broker.security import plain_http_locally

    app = current_app._get_current_object()
    if plain_http_locally(app, host):
        app.config["SESSION_COOKIE_SECURE"] = False
        click.echo("Cookies are not Secure: plain http on this machine only (the demo). "
                   "Behind an https proxy set BROKER_SECURE_COOKIES=1.")
    elif app.config["SESSION_COOKIE_SECURE"]:
        click.echo("Cookies are Secure: sign-in needs https in front (BROKER_SECURE_COOKIES=0 to allow plain http).")
    click.echo(f"Serving on http://{host}:{port}/ with {workers} process(es) of {threads} threads  (Ctrl+C to stop)")
    if workers > 1:
        serving.serve_gunicorn(app, host, port, workers, threads)
    else:
        serving.serve_waitress(app, host, port, threads)


@click.command("create-user")
@click.option("--role", required=True, type=click.Choice(["pa", "provider", "manager", "admin"]))
@click.option("--email", required=True)
@click.option("--name", default="", help="Full name (defaults to the email).")
@click.option("--organisation-id", type=int, help="Provider staff: their organisation's id.")
@click.option("--phone", default="", help="A PA's phone number, shown to providers on their referrals.")
@click.option("--team", default="", help="A PA's team, shown to providers on their referrals.")
@click.password_option(help="At least 10 characters; asked for when not given.")
@with_appcontext
def create_user_command(role, email, name, organisation_id, phone, team, password):
    """Create a user account."""
    from broker.auth.services import create_user
    from broker.errors import DomainError

    try:
        user = create_user(email, name or email, role, password, organisation_id)
    except DomainError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field.replace('_', '-')}") from None
    user.phone, user.team = phone.strip()[:40], team.strip()[:200]
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("import-oruk")
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Check everything and show what would change; write nothing.")
@click.option("--strict", is_flag=True, help="All or nothing: any problem and nothing is written.")
@with_appcontext
def import_oruk_command(source, dry_run, strict):
    """Import an Open Referral UK / HSDS directory: a JSON file, a CSV package folder, or a live API's URL.

    By default every valid service comes in whole and whatever is wrong is left out and
    reported, naming the record and field. Run it from cron (or the scheduler) to keep a
    council's feed current: a re-import updates what changed and never frees a place a
    referral holds.
    """
    from contextlib import nullcontext

    from broker.directory import index_sync
    from broker.directory.oruk.read import read_source
    from broker.directory.oruk.write import BULK_THRESHOLD, import_feed

    with tqdm(desc="Reading services", unit="service", disable=None) as bar:
        feed = read_source(source, progress=bar)
    if not feed.readable:
        raise click.ClickException(f"{source} not imported, nothing changed:\n" + "\n".join(f"  {p}" for p in feed.problems))
    bulk = len(feed.services) > BULK_THRESHOLD and not dry_run
    with index_sync.paused(db.session) if bulk else nullcontext():
        with tqdm(total=len(feed.services), desc="Importing services", unit="service", disable=None) as bar:
            report = import_feed(feed, db.session, dry_run=dry_run, strict=strict, progress=bar)
        if dry_run or not report.written:
            db.session.rollback()
        else:
            db.session.commit()
    if bulk and report.written:
        _reindex()
    lines = _import_report(report, len(feed.services))
    if strict and report.problems:
        raise click.ClickException("\n".join([f"{source} not imported (--strict), nothing changed."] + lines[1:]))
    click.echo("\n".join(lines))


def _import_report(report, read: int) -> list[str]:
    lines = [
        ("Dry run, nothing written. " if report.dry_run else "")
        + f"Read {read} service(s) from {report.source}. Organisations: {report.organisations_added} added, "
        f"{report.organisations_updated} updated, {report.organisations_unchanged} unchanged. Listings: "
        f"{report.provisions_added} added, {report.provisions_updated} updated, {report.provisions_unchanged} unchanged; "
        f"{len(report.needs_review)} need review. Services left out: {report.services_left_out}."
    ]
    if report.problems:
        lines.append(f"Problems ({len(report.problems)}; what was left out in brackets):")
        lines += [f"  {p}" for p in report.problems]
    if report.needs_review:
        lines.append("Need review (hidden from search until an administrator categorises them at /admin/review):")
        lines += [f"  {where}" for where in report.needs_review]
    if report.notes:
        lines.append("Notes:")
        lines += [f"  {n}" for n in report.notes]
    return lines


@click.command("export-oruk")
@click.argument("folder", type=click.Path(file_okay=False))
@with_appcontext
def export_oruk_command(folder):
    """Write the published directory as an HSDS 3.0 tabular data package (CSV files and datapackage.json)."""
    from broker.directory.oruk.export import export_package

    written = export_package(folder, db.session)
    click.echo(f"Wrote an HSDS 3.0 data package to {folder}: "
               + ", ".join(f"{name} ({rows})" for name, rows in written.items() if rows) + ", datapackage.json")


def register_commands(app) -> None:
    from broker.insight.commands import allocate_command
    from broker.jobs.commands import run_due_command, worker_command

    for command in (init_command, reindex_command, serve_command, create_user_command,
                     allocate_command, import_oruk_command, export_oruk_command, worker_command, run_due_command):
        app.cli.add_command(command)


class BrokerGroup(FlaskGroup):
    """`broker`: a command that cannot reach the database says so in one line, not a traceback."""

    def invoke(self, ctx):
        from broker.health import UNAVAILABLE, reason

        try:
            return super().invoke(ctx)
        except UNAVAILABLE as exc:
            url = _database_url(ctx)
            raise click.ClickException(
                f"cannot reach the database {url}: {reason(exc)}. Check BROKER_DATABASE_URL and that the database is running."
            ) from None


def _database_url(ctx) -> str:
    from flask.cli import ScriptInfo
    from sqlalchemy.engine import make_url

    try:
        uri = ctx.ensure_object(ScriptInfo).load_app().config["SQLALCHEMY_DATABASE_URI"]
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - the message must come out whatever else is wrong
        return "(see BROKER_DATABASE_URL)"


@click.group(cls=BrokerGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main():
    """Brokerage directory and placement matching."""

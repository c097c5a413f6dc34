"""The `casedesk` command: serve the API, migrate, manage agents and tokens, export the spec."""

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from app.db import Database
from app.domain.agents import service as agents
from app.domain.agents.schemas import AgentCreate
from app.domain.permissions import Actor
from app.domain.vocabulary import Tier, Tier1Kind
from app.logs import configure as configure_logging
from app.migrations import upgrade_to_head
from app.settings import get_settings

CLI_ACTOR = Actor(
    id=uuid.UUID(int=0),
    name="casedesk command line",
    tier=Tier.supervisor,
    tier1_kind=None,
    default_queue="",
    time_zone="UTC",
)
"""Who acts for the command line, which has the database's full trust."""


def _now() -> datetime:
    return datetime.now(UTC)


def _database() -> Database:
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    return Database(settings.database_url)


METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _share_metrics(workers: int) -> Path | None:
    """Give worker processes one empty directory for their metric files; return it if created here.

    prometheus_client reads the variable when it is imported, which happens in
    each worker process after this, so the workers inherit it.
    """
    if workers == 1:
        return None
    configured = os.environ.get(METRICS_DIR_VARIABLE)
    if configured:
        # Values left by an earlier run would be added to this run's.
        for stale in Path(configured).glob("*.db"):
            stale.unlink()
        return None
    created = Path(tempfile.mkdtemp(prefix="casedesk-metrics-"))
    os.environ[METRICS_DIR_VARIABLE] = str(created)
    return created


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    # Worker processes configure their own logs; this covers uvicorn's supervisor.
    configure_logging(settings.log_level, settings.log_format)
    if not args.no_migrate:
        upgrade_to_head(settings.database_url)
    workers = args.workers or settings.workers
    metrics_dir = _share_metrics(workers)
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=workers,
            log_config=None,
            access_log=False,
            # Rounded up, because uvicorn's setting is whole seconds and 0 cancels every request.
            timeout_graceful_shutdown=math.ceil(
                settings.shutdown_grace.total_seconds()
            ),
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def migrate(_args: argparse.Namespace) -> int:
    upgrade_to_head(get_settings().database_url)
    print("database is at the latest migration")
    return 0


def create_agent(args: argparse.Namespace) -> int:
    try:
        data = AgentCreate(
            name=args.name,
            tier=args.tier,
            tier1_kind=args.kind,
            default_queue=args.queue,
            time_zone=args.time_zone,
        )
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "agent"
            print(f"error: {field}: {problem['msg']}", file=sys.stderr)
        return 2

    db = _database()
    now = _now()
    ttl = timedelta(days=args.ttl_days) if args.ttl_days else get_settings().token_ttl
    agent = db.run(agents.create_agent, data, now)
    token, record = db.run(
        agents.issue_token, agent.id, label=args.token_label, ttl=ttl, now=now
    )
    db.dispose()
    print(f"agent:   {agent.id} ({agent.tier.value}, queue {agent.default_queue})")
    print(f"token:   {token}")
    print(f"expires: {record.expires_at.isoformat()}")
    print("The token is shown only now. Send it as 'Authorization: Bearer <token>'.")
    return 0


def list_agents(_args: argparse.Namespace) -> int:
    db = _database()
    for agent in db.run(
        agents.list_agents, tier=None, active=None, after=None, limit=10_000
    ):
        state = "active" if agent.active else "inactive"
        kind = f"/{agent.tier1_kind.value}" if agent.tier1_kind else ""
        print(
            f"{agent.id}  {agent.tier.value}{kind}  {agent.default_queue}  {state}  {agent.name}"
        )
    db.dispose()
    return 0


def create_token(args: argparse.Namespace) -> int:
    db = _database()
    ttl = timedelta(days=args.ttl_days) if args.ttl_days else get_settings().token_ttl
    token, record = db.run(
        agents.issue_token,
        uuid.UUID(args.agent_id),
        label=args.label,
        ttl=ttl,
        now=_now(),
    )
    db.dispose()
    print(f"token:   {token}")
    print(f"id:      {record.id}")
    print(f"expires: {record.expires_at.isoformat()}")
    return 0


def revoke_token(args: argparse.Namespace) -> int:
    db = _database()
    record = db.run(agents.revoke_token, CLI_ACTOR, uuid.UUID(args.token_id), _now())
    db.dispose()
    print(f"revoked token {record.id} of agent {record.agent_id}")
    return 0


def export_openapi(args: argparse.Namespace) -> int:
    from app.main import create_app
    from app.settings import Settings

    # The spec does not depend on the database, so none is touched.
    spec = create_app(
        Settings(database_url="sqlite://"), configure_logs=False
    ).openapi()
    text = json.dumps(spec, indent=2, sort_keys=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}")
    return 0


def workflow_diagram(_args: argparse.Namespace) -> int:
    from app.workflows.service_request import LIFECYCLE

    sys.stdout.write(LIFECYCLE.mermaid())
    return 0


def demo(args: argparse.Namespace) -> int:
    from app.demo.replay import main as replay

    return replay(
        base_url=args.base_url, token=args.token, contacts=args.contacts, port=args.port
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casedesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser(
        "serve", help="migrate the database, then serve the API"
    )
    serve_parser.add_argument(
        "--host", help="address to bind (default CASEDESK_HOST or 127.0.0.1)"
    )
    serve_parser.add_argument(
        "--port", type=int, help="port (default CASEDESK_PORT or 8000)"
    )
    serve_parser.add_argument(
        "--workers", type=int, help="worker processes (default 1)"
    )
    serve_parser.add_argument(
        "--no-migrate", action="store_true", help="skip the migration step"
    )
    serve_parser.set_defaults(handler=serve)

    commands.add_parser(
        "migrate", help="upgrade the database to the latest migration"
    ).set_defaults(handler=migrate)

    agents_parser = commands.add_parser("agents", help="create and list agents")
    agent_commands = agents_parser.add_subparsers(dest="agents_command", required=True)
    create = agent_commands.add_parser(
        "create", help="create an agent and print its first token"
    )
    create.add_argument("--name", required=True)
    create.add_argument("--tier", required=True, choices=[tier.value for tier in Tier])
    create.add_argument(
        "--kind", choices=[kind.value for kind in Tier1Kind], help="Tier 1 kind"
    )
    create.add_argument("--queue", required=True, help="the agent's default queue")
    create.add_argument(
        "--time-zone", default="UTC", help="IANA time zone (default UTC)"
    )
    create.add_argument("--token-label", default="created with the command line")
    create.add_argument("--ttl-days", type=int, help="token lifetime in days")
    create.set_defaults(handler=create_agent)
    agent_commands.add_parser("list", help="list agents").set_defaults(
        handler=list_agents
    )

    tokens_parser = commands.add_parser("tokens", help="create and revoke tokens")
    token_commands = tokens_parser.add_subparsers(dest="tokens_command", required=True)
    token_create = token_commands.add_parser(
        "create", help="create a token for an agent"
    )
    token_create.add_argument("agent_id")
    token_create.add_argument("--label", default="created with the command line")
    token_create.add_argument("--ttl-days", type=int, help="token lifetime in days")
    token_create.set_defaults(handler=create_token)
    token_revoke = token_commands.add_parser("revoke", help="revoke a token")
    token_revoke.add_argument("token_id")
    token_revoke.set_defaults(handler=revoke_token)

    openapi_parser = commands.add_parser("openapi", help="write the OpenAPI spec")
    openapi_parser.add_argument(
        "--output", default="openapi/openapi.json", help="file, or - for stdout"
    )
    openapi_parser.set_defaults(handler=export_openapi)

    commands.add_parser(
        "workflow", help="print the lifecycle as a Mermaid diagram"
    ).set_defaults(handler=workflow_diagram)

    demo_parser = commands.add_parser(
        "demo", help="replay the example contacts over HTTP and check each outcome"
    )
    demo_parser.add_argument(
        "--base-url", help="a running service; default: start one on SQLite"
    )
    demo_parser.add_argument("--token", help="a supervisor token for --base-url")
    demo_parser.add_argument(
        "--contacts", help="a contacts JSON file (default: the bundled one)"
    )
    demo_parser.add_argument(
        "--port",
        type=int,
        help="port of the service started without --base-url (default: any free port)",
    )
    demo_parser.set_defaults(handler=demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())

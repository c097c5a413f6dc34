"""Load casedesk and the tutorial-style baseline in turn and compare them.

    .venv/bin/python -m bench.run                    # SQLite (WAL) in a temporary directory
    .venv/bin/python -m bench.run --workers 1,2 --postgres postgresql://postgres@127.0.0.1:5432/postgres

Both servers run on 127.0.0.1 with fresh databases. Each scenario loads
casedesk (A) and the baseline (B) in alternating rounds, A B A B, with the same
generator, so that load from other processes on the machine falls on both.
docs/benchmarks.md describes the method and the latest figures.
"""

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import timeit
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench.load import LoadResult, encode_request, from_list, run_load

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

EVENTS = (
    "escalate",
    "hold",
    "resume",
    "resolve",
    "de_escalate",
    "close",
    "reject_resolution",
    "reopen",
    "cancel",
)
EVENT_BODIES: dict[str, dict[str, Any]] = {
    "escalate": {},
    "hold": {"reason": "Waiting for the customer's logs."},
    "resume": {},
    "resolve": {"resolution": "Install update 10.0.15063.300, which fixes the reboot."},
    "de_escalate": {},
    "close": {"closing_note": "Told the customer by private message; fix confirmed."},
    "reject_resolution": {"reason": "The update did not fix it."},
    "reopen": {"reason": "The reboot came back."},
    "cancel": {"reason": "Duplicate of another SR."},
}
TIER2_EVENTS = {"hold", "resume", "resolve", "de_escalate"}
"""Events Tier 2 fires; the Tier 1 owner fires the others."""
PREPARATION = {
    "escalate": [],
    "hold": [],
    "resume": ["hold"],
    "resolve": [],
    "de_escalate": ["resolve"],
    "close": ["resolve", "de_escalate"],
    "reject_resolution": ["resolve", "de_escalate"],
    "reopen": ["resolve", "de_escalate", "close"],
    "cancel": [],
}
"""Events fired on a new escalated SR to bring it to the status each event starts from."""
SOURCE_STATUS = {
    "escalate": "open",
    "hold": "escalated",
    "resume": "on_hold",
    "resolve": "escalated",
    "de_escalate": "resolved",
    "close": "de_escalated",
    "reject_resolution": "de_escalated",
    "reopen": "closed",
    "cancel": "escalated",
}
BASELINE_STEPS_PER_CASE = 4
"""A baseline case takes /next four times (open to closed)."""

PROFILE_BODY = {
    "first_name": "Mariana",
    "last_name": "Souza",
    "address": {
        "line1": "Rua das Flores, 120, apto 31",
        "city": "São Paulo",
        "region": "SP",
        "postal_code": "01310-100",
        "country": "BR",
    },
    "email": "bench.customer@example.com",
    "phone": "+55 11 91234-0001",
    "collected_via": "private_message",
}
CASE_BODY = {
    "title": "Phone reboots on camera",
    "channel": "twitter",
    "followers": 1840,
}


def store_sr_body(profile_id: str) -> dict[str, Any]:
    """A store SR kept Open: social-media SRs are always escalated at creation."""
    return {
        "customer_type": "store",
        "profile_id": profile_id,
        "category": "os_bug",
        "contact_reason": "Calendar sync stops after the update.",
        "resolution_needed": "Sync working again.",
        "escalate": False,
        "open_reason": "The store tries a settings reset first.",
    }


def sr_body(profile_id: str) -> dict[str, Any]:
    return {
        "customer_type": "social_media",
        "profile_id": profile_id,
        "category": "os_bug",
        "contact_reason": "The phone reboots when the camera opens after the update.",
        "resolution_needed": "A fix or workaround for the reboot.",
        "channel": "twitter",
        "post_url": "https://twitter.com/example_user/status/880001112223334445",
        "public_comments": "My phone reboots every time I open the camera.",
        "community_level": "Level 2",
        "follower_count": 1840,
        "software_version": "10.0.15063.297",
        "firmware_version": "02177.00000.16045.36000",
    }


# Processes and CPU time


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's workers are children)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.extend(children)
        frontier.extend(children)
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def wait_until_up(port: int, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server on port {port} exited with {process.returncode}"
            )
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path} within 60 s")


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    database_url: str
    table: str
    pids: list[int] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def count_rows(self) -> int:
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                quoted = engine.dialect.identifier_preparer.quote(self.table)
                return int(
                    connection.execute(
                        sa.text(f"SELECT count(*) FROM {quoted}")
                    ).scalar_one()
                )
        finally:
            engine.dispose()


def start_casedesk(url: str, port: int, workers: int, log_path: Path) -> Server:
    env = {
        **os.environ,
        "CASEDESK_DATABASE_URL": url,
        # The default per-token limit would reject most of the load with 429.
        "CASEDESK_RATE_LIMIT_PER_MINUTE": "100000000",
        "CASEDESK_RATE_LIMIT_BURST": "100000000",
        "CASEDESK_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "casedesk"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )
    server = Server("casedesk", port, process, url, "service_request")
    wait_until_up(port, "/health/live", process)
    return server


def start_baseline(url: str, port: int, workers: int, log_path: Path) -> Server:
    env = {**os.environ, "BASELINE_DATABASE_URL": url}
    # Create the table once, so that several workers do not race to create it.
    subprocess.run(
        [sys.executable, "-c", "import tutorial_baseline"],
        cwd=BENCH_DIR,
        env=env,
        check=True,
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tutorial_baseline:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        cwd=BENCH_DIR,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )
    server = Server("baseline", port, process, url, "case")
    wait_until_up(port, "/openapi.json", process)
    return server


# Databases


class Databases:
    """Fresh databases for both apps: SQLite files, or PostgreSQL databases dropped afterwards."""

    def __init__(self, postgres_url: str | None, directory: Path) -> None:
        self.postgres_url = postgres_url
        self.directory = directory
        self.created: list[str] = []

    def new(self, name: str) -> str:
        if self.postgres_url is None:
            return f"sqlite:///{self.directory / (name + '.db')}"
        import psycopg

        database = f"bench_{name}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(self._admin_url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return str(
            sa.make_url(self._admin_url())
            .set(drivername="postgresql+psycopg", database=database)
            .render_as_string(hide_password=False)
        )

    def _admin_url(self) -> str:
        assert self.postgres_url is not None
        return re.sub(
            r"^postgres(ql)?(\+psycopg)?://", "postgresql://", self.postgres_url
        )

    def drop_all(self) -> None:
        if not self.created:
            return
        import psycopg

        with psycopg.connect(self._admin_url(), autocommit=True) as admin:
            for database in self.created:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.created.clear()


# Seeding through the public API


def call(
    port: int, requests: list[bytes], connections: int = 32
) -> list[tuple[int, dict[str, Any]]]:
    """Send prepared requests concurrently; return each response's status and JSON body."""
    if not requests:
        return []
    result = run_load(
        port,
        from_list(requests),
        connections=min(connections, len(requests)),
        limit_seconds=600,
        keep_bodies=True,
    )
    if result.requests != len(requests):
        raise RuntimeError(
            f"seeding sent {result.requests} of {len(requests)} requests"
        )
    failed = {
        status: count for status, count in result.statuses.items() if status >= 400
    }
    if failed:
        sample = next(
            (body for body in result.bodies.values() if b'"status":4' in body), b""
        )
        raise RuntimeError(f"seeding failed with statuses {failed}: {sample[:300]!r}")
    return [(200, json.loads(result.bodies[index])) for index in range(len(requests))]


def create_agent(url: str, name: str, tier: str, queue: str, kind: str | None) -> str:
    """Create an agent with the casedesk CLI and return its token."""
    command = [
        str(Path(sys.executable).parent / "casedesk"),
        "agents",
        "create",
        "--name",
        name,
        "--tier",
        tier,
        "--queue",
        queue,
    ]
    if kind:
        command += ["--kind", kind]
    output = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "CASEDESK_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^token:\s+(\S+)", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no token in the CLI output: {output!r}")
    return match.group(1)


@dataclass
class CasedeskSeed:
    owner: dict[str, str]
    tier2: dict[str, str]
    profile_id: str
    pools: dict[str, list[list[bytes]]]
    """Per event, one list of prepared requests per round."""
    read_ids: list[str]


def fire_request(
    sr_id: str, event: str, version: int, headers: dict[str, str]
) -> bytes:
    return encode_request(
        "POST",
        f"/service-requests/{sr_id}/{event.replace('_', '-')}",
        body=EVENT_BODIES[event],
        headers={**headers, "If-Match": f'"{version}"'},
    )


def seed_casedesk(
    server: Server, events: list[str], per_round: int, rounds: int
) -> CasedeskSeed:
    url = server.database_url
    owner = {
        "Authorization": "Bearer "
        + create_agent(url, "Bench Social", "tier1", "social-br", "social_media")
    }
    tier2 = {
        "Authorization": "Bearer "
        + create_agent(url, "Bench Tier2", "tier2", "ges", None)
    }
    store = {
        "Authorization": "Bearer "
        + create_agent(url, "Bench Store", "tier1", "store-sp", "store")
    }

    def agent_for(event: str) -> dict[str, str]:
        if event == "escalate":
            return store
        return tier2 if event in TIER2_EVENTS else owner

    [(_, profile)] = call(
        server.port,
        [encode_request("POST", "/profiles", body=PROFILE_BODY, headers=owner)],
    )
    profile_id = profile["id"]

    wanted = [(event, index) for event in events for index in range(per_round * rounds)]
    creates = [
        encode_request(
            "POST",
            "/service-requests",
            body=store_sr_body(profile_id)
            if event == "escalate"
            else sr_body(profile_id),
            headers=store if event == "escalate" else owner,
        )
        for event, _ in wanted
    ]
    states = [[body["id"], body["version"]] for _, body in call(server.port, creates)]
    for step in range(3):
        positions = [
            i for i, (event, _) in enumerate(wanted) if len(PREPARATION[event]) > step
        ]
        requests = []
        for position in positions:
            event = PREPARATION[wanted[position][0]][step]
            sr_id, version = states[position]
            requests.append(fire_request(sr_id, event, version, agent_for(event)))
        for position, (_, body) in zip(
            positions, call(server.port, requests), strict=True
        ):
            states[position][1] = body["version"]

    pools: dict[str, list[list[bytes]]] = {
        event: [[] for _ in range(rounds)] for event in events
    }
    for (event, index), (sr_id, version) in zip(wanted, states, strict=True):
        pools[event][index // per_round].append(
            fire_request(sr_id, event, version, agent_for(event))
        )

    read_ids = [
        state[0]
        for (event, _), state in zip(wanted, states, strict=True)
        if event != "escalate"
    ][:1000]
    if len(read_ids) < 1000:
        extra = call(
            server.port,
            [
                encode_request(
                    "POST", "/service-requests", body=sr_body(profile_id), headers=owner
                )
                for _ in range(1000 - len(read_ids))
            ],
        )
        read_ids += [body["id"] for _, body in extra]
    return CasedeskSeed(owner, tier2, profile_id, pools, read_ids)


@dataclass
class BaselineSeed:
    next_pools: list[list[bytes]]
    read_ids: list[int]


def seed_baseline(server: Server, next_rounds: int, per_round: int) -> BaselineSeed:
    case_pools = math.ceil(next_rounds / BASELINE_STEPS_PER_CASE) if next_rounds else 0
    count = max(1000, case_pools * per_round)
    ids = [
        body["id"]
        for _, body in call(
            server.port, [encode_request("POST", "/cases", body=CASE_BODY)] * count
        )
    ]
    next_pools = []
    for round_index in range(next_rounds):
        pool = round_index // BASELINE_STEPS_PER_CASE
        chunk = ids[pool * per_round : (pool + 1) * per_round]
        next_pools.append(
            [
                encode_request("POST", f"/cases/{case_id}/next", body={})
                for case_id in chunk
            ]
        )
    return BaselineSeed(next_pools, ids[:1000])


# Rounds


@dataclass
class Round:
    load: LoadResult
    cpu_seconds: float
    load_average: float


def measure(
    server: Server,
    requests: Callable[[int], bytes | None],
    seconds: float,
    connections: int,
    profile_to: Path | None = None,
) -> Round:
    load_average = os.getloadavg()[0]
    profiler = None
    py_spy = shutil.which("py-spy") or shutil.which(
        "py-spy", path=str(Path(sys.executable).parent)
    )
    if profile_to is not None:
        if py_spy is None:
            raise RuntimeError("--profile needs py-spy: pip install py-spy")
        profiler = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(server.process.pid),
                "--subprocesses",
                "--format",
                "raw",
                "--rate",
                "200",
                "--output",
                str(profile_to),
                "--duration",
                str(math.ceil(seconds)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
    before = cpu_seconds(server.pids)
    result = run_load(
        server.port, requests, connections=connections, limit_seconds=seconds
    )
    after = cpu_seconds(server.pids)
    if profiler is not None:
        profiler.wait(timeout=60)
    return Round(result, after - before, load_average)


@dataclass
class Figures:
    """One app's figures over all its rounds of one scenario."""

    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    errors: int
    statuses: dict[int, int]
    load_average: float

    @classmethod
    def of(cls, rounds: list[Round]) -> "Figures":
        merged = LoadResult()
        cpu = 0.0
        for round_ in rounds:
            merged.requests += round_.load.requests
            merged.seconds += round_.load.seconds
            merged.latencies += round_.load.latencies
            merged.statuses.update(round_.load.statuses)
            cpu += round_.cpu_seconds
        return cls(
            requests=merged.requests,
            rate=merged.rate,
            p50_ms=merged.percentile(0.50) * 1000,
            p99_ms=merged.percentile(0.99) * 1000,
            cpu_us=cpu / merged.requests * 1e6 if merged.requests else float("nan"),
            errors=merged.errors,
            statuses=dict(merged.statuses),
            load_average=max(round_.load_average for round_ in rounds),
        )


@dataclass
class Comparison:
    scenario: str
    casedesk: Figures
    baseline: Figures | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return (
            self.casedesk.rate / self.baseline.rate
            if self.baseline and self.baseline.rate
            else None
        )

    @property
    def cpu_ratio(self) -> float | None:
        """The baseline's CPU per request over casedesk's: how many times cheaper casedesk is.

        Unlike req/s, this hardly depends on how much CPU other processes leave
        to the servers, and a process on one event loop gets a smaller share of
        a busy machine than one with a thread pool.
        """
        return (
            self.baseline.cpu_us / self.casedesk.cpu_us
            if self.baseline and self.casedesk.cpu_us
            else None
        )


def alternate(
    casedesk: Callable[[int], Round],
    baseline: Callable[[int], Round] | None,
    rounds: int,
) -> tuple[list[Round], list[Round]]:
    """Run rounds A B A B ... so that outside load hits both apps alike."""
    a_rounds, b_rounds = [], []
    for index in range(rounds):
        a_rounds.append(casedesk(index))
        if baseline is not None:
            b_rounds.append(baseline(index))
    return a_rounds, b_rounds


def cycling(requests: list[bytes]) -> Callable[[int], bytes | None]:
    return lambda index: requests[index % len(requests)]


# The state machine's share of a lifecycle request


def machine_cost_us(event: str) -> float:
    """CPU µs the compiled state machine spends on one request firing `event`.

    A lifecycle request fires the event once and then lists the events allowed
    from the new status for the response, so both are timed.
    """
    from app.domain.permissions import Actor
    from app.domain.service_requests.service import transition_context
    from app.domain.vocabulary import Status, Tier, Tier1Kind
    from app.workflows.service_request import LIFECYCLE

    owner = Actor(
        id=uuid.uuid4(),
        name="o",
        tier=Tier.tier1,
        tier1_kind=Tier1Kind.social_media,
        default_queue="social-br",
        time_zone="UTC",
    )
    tier2 = Actor(
        id=uuid.uuid4(),
        name="t",
        tier=Tier.tier2,
        tier1_kind=None,
        default_queue="ges",
        time_zone="UTC",
    )
    actor = tier2 if event in TIER2_EVENTS else owner
    now = datetime.now(UTC)
    row = {
        "owner_id": owner.id,
        "queue": "social-br",
        "customer_type": "social_media",
        "assignee_id": tier2.id,
        "closed_at": now - timedelta(hours=1),
    }

    class _Policy:
        reopen_window = timedelta(days=30)

    source = Status(SOURCE_STATUS[event])

    def one_request() -> None:
        context = transition_context(actor, row, _Policy, now)  # type: ignore[arg-type]
        transition = LIFECYCLE.fire(source, event, context)
        LIFECYCLE.allowed_events(transition.target, context)

    loops = 5000
    best = min(timeit.repeat(one_request, number=loops, repeat=5))
    return best / loops * 1e6


# The suite


@dataclass
class Options:
    postgres: str | None
    workers: int
    seconds: float
    event_requests: int
    rounds: int
    connections: int
    port: int
    scenarios: list[str]
    profile_dir: Path | None


def run_suite(options: Options) -> tuple[list[Comparison], dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="casedesk-bench-"))
    databases = Databases(options.postgres, workdir)
    servers: list[Server] = []
    comparisons: list[Comparison] = []
    extra: dict[str, Any] = {}
    try:
        casedesk = start_casedesk(
            databases.new("casedesk"),
            options.port,
            options.workers,
            workdir / "casedesk.log",
        )
        servers.append(casedesk)
        baseline = start_baseline(
            databases.new("baseline"),
            options.port + 1,
            options.workers,
            workdir / "baseline.log",
        )
        servers.append(baseline)

        with urllib.request.urlopen(
            f"http://127.0.0.1:{casedesk.port}/openapi.json"
        ) as response:
            paths = set(json.load(response)["paths"])

        events = [name for name in EVENTS if name in options.scenarios]
        print(
            f"seeding ({len(events)} event pools of {options.rounds} x {options.event_requests} SRs)...",
            flush=True,
        )
        seed = seed_casedesk(casedesk, events, options.event_requests, options.rounds)
        base_seed = seed_baseline(
            baseline, len(events) * options.rounds, options.event_requests
        )
        for server in servers:
            server.pids = process_tree(server.process.pid)

        def profile_path(scenario: str, index: int) -> Path | None:
            if options.profile_dir is None or index != 0:
                return None
            options.profile_dir.mkdir(parents=True, exist_ok=True)
            return options.profile_dir / f"{scenario}-w{options.workers}.txt"

        def run_pair(
            scenario: str,
            a: Callable[[int], Callable[[int], bytes | None]],
            b: Callable[[int], Callable[[int], bytes | None]] | None,
            limit: float,
        ) -> tuple[list[Round], list[Round]]:
            print(f"  {scenario}...", flush=True)
            return alternate(
                lambda i: measure(
                    casedesk,
                    a(i),
                    limit,
                    options.connections,
                    profile_path(scenario, i),
                ),
                (lambda i: measure(baseline, b(i), limit, options.connections))
                if b
                else None,
                options.rounds,
            )

        if "create" in options.scenarios:
            body = sr_body(seed.profile_id)
            rows_before = (casedesk.count_rows(), baseline.count_rows())

            def sr_creates(round_index: int) -> Callable[[int], bytes | None]:
                prefix = f"bench-{uuid.uuid4().hex[:8]}-"
                return lambda index: encode_request(
                    "POST",
                    "/service-requests",
                    body=body,
                    headers={**seed.owner, "Idempotency-Key": f"{prefix}{index}"},
                )

            case_create = encode_request("POST", "/cases", body=CASE_BODY)
            a_rounds, b_rounds = run_pair(
                "create", sr_creates, lambda _: cycling([case_create]), options.seconds
            )
            added = (
                casedesk.count_rows() - rows_before[0],
                baseline.count_rows() - rows_before[1],
            )
            created = (
                sum(r.load.statuses[201] for r in a_rounds),
                sum(r.load.statuses[201] for r in b_rounds),
            )
            note = (
                "rows added == 201s"
                if added == created
                else f"ROWS MISMATCH: added {added}, 201s {created}"
            )
            extra["rows"] = {"added": added, "created": created}
            comparisons.append(
                Comparison(
                    "SR create", Figures.of(a_rounds), Figures.of(b_rounds), note
                )
            )

        if "read" in options.scenarios:
            reads = [
                encode_request("GET", f"/service-requests/{sr_id}", headers=seed.owner)
                for sr_id in seed.read_ids
            ]
            case_reads = [
                encode_request("GET", f"/cases/{case_id}")
                for case_id in base_seed.read_ids
            ]
            a_rounds, b_rounds = run_pair(
                "read",
                lambda _: cycling(reads),
                lambda _: cycling(case_reads),
                options.seconds,
            )
            comparisons.append(
                Comparison("SR read", Figures.of(a_rounds), Figures.of(b_rounds))
            )

        next_round = iter(range(len(base_seed.next_pools)))
        for event in events:
            pools = seed.pools[event]
            base_indexes = [next(next_round) for _ in range(options.rounds)]
            event_pools = [from_list(pool) for pool in pools]
            next_pools = [from_list(base_seed.next_pools[i]) for i in base_indexes]
            a_rounds, b_rounds = run_pair(
                event,
                event_pools.__getitem__,
                next_pools.__getitem__,
                options.seconds * 10,
            )
            comparisons.append(
                Comparison(
                    f"event {event}",
                    Figures.of(a_rounds),
                    Figures.of(b_rounds),
                    f"from {SOURCE_STATUS[event]}; baseline /next",
                )
            )

        for scenario, marker in (("queue", "/queue"), ("triage", "/triage")):
            if scenario in options.scenarios:
                present = sorted(path for path in paths if path.startswith(marker))
                extra.setdefault("skipped", []).append(
                    f"{scenario}: "
                    + (
                        f"routes {present} exist but the harness has no load for them yet"
                        if present
                        else "no such route in this build"
                    )
                )

        if events and "machine" in options.scenarios:
            shares = {}
            for comparison in comparisons:
                if comparison.scenario.startswith("event "):
                    event = comparison.scenario.removeprefix("event ")
                    cost = machine_cost_us(event)
                    shares[event] = (cost, cost / comparison.casedesk.cpu_us)
            extra["machine_share"] = shares
    finally:
        for server in servers:
            server.stop()
        databases.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return comparisons, extra


def machine_description() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return f"{os.cpu_count()} CPUs, {model}, Python {sys.version.split()[0]}"


def print_table(
    comparisons: list[Comparison], extra: dict[str, Any], options: Options
) -> None:
    database = "PostgreSQL" if options.postgres else "SQLite WAL"
    print(
        f"\n{database}, {options.workers} worker(s), {options.connections} connections; {machine_description()}"
    )
    header = f"{'scenario':<26} {'app':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'errors':>7} {'load':>5} {'ratio':>6} {'CPU ratio':>9}"
    print(header)
    print("-" * len(header))
    for comparison in comparisons:
        for name, figures in (
            ("casedesk", comparison.casedesk),
            ("baseline", comparison.baseline),
        ):
            if figures is None:
                continue
            ratio = (
                f"{comparison.ratio:.2f}x"
                if name == "casedesk" and comparison.ratio
                else ""
            )
            cpu_ratio = (
                f"{comparison.cpu_ratio:.2f}x"
                if name == "casedesk" and comparison.cpu_ratio
                else ""
            )
            print(
                f"{comparison.scenario if name == 'casedesk' else '':<26} {name:<9} {figures.rate:8.0f} "
                f"{figures.p50_ms:8.2f} {figures.p99_ms:8.2f} {figures.cpu_us:11.0f} {figures.errors:7d} "
                f"{figures.load_average:5.1f} {ratio:>6} {cpu_ratio:>9}"
            )
        if comparison.note:
            print(f"{'':<26} note: {comparison.note}")
    for line in extra.get("skipped", []):
        print(f"skipped {line}")
    shares = extra.get("machine_share")
    if shares:
        worst = max(shares.items(), key=lambda item: item[1][1])
        print(
            "state machine (fire + allowed events) per lifecycle request: "
            + ", ".join(
                f"{event} {cost:.0f} µs ({share:.1%})"
                for event, (cost, share) in shares.items()
            )
        )
        print(f"largest share of server CPU: {worst[0]} {worst[1][1]:.1%}")


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[int]]:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server URL; each app gets a fresh database there, dropped afterwards",
    )
    parser.add_argument(
        "--workers",
        default="1",
        help="uvicorn worker processes per app; a comma list runs the suite once per count (default 1)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="length of a timed round in seconds (default 3)",
    )
    parser.add_argument(
        "--event-requests",
        type=int,
        default=1000,
        help="requests per lifecycle-event round; each needs its own prepared SR (default 1000)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds per app and scenario (default 2)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="concurrent keep-alive connections (default 32)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8400,
        help="casedesk's port; the baseline takes the next one (default 8400)",
    )
    parser.add_argument(
        "--scenarios",
        default="create,read," + ",".join(EVENTS) + ",queue,triage,machine",
        help="comma list of scenarios (default: all)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record casedesk with py-spy during each scenario's first round into DIR",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the figures as JSON"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1200,
        help="stop the whole run after this many seconds (default 1200)",
    )
    args = parser.parse_args(argv)
    workers = [int(count) for count in args.workers.split(",")]
    return args, workers


def main(argv: list[str] | None = None) -> int:
    args, worker_counts = parse_args(argv)

    def on_timeout(_signum: int, _frame: Any) -> None:
        raise TimeoutError(
            f"the benchmark ran longer than --timeout {args.timeout:.0f} s"
        )

    signal.signal(signal.SIGALRM, on_timeout)
    signal.alarm(int(args.timeout))
    report: list[dict[str, Any]] = []
    creates: dict[int, float] = {}
    for workers in worker_counts:
        options = Options(
            postgres=args.postgres,
            workers=workers,
            seconds=args.seconds,
            event_requests=args.event_requests,
            rounds=args.rounds,
            connections=args.connections,
            port=args.port,
            scenarios=args.scenarios.split(","),
            profile_dir=args.profile,
        )
        comparisons, extra = run_suite(options)
        print_table(comparisons, extra, options)
        for comparison in comparisons:
            if comparison.scenario == "SR create":
                creates[workers] = comparison.casedesk.rate
        report.append(
            {
                "database": "postgresql" if args.postgres else "sqlite",
                "workers": workers,
                "machine": machine_description(),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "comparisons": [
                    {
                        "scenario": c.scenario,
                        "ratio": c.ratio,
                        "cpu_ratio": c.cpu_ratio,
                        "note": c.note,
                        "casedesk": vars(c.casedesk),
                        "baseline": vars(c.baseline) if c.baseline else None,
                    }
                    for c in comparisons
                ],
                "extra": extra,
            }
        )
    if len(creates) > 1:
        lowest = min(creates)
        for workers, rate in sorted(creates.items()):
            if workers != lowest:
                print(
                    f"SR create, {workers} workers / {lowest}: {rate / creates[lowest]:.2f}x"
                )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

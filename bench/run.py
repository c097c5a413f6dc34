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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import LoadResult, encode_request, from_list, run_load
from bench.seed import (
    CASE_BODY,
    EVENTS,
    SOURCE_STATUS,
    TIER2_EVENTS,
    TRIAGE_BODY,
    Agents,
    BaselineSeed,
    QueueSeed,
    seed_agents,
    seed_baseline,
    seed_casedesk,
    seed_queue,
    sr_body,
)
from bench.servers import (
    Databases,
    Server,
    cpu_seconds,
    process_tree,
    start_baseline,
    start_casedesk,
)

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


# Checks and the queue and triage scenarios

RunPair = Callable[
    [
        str,
        Callable[[int], Callable[[int], bytes | None]],
        Callable[[int], Callable[[int], bytes | None]] | None,
        float,
    ],
    tuple[list[Round], list[Round]],
]
"""Run one scenario's alternating rounds: name, casedesk's requests, the baseline's, round length."""

REPORT_ORDER = {"SR create": 0, "SR read": 1, "queue page": 2, "triage": 3}
"""Where each scenario goes in the table; the lifecycle events follow in run order."""


def openapi_paths(server: Server) -> dict[str, Any]:
    with urllib.request.urlopen(
        f"http://127.0.0.1:{server.port}/openapi.json"
    ) as response:
        return dict(json.load(response)["paths"])


def created_count(a_rounds: list[Round], b_rounds: list[Round]) -> tuple[int, int]:
    return (
        sum(r.load.statuses[201] for r in a_rounds),
        sum(r.load.statuses[201] for r in b_rounds),
    )


def rows_note(
    added: tuple[int, int], a_rounds: list[Round], b_rounds: list[Round]
) -> str:
    """Compare the rows each app added with its 201 responses."""
    created = created_count(a_rounds, b_rounds)
    if added == created:
        return "rows added == 201s"
    return f"ROWS MISMATCH: added {added}, 201s {created}"


def run_queue(
    casedesk: Server,
    queue_seed: QueueSeed,
    base_seed: BaselineSeed,
    base_paths: dict[str, Any],
    seconds: float,
    run_pair: RunPair,
) -> Comparison:
    """Read every page of the Tier 2 escalated view in turn, against the baseline's closest read."""
    escalated = casedesk.count_rows(where="status = 'escalated'")
    if "get" in base_paths.get("/cases", {}):
        base_requests = [encode_request("GET", "/cases")]
        compared = "baseline GET /cases, its list endpoint"
    else:
        base_requests = [
            encode_request("GET", f"/cases/{case_id}") for case_id in base_seed.read_ids
        ]
        compared = "baseline GET /cases/{id}: it has no list endpoint"
    a_rounds, b_rounds = run_pair(
        "queue",
        lambda _: cycling(queue_seed.pages),
        lambda _: cycling(base_requests),
        seconds,
    )
    return Comparison(
        "queue page",
        Figures.of(a_rounds),
        Figures.of(b_rounds),
        f"Tier 2 escalated, {len(queue_seed.pages)} pages of {queue_seed.page_size} "
        f"over {escalated} escalated SRs; {compared}",
    )


def run_triage(
    casedesk: Server,
    baseline: Server,
    agents: Agents,
    seconds: float,
    run_pair: RunPair,
) -> Comparison:
    """Triage a three-problem contact, against the baseline's POST /cases."""
    rows_before = (casedesk.count_rows("triage"), baseline.count_rows())
    triage = encode_request("POST", "/triage", body=TRIAGE_BODY, headers=agents.owner)
    case_create = encode_request("POST", "/cases", body=CASE_BODY)
    a_rounds, b_rounds = run_pair(
        "triage",
        lambda _: cycling([triage]),
        lambda _: cycling([case_create]),
        seconds,
    )
    added = (
        casedesk.count_rows("triage") - rows_before[0],
        baseline.count_rows() - rows_before[1],
    )
    return Comparison(
        "triage",
        Figures.of(a_rounds),
        Figures.of(b_rounds),
        f"3 problems; baseline POST /cases; triage {rows_note(added, a_rounds, b_rounds)}",
    )


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
    queue_srs: int


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

        paths = openapi_paths(casedesk)
        base_paths = openapi_paths(baseline)
        skipped = extra.setdefault("skipped", [])
        for scenario, route in (("queue", "/queues/{view}"), ("triage", "/triage")):
            if scenario in options.scenarios and route not in paths:
                options.scenarios.remove(scenario)
                skipped.append(f"{scenario}: no {route} route in this build")

        events = [name for name in EVENTS if name in options.scenarios]
        agents = seed_agents(casedesk)
        queue_seed = None
        if "queue" in options.scenarios:
            print(f"seeding {options.queue_srs} escalated SRs...", flush=True)
            queue_seed = seed_queue(casedesk, agents, options.queue_srs)
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

        # The queue and triage rounds run before the event pools are seeded,
        # so that the escalated view holds only the queue SRs.
        if queue_seed is not None:
            comparisons.append(
                run_queue(
                    casedesk,
                    queue_seed,
                    base_seed,
                    base_paths,
                    options.seconds,
                    run_pair,
                )
            )
        if "triage" in options.scenarios:
            comparisons.append(
                run_triage(casedesk, baseline, agents, options.seconds, run_pair)
            )

        print(
            f"seeding ({len(events)} event pools of {options.rounds} x {options.event_requests} SRs)...",
            flush=True,
        )
        seed = seed_casedesk(
            casedesk, agents, events, options.event_requests, options.rounds
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
            note = rows_note(added, a_rounds, b_rounds)
            extra["rows"] = {
                "added": added,
                "created": created_count(a_rounds, b_rounds),
            }
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
    comparisons.sort(key=lambda comparison: REPORT_ORDER.get(comparison.scenario, 9))
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
        "--queue-srs",
        type=int,
        default=300,
        help="escalated SRs in the Tier 2 queue during the queue rounds (default 300)",
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
            queue_srs=args.queue_srs,
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

"""Time one queue page with 10,000 SRs, then with 1,000,000, and print the ratio.

Run from the repository root:

    .venv/bin/python bench/queue_scale.py [--small 10000] [--large 1000000]

The database is a SQLite file in a temporary directory, migrated to head. SRs
are bulk-inserted with plain SQL (about a minute for a million rows), spread
over 4 Tier 1 owners and every status, mostly closed, as on a desk that has
run for a while. Each page is read in-process through the same service
function the API calls, `repeats` times after a warm-up, and the median is
reported. The target is a ratio of at most 1.3 for every page.
"""

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import Database
from app.domain.permissions import Actor
from app.domain.queues.schemas import QueueQuery, QueueSort, QueueView
from app.domain.queues.service import list_queue
from app.domain.vocabulary import Tier, Tier1Kind
from app.migrations import upgrade_to_head

OWNERS = 4
PAGE_SIZE = 50
START = datetime(2024, 1, 1, tzinfo=UTC)
STATUSES = (
    ["closed"] * 70
    + ["cancelled"] * 3
    + ["open"] * 5
    + ["escalated"] * 10
    + ["on_hold"] * 3
    + ["resolved"] * 4
    + ["de_escalated"] * 5
)
HELD_BY = {
    "open": "tier1",
    "escalated": "tier2",
    "on_hold": "tier2",
    "resolved": "tier2",
    "de_escalated": "tier1",
    "closed": "nobody",
    "cancelled": "nobody",
}
SR_COLUMNS = (
    "id, number, version, status, held_by, customer_type, category, "
    "additional_categories, contact_reason, resolution_needed, "
    "public_comments_redacted, profile_id, owner_id, queue, priority, "
    "created_at, updated_at, status_changed_at"
)


def _text(moment: datetime) -> str:
    """Format a timestamp as the application stores it on SQLite, as naive UTC text."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _service_requests(
    first: int, count: int, owners: list[str], profile: str, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    for index in range(first, first + count):
        status = rng.choice(STATUSES)
        created = _text(START + timedelta(seconds=30 * index))
        yield (
            uuid.uuid4().hex,
            f"SR-{index + 1:08d}",
            1,
            status,
            HELD_BY[status],
            "store",
            "os_bug",
            "[]",
            "Bulk-inserted for the benchmark.",
            "Nothing.",
            "[]",
            profile,
            owners[index % len(owners)],
            "store-sp",
            rng.randint(1, 9),
            created,
            created,
            created,
        )


def _seed_people(connection: sqlite3.Connection) -> tuple[list[str], str, str]:
    now = _text(START)
    owners = [uuid.uuid4().hex for _ in range(OWNERS)]
    tier2 = uuid.uuid4().hex
    agents = [
        (owner, f"Owner {i}", "tier1", "store", "store-sp", "UTC", 1, now)
        for i, owner in enumerate(owners)
    ] + [(tier2, "Tier 2", "tier2", None, "ges", "UTC", 1, now)]
    connection.executemany(
        "INSERT INTO agent (id, name, tier, tier1_kind, default_queue, time_zone, "
        "active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        agents,
    )
    profile = uuid.uuid4().hex
    connection.execute(
        "INSERT INTO profile (id, version, first_name, last_name, address_line1, city, "
        "country, email, email_key, creation_path, collected_via, created_by, "
        "created_at, updated_at) VALUES (?, 1, 'Bench', 'Customer', 'Rua 1', "
        "'São Paulo', 'BR', 'bench@example.com', 'bench@example.com', 'subscription', "
        "'email', ?, ?, ?)",
        (profile, owners[0], now, now),
    )
    return owners, tier2, profile


def fill(path: Path, first: int, count: int, seed: dict[str, Any]) -> None:
    """Append `count` SRs, and a follow-up for every tenth, with plain SQL."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    if "owners" not in seed:
        seed["owners"], seed["tier2"], seed["profile"] = _seed_people(connection)
    rng = random.Random(first)
    rows = _service_requests(first, count, seed["owners"], seed["profile"], rng)
    placeholders = ", ".join("?" * 18)
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            _insert(connection, batch, placeholders)
            batch = []
    if batch:
        _insert(connection, batch, placeholders)
    connection.commit()
    connection.close()


def _insert(
    connection: sqlite3.Connection, batch: list[tuple[Any, ...]], placeholders: str
) -> None:
    connection.executemany(
        f"INSERT INTO service_request ({SR_COLUMNS}) VALUES ({placeholders})", batch
    )
    connection.executemany(
        "INSERT INTO follow_up (id, service_request_id, agent_id, due_at, time_zone, "
        "channel, note, status, created_at) "
        "VALUES (?, ?, ?, ?, 'UTC', 'email', '', 'scheduled', ?)",
        [(uuid.uuid4().hex, row[0], row[12], row[15], row[15]) for row in batch[::10]],
    )


def _copy(source: Path, target: Path) -> None:
    """Copy a SQLite database with the backup API, so no WAL content is lost."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def _actor(agent_id: str, tier: Tier) -> Actor:
    return Actor(
        id=uuid.UUID(agent_id),
        name="Bench",
        tier=tier,
        tier1_kind=Tier1Kind.store if tier is Tier.tier1 else None,
        default_queue="store-sp",
        time_zone="UTC",
    )


PAGES = (
    ("Tier 1 waiting_on_tier2", "owner", QueueView.waiting_on_tier2, None),
    ("Tier 1 de_escalated", "owner", QueueView.de_escalated, None),
    ("Tier 2 escalated by priority", "tier2", QueueView.escalated, None),
    ("Tier 2 escalated oldest first", "tier2", QueueView.escalated, QueueSort.oldest),
)


def _middle_cursor(
    db: Database, actor: Actor, view: QueueView, sort: QueueSort | None, now: datetime
) -> str | None:
    """Walk half of the view page by page and return the cursor found there."""
    total = 0
    cursor = None
    pages = []
    while True:
        page = db.run(
            list_queue,
            actor,
            view,
            QueueQuery(sort=sort, cursor=cursor),
            PAGE_SIZE,
            now,
            write=False,
        )
        total += len(page.items)
        pages.append(page.next_cursor)
        cursor = page.next_cursor
        if cursor is None:
            break
    return pages[len(pages) // 2 - 1] if len(pages) > 1 else None


def _read_page(
    db: Database, actor: Actor, view: QueueView, query: QueueQuery, now: datetime
) -> tuple[float, float]:
    """Read one page; return the process CPU time and the wall time, in microseconds."""
    cpu_started = time.process_time_ns()
    wall_started = time.perf_counter_ns()
    page = db.run(list_queue, actor, view, query, PAGE_SIZE, now, write=False)
    wall = time.perf_counter_ns() - wall_started
    cpu = time.process_time_ns() - cpu_started
    assert len(page.items) == PAGE_SIZE, (view, len(page.items))
    return cpu / 1000, wall / 1000


def time_pages(
    paths: dict[str, Path], seed: dict[str, Any], repeats: int
) -> dict[str, dict[str, tuple[float, float]]]:
    """Return the median CPU and wall microseconds of each page in each database.

    Reads alternate between the databases, so that load from other processes on
    the machine slows both alike. CPU time leaves out the time the process
    waited for a core, which dominates wall time on a loaded machine.
    """
    dbs = {size: Database(f"sqlite:///{path}") for size, path in paths.items()}
    now = START + timedelta(days=3650)
    actors = {
        "owner": _actor(seed["owners"][0], Tier.tier1),
        "tier2": _actor(seed["tier2"], Tier.tier2),
    }
    results: dict[str, dict[str, tuple[float, float]]] = {size: {} for size in dbs}
    for name, who, view, sort in PAGES:
        actor = actors[who]
        middles = {
            size: _middle_cursor(db, actor, view, sort, now) for size, db in dbs.items()
        }
        for where in ("first page", "middle page"):
            samples: dict[str, list[tuple[float, float]]] = {size: [] for size in dbs}
            for attempt in range(repeats + 20):
                for size, db in dbs.items():
                    cursor = middles[size] if where == "middle page" else None
                    query = QueueQuery(sort=sort, cursor=cursor)
                    elapsed = _read_page(db, actor, view, query, now)
                    if attempt >= 20:
                        samples[size].append(elapsed)
            for size in dbs:
                cpu = statistics.median(sample[0] for sample in samples[size])
                wall = statistics.median(sample[1] for sample in samples[size])
                results[size][f"{name}, {where}"] = (cpu, wall)
    for db in dbs.values():
        db.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--small", type=int, default=10_000, help="SRs in the first run"
    )
    parser.add_argument(
        "--large", type=int, default=1_000_000, help="SRs in the second run"
    )
    parser.add_argument("--repeats", type=int, default=300, help="timed reads per page")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="casedesk-bench-") as directory:
        path = Path(directory) / "queues-small.db"
        upgrade_to_head(f"sqlite:///{path}")
        seed: dict[str, Any] = {}

        fill(path, 0, args.small, seed)
        large_path = Path(directory) / "queues-large.db"
        _copy(path, large_path)
        started = time.perf_counter()
        fill(large_path, args.small, args.large - args.small, seed)
        print(f"filled {args.large:,} SRs in {time.perf_counter() - started:.0f} s")
        results = time_pages({"small": path, "large": large_path}, seed, args.repeats)
        small, large = results["small"], results["large"]

    print(
        f"median of {args.repeats} reads of a {PAGE_SIZE}-item page, "
        "CPU time then wall time, in microseconds"
    )
    print(
        f"{'page':<44} {'CPU ' + format(args.small, ','):>11} "
        f"{'CPU ' + format(args.large, ','):>13} {'ratio':>6}"
        f" {'wall small':>11} {'wall large':>11} {'ratio':>6}"
    )
    worst = 0.0
    for name, (small_cpu, small_wall) in small.items():
        large_cpu, large_wall = large[name]
        ratio = large_cpu / small_cpu
        worst = max(worst, ratio)
        print(
            f"{name:<44} {small_cpu:>11.0f} {large_cpu:>13.0f} {ratio:>6.2f}"
            f" {small_wall:>11.0f} {large_wall:>11.0f} {large_wall / small_wall:>6.2f}"
        )
    print(f"worst CPU-time ratio {worst:.2f} (target <= 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A small HTTP/1.1 load generator on asyncio, for loopback benchmarks.

It keeps `connections` keep-alive connections open and sends prepared request
bytes, so a request costs the generator a few tens of microseconds. An
httpx client costs several times more per request, and on a 2-core machine the
generator shares the CPU with the server, so a heavier generator would shrink
every difference between the two servers.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson


def encode_request(
    method: str,
    path: str,
    *,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """Build one HTTP/1.1 request with keep-alive; a `body` is sent as JSON."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    payload = b""
    if body is not None:
        payload = orjson.dumps(body)
        lines.append("Content-Type: application/json")
    if method != "GET" or payload:
        lines.append(f"Content-Length: {len(payload)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class LoadResult:
    """What one round of load produced."""

    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    """Seconds from sending a request to reading the last byte of its response."""
    statuses: Counter[int] = field(default_factory=Counter)
    bodies: dict[int, bytes] = field(default_factory=dict)
    """Response bodies by request index, kept only when asked for."""

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 400)

    @property
    def successes(self) -> int:
        return self.requests - self.errors

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """The latency below which `fraction` of the requests finished, in seconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class ProtocolError(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = None
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding":
            raise ProtocolError("chunked responses are not supported")
    if length is None:
        raise ProtocolError(f"response without Content-Length (status {status})")
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _run(
    port: int,
    requests: Callable[[int], bytes | None],
    connections: int,
    limit_seconds: float,
    keep_bodies: bool,
) -> LoadResult:
    result = LoadResult()
    counter = iter(range(1 << 62))
    started = time.perf_counter()
    deadline = started + limit_seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                index = next(counter)
                request = requests(index)
                if request is None:
                    return
                sent = time.perf_counter()
                writer.write(request)
                status, body = await _read_response(reader)
                result.latencies.append(time.perf_counter() - sent)
                result.statuses[status] += 1
                result.requests += 1
                if keep_bodies:
                    result.bodies[index] = body
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result


def run_load(
    port: int,
    requests: Callable[[int], bytes | None],
    *,
    connections: int = 32,
    limit_seconds: float = 5.0,
    keep_bodies: bool = False,
) -> LoadResult:
    """Send requests until `requests(index)` returns None or `limit_seconds` pass."""
    try:
        import uvloop

        runner: Callable[..., LoadResult] = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_run(port, requests, connections, limit_seconds, keep_bodies))


def from_list(items: Iterable[bytes]) -> Callable[[int], bytes | None]:
    """Serve each prepared request once, in order."""
    prepared = list(items)

    def next_request(index: int) -> bytes | None:
        return prepared[index] if index < len(prepared) else None

    return next_request

"""Structured logging: one JSON object per line, or readable lines in a terminal.

Events are names with fields (`sr.transition_rejected`, `sr_number=...`). The
request id and agent id are bound per request from context variables. Fields
that could hold personal data are replaced before rendering, as a second line
of defence: the code never passes them in the first place.

The service's own events take structlog's fast path (a level-filtering logger
writing bytes rendered by orjson). Records from other libraries, uvicorn
included, go through the standard library and the same renderer.
"""

import logging
import sys
from typing import Any

import orjson
import structlog
from structlog.types import EventDict, Processor

PERSONAL_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "address",
        "email",
        "phone",
        "imei",
        "msa",
        "social_handle",
        "public_comments",
        "post_url",
    }
)


def drop_personal_data(_logger: Any, _method: str, event: EventDict) -> EventDict:
    for key in PERSONAL_KEYS & event.keys():
        event[key] = "[removed]"
    return event


def _orjson_dumps(event: EventDict, **_kwargs: Any) -> bytes:
    return orjson.dumps(event, default=str)


class _StandardError:
    """Standard error as it is when a line is written, not when logging was configured.

    structlog caches each logger, with its output file, on first use. Looking
    the stream up per line lets a test (or an embedding program) replace
    `sys.stderr` and still receive every line.
    """

    def write(self, data: bytes | str) -> None:
        stream = sys.stderr
        if isinstance(data, str):
            stream.write(data)
        elif hasattr(stream, "buffer"):
            stream.buffer.write(data)
        else:
            stream.write(data.decode())

    def flush(self) -> None:
        sys.stderr.flush()


def configure(level: str = "info", log_format: str = "auto") -> None:
    """Set up structlog and route standard-library records through the same renderer."""
    use_json = log_format == "json" or (
        log_format == "auto" and not sys.stderr.isatty()
    )
    numeric_level = logging.getLevelName(level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_personal_data,
    ]
    if use_json:
        structlog.configure(
            processors=[
                *shared,
                structlog.processors.dict_tracebacks,
                structlog.processors.JSONRenderer(serializer=_orjson_dumps),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
            logger_factory=structlog.BytesLoggerFactory(_StandardError()),  # type: ignore[arg-type]
            cache_logger_on_first_use=True,
        )
        renderer: Processor = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        structlog.configure(
            processors=[*shared, renderer],
            wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
            logger_factory=structlog.PrintLoggerFactory(_StandardError()),  # type: ignore[arg-type]
            cache_logger_on_first_use=True,
        )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(_StandardError())
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Requests are logged once, by the request middleware, with their route and agent.
    logging.getLogger("uvicorn.access").disabled = True

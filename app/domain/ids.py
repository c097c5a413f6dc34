"""Identifiers for new rows."""

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """Return a time-ordered UUID (version 7).

    New rows then land at the end of every index keyed by id, instead of at
    random pages, which keeps inserts and their commits small.
    """
    return uuid7()

"""Rewrite the generated blocks of the docs from the code: the lifecycle diagram and the permission table.

Run after changing the machine or the permission table:  .venv/bin/python scripts/render_docs.py
The test suite fails while a block is stale.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.domain.permissions import render_markdown  # noqa: E402
from app.workflows.service_request import LIFECYCLE  # noqa: E402

BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)",
    re.DOTALL,
)


def blocks() -> dict[str, str]:
    return {
        "lifecycle": "```mermaid\n" + LIFECYCLE.mermaid() + "```\n",
        "permissions": render_markdown(),
    }


def render(text: str) -> str:
    generated = blocks()

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + generated[match.group("name")] + match.group(4)

    return BLOCK.sub(replace, text)


DOCUMENTS = ("README.md", "docs/operations.md")
"""The files whose generated blocks this script rewrites, relative to the project root."""


def main() -> int:
    for name in DOCUMENTS:
        document = ROOT / name
        text = document.read_text()
        updated = render(text)
        if updated != text:
            document.write_text(updated)
            print(f"{name} updated")
        else:
            print(f"{name} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

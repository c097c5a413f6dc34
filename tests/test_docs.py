"""The README's generated blocks match the code they describe."""

from pathlib import Path

from scripts.render_docs import blocks, render

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_generated_blocks_are_current() -> None:
    text = README.read_text()

    assert render(text) == text, "README.md is stale: run scripts/render_docs.py"


def test_readme_shows_every_block() -> None:
    text = README.read_text()

    for name, body in blocks().items():
        assert f"<!-- generated: {name} -->\n{body}" in text

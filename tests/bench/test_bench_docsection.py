"""Blocks other bench commands write into docs/benchmarks.md survive run_all's rewrite."""

from __future__ import annotations

from pathlib import Path

from bench.docsection import kept_blocks, update


def test_a_block_is_appended_then_replaced_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\ngenerated text\n")

    update("bench.fuzz", ["## Fuzzing", "", "first run"], doc)
    update("bench.flood", ["## Flood", "", "one run"], doc)
    update("bench.fuzz", ["## Fuzzing", "", "second run"], doc)

    text = doc.read_text()
    assert "first run" not in text and text.count("second run") == 1
    assert text.index("second run") < text.index("one run")
    assert text.startswith("# Benchmarks\n\ngenerated text\n\n<!-- begin bench.fuzz -->\n")


def test_a_regenerated_file_keeps_the_blocks(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("old generated text\n")
    update("bench.flood", ["## Flood", "", "figures"], doc)

    regenerated = "new generated text\n" + kept_blocks(doc.read_text())

    assert regenerated == (
        "new generated text\n\n<!-- begin bench.flood -->\n## Flood\n\nfigures\n"
        "<!-- end bench.flood -->\n"
    )

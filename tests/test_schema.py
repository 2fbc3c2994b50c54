"""The editor schema (refmap/entry.schema.json) is the model's export, and the KB files point at it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KB = Path(__file__).resolve().parent.parent / "refmap"


def test_schema_file_is_the_models_export():
    exported = subprocess.run(
        [sys.executable, "-m", "refmap", "schema", "--output", "-"], capture_output=True, text=True, check=True
    ).stdout
    on_disk = (KB / "entry.schema.json").read_text(encoding="utf-8")
    assert on_disk == exported, "refmap/entry.schema.json is stale: run `python -m refmap schema`"
    schema = json.loads(on_disk)
    assert "measure" in schema["$defs"]["Check"]["properties"]
    assert schema["$defs"]["Check"]["additionalProperties"] is False


def test_every_entry_file_carries_the_schema_modeline():
    files = sorted(KB.glob("*/*.yaml"))
    assert len(files) > 40
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../entry.schema.json", path

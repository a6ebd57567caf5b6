"""House rule: notebooks are committed without outputs or execution counts, and each has a parameters cell
and kernelspec metadata (papermill needs both)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def problems(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count")):
            found.append(f"{path}: cell {i} has outputs or an execution count (strip them)")
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.get("cells", [])):
        found.append(f"{path}: no cell tagged 'parameters'")
    if not nb.get("metadata", {}).get("kernelspec", {}).get("name"):
        found.append(f"{path}: no kernelspec metadata")
    return found


def main() -> int:
    issues = [p for nb in sorted((ROOT / "notebooks").glob("**/*.ipynb")) if ".ipynb_checkpoints" not in str(nb)
              for p in problems(nb)]
    for line in issues:
        print(line, file=sys.stderr)
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())

"""Compare two output folders of the same month(s) as their users would read them, ignoring timestamps.

Usage: ``scripts/compare_outputs.py BEFORE AFTER [--month YYYY-MM] [--replace OLD=NEW ...]``

For a refactoring that must not change what staff get (e.g. two ``kokuho-nb demo --as-of`` runs on two checkouts):

- ``.xlsx``: every sheet's cell values, number formats, merged ranges, print areas, data validations, header and
  footer texts (the workbook properties' times are ignored);
- ``.html``: the text and markup with timestamps (``YYYY-MM-DD HH:MM``, ISO times) blanked;
- ``.pdf``: the text of every page (``pdftotext``), timestamps blanked;
- ``.ipynb``: the cells' sources and text outputs (execution counts, metadata and times ignored);
- other files: bytes.

``--replace OLD=NEW`` rewrites text of BEFORE (paths of the two stores and output folders differ). Prints one line
per file that differs (with the first difference) and a summary; exit 1 when something differs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl

TIMES = [
    re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(\+\d{2}:\d{2}|Z)?"),
    re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}"),
    re.compile(r"\d+(\.\d+)? ?(秒|s)\b"),
]


def blank_times(text: str) -> str:
    for rx in TIMES:
        text = rx.sub("<time>", text)
    return text


def xlsx_view(path: Path) -> list[Any]:
    wb = openpyxl.load_workbook(path)
    out: list[Any] = []
    for ws in wb.worksheets:
        out.append(("sheet", ws.title, ws.sheet_state, str(ws.print_area), str(ws.print_title_rows)))
        out.append(("merged", sorted(str(r) for r in ws.merged_cells.ranges)))
        out.append(("header", ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text,
                    ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text))
        out.append(("validation", sorted((dv.type, str(dv.sqref), dv.formula1, dv.formula2)
                                         for dv in ws.data_validations.dataValidation)))
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out.append((c.coordinate, c.value, c.number_format))
    return out


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def notebook_view(path: Path) -> list[Any]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for c in nb.get("cells", []):
        out.append(("source", "".join(c.get("source", ""))))
        for o in c.get("outputs", []):
            if "text" in o:
                out.append(("text", "".join(o["text"])))
            for kind, data in (o.get("data") or {}).items():
                if kind.startswith("text/") or kind == "application/json":
                    out.append((kind, "".join(data) if isinstance(data, list) else json.dumps(data)))
    return out


def view(path: Path, replace: list[tuple[str, str]]) -> Any:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data: Any = xlsx_view(path)
        text = json.dumps(data, ensure_ascii=False, default=str)
    elif suffix == ".pdf":
        text = pdf_text(path)
    elif suffix == ".ipynb":
        text = json.dumps(notebook_view(path), ensure_ascii=False)
    elif suffix in (".html", ".json", ".txt", ".csv", ".md", ".svg"):
        text = path.read_text(encoding="utf-8", errors="replace")
    else:
        return path.read_bytes()
    for old, new in replace:
        text = text.replace(old, new)
    return blank_times(text)


def first_difference(a: Any, b: Any) -> str:
    if isinstance(a, bytes) or isinstance(b, bytes):
        return f"{len(a)} vs {len(b)} bytes"
    la, lb = str(a).splitlines(), str(b).splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            j = next((k for k, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y)))
            return f"line {i + 1}: …{x[max(0, j - 60): j + 80]!r} vs …{y[max(0, j - 60): j + 80]!r}"
    return f"{len(la)} vs {len(lb)} lines"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--month", action="append", help="only these YYYY-MM folders (default: all)")
    ap.add_argument("--replace", action="append", default=[], help="OLD=NEW text replacement applied to BEFORE")
    args = ap.parse_args()
    replace = [tuple(r.split("=", 1)) for r in args.replace]

    def files(root: Path) -> set[Path]:
        found = {p.relative_to(root) for p in root.rglob("*") if p.is_file()}
        if args.month:
            found = {p for p in found if p.parts and p.parts[0] in args.month}
        return found

    before, after = files(args.before), files(args.after)
    only_before, only_after = sorted(before - after), sorted(after - before)
    differ, same = [], 0
    for rel in sorted(before & after):
        a, b = view(args.before / rel, replace), view(args.after / rel, [])
        if a == b:
            same += 1
        else:
            differ.append((rel, first_difference(a, b)))
    for rel in only_before:
        print(f"only before: {rel}")
    for rel in only_after:
        print(f"only after:  {rel}")
    for rel, why in differ:
        print(f"differs:     {rel}: {why}")
    print(f"\n{same} identical, {len(differ)} differ, {len(only_before)} only before, {len(only_after)} only after")
    return 1 if differ or only_before or only_after else 0


if __name__ == "__main__":
    sys.exit(main())

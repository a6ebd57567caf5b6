"""Reading a ledger: a folder or a ``.zip`` of CSV files, UTF-8 (with or without BOM) or Shift_JIS/CP932.

Every problem that makes a whole file unreadable raises :class:`~kokuho_nb.errors.UserError` with a Japanese
message naming the file: the importer then refuses the whole ledger. Cells are read as text (Arrow
strings; leading zeros kept); rows whose number of fields differs from the header are returned separately
so the importer can quarantine them with their line number.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kokuho_nb.contract import FileSpec
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.ledger.mapping import Mapping
from kokuho_nb.ledger.normalize import nfkc

CHUNK = 1 << 22
ENCODINGS = ("utf-8-sig", "cp932")
_BINARY_MAGIC = {
    b"PK\x03\x04": "zip または Excel（xlsx）形式です",
    b"\xd0\xcf\x11\xe0": "Excel（xls）形式です",
    b"%PDF": "PDF です",
}


def _refuse(key: str, detail: str, **fields: object) -> UserError:
    return UserError(t(f"ledger.error.{key}", **fields), detail)


@dataclass
class RawFile:
    """One CSV of the ledger, read but not yet validated."""

    file: str  # standard file name (世帯.csv)
    path: Path  # where it was read from
    encoding: str
    sha256: str
    headers: list[str]  # standard headers (after the mapping's renames); extra columns keep their own
    table: pa.Table  # one string column per header, in file order
    lines: np.ndarray  # 1-based line of each row (header = line 1)
    bad_rows: list[tuple[int, str, int]] = field(default_factory=list)  # (line, text, fields) wrong width

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.bad_rows)


# ---------------------------------------------------------------- locating the files
def _fix_zip_name(info: zipfile.ZipInfo) -> str:
    """Zip files made on Japanese Windows store names in CP932 without the UTF-8 flag."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("cp932")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


@contextlib.contextmanager
def open_ledger(path: str | Path) -> Iterator[Path]:
    """Yield a folder holding the ledger: ``path`` itself, or a zip extracted to a temporary folder."""
    src = Path(path).expanduser()
    if not src.exists():
        raise _refuse("not_found", f"ledger not found: {src}", path=str(src))
    if src.is_dir():
        yield src
        return
    if not zipfile.is_zipfile(src):
        raise _refuse("not_ledger", f"not a folder or zip: {src}", path=str(src))
    with tempfile.TemporaryDirectory(prefix="kokuho-ledger-") as tmp:
        root = Path(tmp)
        try:
            with zipfile.ZipFile(src) as zf:
                for info in zf.infolist():
                    name = unicodedata.normalize("NFC", _fix_zip_name(info)).replace("\\", "/")
                    parts = [p for p in name.split("/") if p and p not in (".", "..")]
                    if info.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1].startswith("._"):
                        continue
                    target = root.joinpath(*parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as fin, open(target, "wb") as fout:
                        while chunk := fin.read(CHUNK):
                            fout.write(chunk)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            raise _refuse("bad_zip", f"bad zip: {exc}", path=str(src), problem=str(exc)) from exc
        yield root


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def find_files(folder: Path, names: list[str]) -> tuple[Path, dict[str, Path]]:
    """The directory (``folder`` or one below it, e.g. a zip's top folder) holding the ledger, and the path
    of each of ``names`` found there (matched ignoring case and Unicode normal form)."""
    wanted = {_key(n): n for n in names}
    candidates: dict[Path, dict[str, Path]] = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or len(p.relative_to(folder).parts) > 3:
            continue
        k = _key(p.name)
        if k in wanted:
            found = candidates.setdefault(p.parent, {})
            if wanted[k] in found:
                continue
            found[wanted[k]] = p
    if not candidates:
        return folder, {}
    # two folders that each hold a ledger's first file (e.g. two months zipped together): refuse, never guess
    first = names[0]
    holding = sorted(d for d, found in candidates.items() if first in found)
    if len(holding) > 1:
        shown = "、".join(str(d.relative_to(folder)) or "." for d in holding)
        raise _refuse("ambiguous_file", f"{first} in several folders", file=first, found=shown)
    best = max(candidates, key=lambda d: (len(candidates[d]), -len(d.parts)))
    return best, candidates[best]


# ---------------------------------------------------------------- encoding and hashing
@dataclass
class _Scan:
    encoding: str
    sha256: str
    newlines: int
    trailing_newlines: int
    size: int


PREFIX = 1 << 20


def _scan(path: Path, file: str, forced: str | None) -> _Scan:
    """One pass over the bytes: hash, newline count, binary checks, and a first guess of the encoding from
    the first megabyte (strict UTF-8, BOM or not, else strict CP932). Arrow validates UTF-8 over the whole
    file while parsing; :func:`read_file` falls back to CP932 if that fails."""
    digest = hashlib.sha256()
    newlines = 0
    size = 0
    tail = b""
    prefix = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if size == 0:
                for magic, what in _BINARY_MAGIC.items():
                    if chunk.startswith(magic):
                        raise _refuse("not_csv", f"{file}: binary file", file=file, problem=what)
                prefix = chunk[:PREFIX]
            if b"\x00" in chunk:
                raise _refuse("not_csv", f"{file}: NUL bytes", file=file, problem="バイナリデータ（NUL文字）を含みます")
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            size += len(chunk)
            tail = (tail + chunk)[-4096:]
    candidates = [forced] if forced else list(ENCODINGS)
    chosen = None
    failed_at = 0
    for enc in candidates:
        try:
            codecs.getincrementaldecoder(enc)("strict").decode(prefix, final=len(prefix) == size)
        except UnicodeDecodeError as exc:
            failed_at = max(failed_at, exc.start + 1)
            continue
        chosen = enc
        break
    if chosen is None:
        raise _refuse("encoding", f"{file}: neither UTF-8 nor CP932", file=file, position=f"{failed_at:,}")
    if chosen == "utf-8-sig" and not prefix.startswith(codecs.BOM_UTF8):
        chosen = "utf-8"
    stripped = tail.rstrip(b"\r\n")
    trailing = tail[len(stripped):].count(b"\n")
    return _Scan(chosen, digest.hexdigest(), newlines, trailing, size)


def _first_bad_byte(path: Path, encoding: str) -> int:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    done = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return done + exc.start + 1
                done += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return done
    return 0


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------- CSV
def _read_header(path: Path, encoding: str, delimiter: str, file: str) -> list[str]:
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise _refuse("not_csv", f"{file}: {exc}", file=file, problem=str(exc)) from exc
    if not header or not any(h.strip() for h in header):
        raise _refuse("empty_file", f"{file}: no header", file=file)
    return [nfkc(h.lstrip("\ufeff")) for h in header]


def _line_numbers(path: Path, encoding: str, delimiter: str, ncols: int, file: str) -> tuple[np.ndarray, list]:
    """Exact record start lines (slow path: quoted newlines, blank lines or rows of the wrong width).
    A quote left open (which would swallow the rest of the file into one cell) refuses the file."""
    good: list[int] = []
    bad: list[tuple[int, str, int]] = []
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        next(reader, None)
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problem = f"{start}行目: 引用符（\"）の対応が取れていません（{exc}）"
                raise _refuse("csv_parse", f"{file}: line {start}: {exc}", file=file, problem=problem) from exc
            if not row:
                continue
            if len(row) == ncols:
                good.append(start)
            else:
                bad.append((start, delimiter.join(row), len(row)))
    return np.asarray(good, dtype=np.int64), bad


class _NotUtf8(Exception):
    pass


def _parse(path: Path, ncols: int, encoding: str, delimiter: str, file: str) -> tuple[pa.Table, list[int]]:
    """Arrow's multi-threaded CSV parser, every column as text; rows of the wrong width are collected."""
    names = [f"c{i}" for i in range(ncols)]
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.actual_columns)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, encoding="utf8" if encoding.startswith("utf-8") else encoding,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        problem = str(exc).splitlines()[0]
        if "invalid UTF8" in problem and encoding.startswith("utf-8"):
            raise _NotUtf8() from exc
        raise _refuse("csv_parse", f"{file}: {problem}", file=file, problem=problem) from exc
    except (OSError, UnicodeDecodeError) as exc:
        problem = str(exc).splitlines()[0]
        raise _refuse("csv_parse", f"{file}: {problem}", file=file, problem=problem) from exc
    return table, invalid


def read_file(path: Path, spec: FileSpec, mapping: Mapping) -> RawFile:
    """Read one CSV of the ledger into strings, checking encoding, header and required columns."""
    file = spec.file
    if not path.is_file():
        raise _refuse("unreadable", f"{file}: not a file", file=file, problem="ファイルではありません")
    try:
        scan = _scan(path, file, mapping.encoding)
    except OSError as exc:
        raise _refuse("unreadable", f"{file}: {exc}", file=file, problem=exc.strerror or str(exc)) from exc
    if scan.size == 0:
        raise _refuse("empty_file", f"{file}: empty", file=file)
    header = _read_header(path, scan.encoding, mapping.delimiter, file)

    fmap = mapping.for_file(file)
    renames = fmap.vendor_to_standard()
    headers = [renames.get(h, h) for h in header]
    seen: set[str] = set()
    for h in headers:
        if h in seen and h:
            raise _refuse("duplicate_header", f"{file}: duplicate column {h}", file=file, column=h)
        seen.add(h)
    for required in spec.required_headers:
        if required not in seen:
            vendor = fmap.columns.get(required)
            column = f"{required}（{vendor}）" if vendor else required
            shown = "、".join(header[:12]) + ("…" if len(header) > 12 else "")
            if len(header) == 1 and mapping.delimiter not in header[0]:
                shown += "（区切り文字が見つかりません）"
            raise _refuse(
                "missing_column", f"{file}: missing column {required}", file=file, column=column, found=shown
            )

    ncols = len(header)
    try:
        table, invalid = _parse(path, ncols, scan.encoding, mapping.delimiter, file)
    except _NotUtf8:
        # the first megabyte was UTF-8 but a later byte is not: CP932 for the whole file, or refuse it
        if mapping.encoding or not _decodes(path, "cp932"):
            position = _first_bad_byte(path, scan.encoding)
            raise _refuse("encoding", f"{file}: invalid UTF-8", file=file, position=f"{position:,}") from None
        scan.encoding = "cp932"
        if _read_header(path, scan.encoding, mapping.delimiter, file) != header:
            position = _first_bad_byte(path, "utf-8")
            raise _refuse("encoding", f"{file}: mixed encodings", file=file, position=f"{position:,}") from None
        table, invalid = _parse(path, ncols, scan.encoding, mapping.delimiter, file)
    table = table.rename_columns(headers)

    lines_in_file = scan.newlines - scan.trailing_newlines + 1
    bad_rows: list[tuple[int, str, int]] = []
    if not invalid and table.num_rows + 1 == lines_in_file:
        lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    else:
        lines, bad_rows = _line_numbers(path, scan.encoding, mapping.delimiter, ncols, file)
        if len(lines) != table.num_rows:  # should not happen; keep a usable numbering
            lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return RawFile(file, path, scan.encoding, scan.sha256, headers, table, lines, bad_rows)


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
import datetime as dt
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kokuho_nb.contract import FileSpec
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.ledger.mapping import Mapping
from kokuho_nb.ledger.normalize import nfkc
from kokuho_nb.params import value

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
    path: Path | ZipMember  # where it was read from (``.name`` is the file's own name)
    encoding: str
    sha256: str
    headers: list[str]  # standard headers (after the mapping's renames); extra columns keep their own
    table: pa.Table  # one string column per header, in file order
    lines: np.ndarray  # 1-based line of each row (header = line 1)
    bad_rows: list[tuple[int, str, int]] = field(default_factory=list)  # (line, text, fields) wrong width
    unsafe: bool = False  # the bytes hold a control / bidi character somewhere (cells are then checked one by one)

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


@dataclass(frozen=True)
class ZipMember:
    """A ledger file read straight from a zip (never extracted to disk: no copy of personal data is left in a
    temporary folder, and nothing is written where the member's name points)."""

    archive: zipfile.ZipFile
    info: zipfile.ZipInfo
    relname: str  # normalised name inside the zip (``top/世帯.csv``)

    @property
    def name(self) -> str:
        return self.relname.rsplit("/", 1)[-1]

    @property
    def size(self) -> int:
        return int(self.info.file_size)

    def is_file(self) -> bool:
        return True

    def open(self) -> IO[bytes]:
        return self.archive.open(self.info)

    def __str__(self) -> str:
        return self.relname


Source = Path | ZipMember


def _open_binary(src: Source) -> IO[bytes]:
    return src.open() if isinstance(src, ZipMember) else open(src, "rb")


def _open_text(src: Source, encoding: str) -> IO[str]:
    if isinstance(src, ZipMember):
        return io.TextIOWrapper(src.open(), encoding=encoding, newline="")
    return open(src, encoding=encoding, newline="")


@dataclass
class LedgerFiles:
    """What :func:`open_ledger` found: each wanted file (by the name asked for) and the names of every file in
    the folder holding them (e.g. the synthetic ward's marker)."""

    found: dict[str, Source]
    beside: set[str]
    zip_limit: int | None = None  # bytes one member may unpack to (zips only)


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _limit(name: str) -> Any:
    """A limit of ``parameters/ledger/import_limits.yaml`` in force today."""
    return value(f"ledger.import_limits.{name}", dt.date.today())


def _choose(entries: list[tuple[tuple[str, ...], Any]], names: list[str], *, is_link: Any) -> tuple[
        tuple[str, ...], dict[str, Any], set[str]]:
    """The folder (as parts) holding the ledger among ``entries`` ((relative parts, handle) of every file), the
    handle of each of ``names`` found there (matched ignoring case and Unicode normal form), and the names of
    all files in that folder. Refuses two files answering to one name in a folder, and symbolic links."""
    wanted = {_key(n): n for n in names}
    candidates: dict[tuple[str, ...], dict[str, Any]] = {}
    shown: dict[tuple[str, ...], dict[str, str]] = {}
    beside: dict[tuple[str, ...], set[str]] = {}
    for parts, handle in entries:
        if len(parts) > 3:
            continue
        parent = parts[:-1]
        beside.setdefault(parent, set()).add(parts[-1])
        k = _key(parts[-1])
        if k not in wanted:
            continue
        std = wanted[k]
        found = candidates.setdefault(parent, {})
        where = "/".join(parts)
        if std in found:
            first = shown[parent][std]
            raise _refuse("duplicate_file", f"two {std} in {'/'.join(parent) or '.'}", file=std,
                          found=f"{first}、{where}")
        if is_link(handle):
            raise _refuse("symlink", f"{where} is a symbolic link", file=where)
        found[std] = handle
        shown.setdefault(parent, {})[std] = where
    if not candidates:
        return (), {}, beside.get((), set())
    # two folders that each hold a ledger's first file (e.g. two months zipped together): refuse, never guess
    first = names[0]
    holding = sorted(d for d, found in candidates.items() if first in found)
    if len(holding) > 1:
        listed = "、".join("/".join(d) or "." for d in holding)
        raise _refuse("ambiguous_file", f"{first} in several folders", file=first, found=listed)
    best = max(candidates, key=lambda d: (len(candidates[d]), -len(d)))
    return best, candidates[best], beside.get(best, set())


def _folder_entries(folder: Path) -> list[tuple[tuple[str, ...], Path]]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).parts
        if len(rel) > 3 or not (p.is_file() or p.is_symlink()) or p.is_dir():
            continue
        out.append((rel, p))
    return out


def find_files(folder: Path, names: list[str]) -> tuple[Path, dict[str, Path]]:
    """The directory (``folder`` or one below it, e.g. a zip's top folder) holding the ledger, and the path
    of each of ``names`` found there (matched ignoring case and Unicode normal form)."""
    parent, found, _beside = _choose(_folder_entries(folder), names, is_link=lambda p: p.is_symlink())
    return folder.joinpath(*parent), found


def _is_zip_symlink(member: ZipMember) -> bool:
    return stat.S_ISLNK(member.info.external_attr >> 16)


def _zip_entries(zf: zipfile.ZipFile) -> list[tuple[tuple[str, ...], ZipMember]]:
    entries = []
    for info in zf.infolist():
        name = unicodedata.normalize("NFC", _fix_zip_name(info)).replace("\\", "/")
        # "..", "." and absolute parts name nothing outside: the member is read, never written anywhere
        parts = tuple(p for p in name.split("/") if p and p not in (".", ".."))
        if info.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1].startswith("._"):
            continue
        entries.append((parts, ZipMember(zf, info, "/".join(parts))))
    return entries


def _check_zip_sizes(src: Path, members: dict[str, ZipMember]) -> int:
    """Refuse a zip whose ledger files would unpack beyond the limits (``parameters/ledger/import_limits.yaml``)
    before reading a byte of them; returns the per-file limit (the reader counts the bytes again)."""
    max_file = int(_limit("zip_max_file_bytes"))
    max_total = int(_limit("zip_max_total_bytes"))
    max_ratio = float(_limit("zip_max_ratio"))
    ratio_from = int(_limit("zip_ratio_min_bytes"))
    total = 0
    for m in members.values():
        size, packed = int(m.info.file_size), max(int(m.info.compress_size), 1)
        total += size
        if size > max_file:
            raise _refuse("zip_too_large", f"{m.relname}: {size} bytes > {max_file}", path=str(src), file=m.relname,
                          size=_mib(size), limit=_mib(max_file))
        if size >= ratio_from and size / packed > max_ratio:
            raise _refuse("zip_ratio", f"{m.relname}: ratio {size / packed:.0f} > {max_ratio}", path=str(src),
                          file=m.relname, size=_mib(size), packed=_mib(packed), ratio=f"{size / packed:,.0f}",
                          limit=f"{max_ratio:,.0f}")
    if total > max_total:
        raise _refuse("zip_total_too_large", f"{total} bytes > {max_total}", path=str(src), size=_mib(total),
                      limit=_mib(max_total))
    return max_file


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


LEGACY_TEMP_PREFIX = "kokuho-ledger-"


def remove_legacy_temp() -> list[Path]:
    """Remove the folders earlier versions extracted zips into (``$TMPDIR/kokuho-ledger-*``, left behind when
    an import was killed): this version reads zips in place and never creates them. Only this user's."""
    removed = []
    try:
        candidates = list(Path(tempfile.gettempdir()).glob(LEGACY_TEMP_PREFIX + "*"))
    except OSError:
        return removed
    for p in candidates:
        try:
            st = p.lstat()
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


@contextlib.contextmanager
def open_ledger(path: str | Path, names: list[str]) -> Iterator[LedgerFiles]:
    """The files ``names`` of the ledger at ``path``: a folder, or a zip read in place (see :class:`ZipMember`).
    Refuses (``UserError``) what cannot be a ledger: a missing path, a zip that cannot be read or unpacks beyond
    the limits, two files answering to one name, a symbolic link."""
    src = Path(path).expanduser()
    if not src.exists():
        raise _refuse("not_found", f"ledger not found: {src}", path=str(src))
    if src.is_dir():
        parent, found, beside = _choose(_folder_entries(src), names, is_link=lambda p: p.is_symlink())
        yield LedgerFiles(found, beside)
        return
    if not zipfile.is_zipfile(src):
        raise _refuse("not_ledger", f"not a folder or zip: {src}", path=str(src))
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise _refuse("bad_zip", f"bad zip: {exc}", path=str(src), problem=str(exc)) from exc
    with zf:
        parent, found, beside = _choose(_zip_entries(zf), names, is_link=_is_zip_symlink)
        limit = _check_zip_sizes(src, found)
        for m in found.values():
            if m.info.flag_bits & 0x1:
                raise _refuse("bad_zip", f"{m.relname}: encrypted", path=str(src),
                              problem=f"{m.relname} がパスワードで暗号化されています")
        try:
            yield LedgerFiles(found, beside, limit)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise _refuse("bad_zip", f"bad zip: {exc}", path=str(src), problem=str(exc)) from exc


# ---------------------------------------------------------------- encoding and hashing
@dataclass
class _Scan:
    encoding: str
    sha256: str
    newlines: int
    trailing_newlines: int
    size: int
    unsafe: bool = False


#: Bytes of a control character (C0 but tab/LF/CR, DEL, C1 in UTF-8), a bidi override/isolate/mark, U+FFFE/F in
#: UTF-8 (or CP932, where none of the multi-byte ones exist and C0 bytes are never part of a character).
_UNSAFE_BYTES = re.compile(
    rb"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
    rb"|\xef\xbf[\xbe\xbf]"
)


PREFIX = 1 << 20


def _scan(path: Source, file: str, forced: str | None, limit: int | None = None) -> _Scan:
    """One pass over the bytes: hash, newline count, binary checks, and a first guess of the encoding from
    the first megabyte (strict UTF-8, BOM or not, else strict CP932). Arrow validates UTF-8 over the whole
    file while parsing; :func:`read_file` falls back to CP932 if that fails."""
    digest = hashlib.sha256()
    newlines = 0
    size = 0
    tail = b""
    prefix = b""
    unsafe = False
    with _open_binary(path) as fh:
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
            if not unsafe and _UNSAFE_BYTES.search(tail[-2:] + chunk):
                unsafe = True
            size += len(chunk)
            if limit is not None and size > limit:  # a zip member larger than it said: stop reading it
                raise _refuse("zip_too_large", f"{file}: more than {limit} bytes", path=str(path), file=str(path),
                              size=f"{_mib(size)} 以上", limit=_mib(limit))
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
    return _Scan(chosen, digest.hexdigest(), newlines, trailing, size, unsafe)


def _first_bad_byte(path: Source, encoding: str) -> int:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    done = 0
    try:
        with _open_binary(path) as fh:
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


def _decodes(path: Source, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with _open_binary(path) as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------- CSV
def _read_header(path: Source, encoding: str, delimiter: str, file: str) -> list[str]:
    with _open_text(path, encoding) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise _refuse("not_csv", f"{file}: {exc}", file=file, problem=str(exc)) from exc
    if not header or not any(h.strip() for h in header):
        raise _refuse("empty_file", f"{file}: no header", file=file)
    return [nfkc(h.lstrip("\ufeff")) for h in header]


def _line_numbers(path: Source, encoding: str, delimiter: str, ncols: int, file: str) -> tuple[np.ndarray, list]:
    """Exact record start lines (slow path: quoted newlines, blank lines or rows of the wrong width).
    A quote left open (which would swallow the rest of the file into one cell) refuses the file."""
    good: list[int] = []
    bad: list[tuple[int, str, int]] = []
    with _open_text(path, encoding) as fh:
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


def _parse(path: Source, ncols: int, encoding: str, delimiter: str, file: str) -> tuple[pa.Table, list[int]]:
    """Arrow's multi-threaded CSV parser, every column as text; rows of the wrong width are collected."""
    names = [f"c{i}" for i in range(ncols)]
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.actual_columns)
        return "skip"

    stream = path.open() if isinstance(path, ZipMember) else path
    try:
        table = pacsv.read_csv(
            stream,
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
    finally:
        if stream is not path:
            stream.close()  # type: ignore[union-attr]
    return table, invalid


def read_file(path: Source, spec: FileSpec, mapping: Mapping, *, limit: int | None = None) -> RawFile:
    """Read one CSV of the ledger into strings, checking encoding, header and required columns. ``limit``: the
    most bytes the file may hold (a zip member; counted while reading, whatever the zip says)."""
    file = spec.file
    if isinstance(path, Path) and path.is_symlink():
        raise _refuse("symlink", f"{path} is a symbolic link", file=str(path))
    if not path.is_file():
        raise _refuse("unreadable", f"{file}: not a file", file=file, problem="ファイルではありません")
    try:
        scan = _scan(path, file, mapping.encoding, limit)
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
    return RawFile(file, path, scan.encoding, scan.sha256, headers, table, lines, bad_rows, scan.unsafe)


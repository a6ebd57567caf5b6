"""Other vendors' layouts: a column-mapping YAML turns a vendor export into the standard ledger.

``parameters/ledger/mappings/<name>.yaml`` (or any path) holds::

    description: …            # what system/vendor this is
    reference: …              # where the layout comes from (or "assumption: …")
    encoding: cp932           # optional: force the encoding instead of detecting it
    delimiter: ","            # optional
    files:
      世帯.csv:               # standard file
        source: SETAI.CSV     # the vendor's file name
        columns:              # standard header: vendor header
          世帯番号: 世帯No
        codes:                # standard header: {vendor value: standard value}
          所得区分: {"1": 軽減7割}
        date_formats:         # standard header (or "default"): strptime formats, or era_code7 (5060401)
          納期限: ["%Y%m%d"]

Everything not mentioned is read as in the standard layout, so a mapping lists only what differs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kokuho_nb.contract import file_spec, standard_files
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.ledger.normalize import nfkc
from kokuho_nb.params import parameters_dir

MAPPINGS_DIR = "ledger/mappings"


@dataclass(frozen=True)
class FileMapping:
    source: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # standard header -> vendor header
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # standard header -> vendor -> standard
    date_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def vendor_to_standard(self) -> dict[str, str]:
        return {nfkc(v): k for k, v in self.columns.items()}

    def formats_for(self, header: str) -> tuple[str, ...]:
        return self.date_formats.get(header, self.date_formats.get("default", ()))


@dataclass(frozen=True)
class Mapping:
    name: str
    path: str | None = None
    content_hash: str = ""
    description: str = ""
    encoding: str | None = None
    delimiter: str = ","
    files: dict[str, FileMapping] = field(default_factory=dict)

    def for_file(self, file: str) -> FileMapping:
        return self.files.get(file, FileMapping())

    def source_name(self, file: str) -> str:
        return self.for_file(file).source or file


STANDARD = Mapping(name="standard")


def _invalid(name: str, problem: str) -> UserError:
    return UserError(t("ledger.error.mapping_invalid", name=name, problem=problem), f"invalid mapping {name}")


def _as_formats(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_mapping(doc: Any, name: str, path: str | None = None, content_hash: str = "") -> Mapping:
    if not isinstance(doc, dict) or not isinstance(doc.get("files", {}), dict):
        raise _invalid(name, "files: がありません")
    known = {s.file for s in standard_files()}
    files: dict[str, FileMapping] = {}
    for file, node in (doc.get("files") or {}).items():
        if file not in known:
            raise _invalid(name, f"標準にないファイル名 {file}")
        node = node or {}
        spec = file_spec(file)
        headers = set(spec.headers)
        for section in ("columns", "codes", "date_formats"):
            for header in (node.get(section) or {}):
                if header not in headers and not (section == "date_formats" and header == "default"):
                    raise _invalid(name, f"{file} の {section} に標準にない列 {header}")
        codes = {
            h: {nfkc(str(k)): str(v) for k, v in (table or {}).items()}
            for h, table in (node.get("codes") or {}).items()
        }
        files[file] = FileMapping(
            source=node.get("source"),
            columns={str(k): str(v) for k, v in (node.get("columns") or {}).items()},
            codes=codes,
            date_formats={str(k): _as_formats(v) for k, v in (node.get("date_formats") or {}).items()},
        )
    return Mapping(
        name=name,
        path=path,
        content_hash=content_hash,
        description=str(doc.get("description", "")),
        encoding=doc.get("encoding"),
        delimiter=str(doc.get("delimiter", ",")),
        files=files,
    )


def load_mapping(name_or_path: str | Path | Mapping | None) -> Mapping:
    """The mapping named ``name_or_path`` (a file path, or a name under ``parameters/ledger/mappings``);
    ``None`` or ``"standard"`` is the standard layout itself."""
    if name_or_path is None or isinstance(name_or_path, Mapping):
        return name_or_path or STANDARD
    text = str(name_or_path)
    if text in ("", "standard"):
        return STANDARD
    candidates = [Path(text).expanduser()]
    if not text.endswith((".yaml", ".yml")):
        candidates.append(parameters_dir() / MAPPINGS_DIR / f"{text}.yaml")
    else:
        candidates.append(parameters_dir() / MAPPINGS_DIR / text)
    for path in candidates:
        if path.is_file():
            raw = path.read_bytes()
            try:
                doc = yaml.safe_load(raw.decode("utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise _invalid(text, str(exc).splitlines()[0]) from exc
            return parse_mapping(doc, path.stem, str(path.resolve()), hashlib.sha256(raw).hexdigest())
    searched = ", ".join(str(p) for p in candidates)
    raise UserError(t("ledger.error.mapping_not_found", name=text, searched=searched), f"mapping {text} not found")

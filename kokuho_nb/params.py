"""Parameters as data (OpenFisca style): the YAML files under ``parameters/``, loaded once per folder digest.

One way to read a value: ``P = params.at(day)`` then ``P.law.entaikin.rate_lower`` — the value in force on
``day``. Names mirror the folder: ``law.entaikin.rate_lower`` is ``parameters/law/entaikin.yaml`` key
``rate_lower`` (or ``parameters/law/entaikin/rate_lower.yaml``). A *parameter* is a mapping with
``description``, ``values`` (start date -> ``{value: ...}``; a ``null`` value ends validity) and ``metadata``
(``unit``, ``reference``); any other mapping is a node whose keys are parameters or nodes.

The whole folder is one :class:`Tree`, held by this module and replaced when a file changes (files are checked
at most once per :data:`CHECK_SECONDS`; :func:`refresh`, called where a computation starts, checks now). Anything derived from parameters (parsed
rules, closed days of a year …) is kept on the tree with :meth:`Tree.memo`, so it goes with the tree when a
file changes: nothing is cleared by hand. ``Tree.digest`` (or :meth:`Tree.digest_of` for some files) names the
parameters a derived result was computed from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from kokuho_nb.errors import UserError

REPO_ROOT = Path(__file__).resolve().parent.parent
#: How often (seconds) :func:`tree` looks at the files' modification times.
CHECK_SECONDS = 1.0

T = TypeVar("T")


def parameters_dir() -> Path:
    """The parameters folder: ``KOKUHO_PARAMETERS`` if set, else ``parameters/`` beside the package."""
    env = os.environ.get("KOKUHO_PARAMETERS")
    return Path(env) if env else REPO_ROOT / "parameters"


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _is_date_key(key: Any) -> bool:
    try:
        _to_date(key)
        return True
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True)
class Parameter:
    """One dated parameter. ``values`` is sorted by start date; a value of ``None`` ends validity."""

    name: str
    description: str
    values: tuple[tuple[dt.date, Any], ...]
    unit: str | None = None
    reference: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def at(self, when: dt.date) -> Any:
        """The value in force on ``when``; :class:`UserError` if none is."""
        found: Any = None
        ok = False
        for start, value in self.values:
            if start <= when:
                found, ok = value, True
            else:
                break
        if not ok or found is None:
            raise UserError(
                f"パラメータ「{self.description}」({self.name}) に {when.isoformat()} 時点の値がありません。",
                f"parameter {self.name} has no value in force on {when.isoformat()}",
            )
        return found

    def get(self, when: dt.date, default: Any = None) -> Any:
        """The value in force on ``when``, or ``default`` when none is (an explicit, visible default)."""
        try:
            return self.at(when)
        except UserError:
            return default

    def reference_at(self, when: dt.date) -> Any:
        """The legal reference in force on ``when`` (a plain reference, or the dated one in force)."""
        ref = self.reference
        if isinstance(ref, dict) and ref and all(_is_date_key(k) for k in ref):
            chosen = None
            for start in sorted(ref, key=_to_date):
                if _to_date(start) <= when:
                    chosen = ref[start]
            return chosen
        return ref

    @property
    def first_date(self) -> dt.date:
        return self.values[0][0]


def is_parameter(node: Any) -> bool:
    return isinstance(node, dict) and "values" in node and isinstance(node["values"], dict)


def parameter_from_node(name: str, node: dict[str, Any]) -> Parameter:
    values = []
    for start, entry in node["values"].items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        values.append((_to_date(start), value))
    values.sort(key=lambda item: item[0])
    meta = dict(node.get("metadata") or {})
    return Parameter(
        name=name,
        description=str(node.get("description", name)),
        values=tuple(values),
        unit=meta.get("unit"),
        reference=meta.get("reference", node.get("reference")),
        metadata=meta,
    )


# --- the tree -----------------------------------------------------------------------------------------------


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue
                out.append((os.path.relpath(path, folder), st.st_mtime_ns, st.st_size))
    return tuple(out)


class Tree:
    """The parameters folder as loaded at one state of its files (see the module docstring)."""

    def __init__(self, folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> None:
        self.folder = folder
        self.stamp = stamp
        self._docs: dict[str, Any] = {}
        self._params: dict[str, Parameter] = {}
        self._nodes: dict[str, Any] = {}
        self._memo: dict[Any, Any] = {}
        self._file_digests: dict[str, str] = {}
        self._lock = threading.RLock()
        self._digest: str | None = None

    # files

    def file(self, relpath: str | Path) -> Any:
        """The parsed YAML document ``parameters/<relpath>`` (parsed once per tree)."""
        key = str(relpath)
        with self._lock:
            if key in self._docs:
                return self._docs[key]
        path = Path(relpath) if Path(relpath).is_absolute() else self.folder / relpath
        if not path.exists():
            raise UserError(f"パラメータファイルが見つかりません: {path}", f"parameter file not found: {path}")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster
        try:
            with open(path, encoding="utf-8") as fh:
                doc = yaml.load(fh, Loader=loader)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as exc:
            raise UserError(f"パラメータファイルを読めません: {path}: {exc}", "invalid YAML") from exc
        with self._lock:
            self._docs[key] = doc
        return doc

    def files(self) -> list[str]:
        """Every YAML file of the folder (relative paths, sorted)."""
        return [rel for rel, _, _ in self.stamp]

    # parameters

    def parameter(self, name: str) -> Parameter:
        """The dated parameter ``name`` (dotted); :class:`UserError` naming it when it is not defined."""
        with self._lock:
            hit = self._params.get(name)
        if hit is not None:
            return hit
        node = self.node(name)
        if not is_parameter(node):
            raise UserError(f"パラメータ {name} が定義されていません。", f"unknown parameter {name}")
        found = parameter_from_node(name, node)
        with self._lock:
            self._params[name] = found
        return found

    def node(self, name: str) -> Any:
        """The YAML node at dotted ``name`` (a parameter, a node of parameters, or None when absent)."""
        with self._lock:
            if name in self._nodes:
                return self._nodes[name]
        found = self._find(name)
        with self._lock:
            self._nodes[name] = found
        return found

    def _find(self, name: str) -> Any:
        parts = name.split(".")
        for split in range(len(parts), 0, -1):  # the longest file path first: a/b/c.yaml, a/b.yaml, a.yaml
            rel = Path(*parts[:split]).with_suffix(".yaml")
            if (self.folder / rel).exists():
                node: Any = self.file(rel)
                for key in parts[split:]:
                    if not isinstance(node, dict) or key not in node:
                        return None
                    node = node[key]
                return node
        return None

    def at(self, day: dt.date) -> At:
        """The whole tree as of ``day``: ``tree.at(day).law.entaikin.rate_lower``."""
        return At(self, "", day)

    # derived values and digests

    def memo(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` once per tree (what is derived from parameters goes with the tree they came from)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)

    def file_digest(self, relpath: str) -> str:
        with self._lock:
            hit = self._file_digests.get(relpath)
        if hit is None:
            hit = hashlib.sha256((self.folder / relpath).read_bytes()).hexdigest()
            with self._lock:
                self._file_digests[relpath] = hit
        return hit

    def digest_of(self, prefixes: Iterable[str] = ("",)) -> str:
        """16 hex digits over the names and contents of the files under ``prefixes`` (``"law/"``,
        ``"case_stages.yaml"``; ``""`` for all): what a derived result computed from them is keyed by."""
        wanted = tuple(prefixes)
        h = hashlib.sha256()
        for rel in self.files():
            if any(rel == p or rel.startswith(p) for p in wanted):
                h.update(rel.encode() + b"\0" + self.file_digest(rel).encode() + b"\0")
        return h.hexdigest()[:16]

    @property
    def key(self) -> str:
        """A cheap name of this state of the files (folder, names, sizes, modification times): a cache keyed by
        it never serves a value computed from other files."""
        return hashlib.sha256(repr((str(self.folder), self.stamp)).encode()).hexdigest()[:16]

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = self.digest_of(("",))
        return self._digest


class At:
    """A node of the tree as of one day; attribute access walks down, a parameter gives its value."""

    __slots__ = ("_tree", "_name", "_day")

    def __init__(self, tree: Tree, name: str, day: dt.date) -> None:
        self._tree, self._name, self._day = tree, name, day

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        name = f"{self._name}.{key}" if self._name else key
        node = self._tree.node(name)
        if is_parameter(node):
            return self._tree.parameter(name).at(self._day)
        if isinstance(node, dict):
            return At(self._tree, name, self._day)
        raise UserError(f"パラメータ {name} が定義されていません。", f"unknown parameter {name}")

    def __getitem__(self, key: str) -> Any:
        return self.__getattr__(key)

    def __repr__(self) -> str:
        return f"<parameters {self._name or '(root)'} at {self._day.isoformat()}>"


_state_lock = threading.Lock()
_current: Tree | None = None
_checked = 0.0


def tree() -> Tree:
    """The parameters folder as it is now (re-read when a file changed; checked at most every
    :data:`CHECK_SECONDS`, and at once when ``KOKUHO_PARAMETERS`` points elsewhere)."""
    global _current, _checked
    folder = parameters_dir()
    now = time.monotonic()
    cur = _current
    if cur is not None and cur.folder == folder and now - _checked < CHECK_SECONDS:
        return cur
    stamp = _stamp(folder)
    with _state_lock:
        if _current is None or _current.folder != folder or _current.stamp != stamp:
            _current = Tree(folder, stamp)
        _checked = now
        return _current


def refresh() -> Tree:
    """:func:`tree`, looking at the files now. Called where a computation starts (a case view, the law columns,
    a derived-cache key), so a file edited while the process runs is read by the next computation; inside it,
    :func:`tree` is cheap."""
    global _checked
    _checked = -1e9
    return tree()


def at(day: dt.date) -> At:
    """``tree().at(day)``: the parameters in force on ``day``."""
    return tree().at(day)


# --- older entry points, kept while readers move to ``at(day)`` ----------------------------------------------


def load_yaml(relpath: str | Path) -> Any:
    """The parsed YAML file ``parameters/<relpath>`` of the current tree."""
    return tree().file(relpath)


def parameter(name: str) -> Parameter:
    """The dated parameter ``name`` of the current tree."""
    return tree().parameter(name)


def value(name: str, when: dt.date) -> Any:
    """``parameter(name).at(when)``."""
    return tree().parameter(name).at(when)

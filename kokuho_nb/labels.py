"""Japanese user-facing text, kept in one place: ``kokuho_nb/i18n/<area>.yaml``.

``t("ledger.missing_column", file="世帯.csv", column="世帯番号")`` reads key ``missing_column`` from
``i18n/ledger.yaml`` and fills ``{file}`` and ``{column}``. Each area of the package owns one YAML file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

I18N_DIR = Path(__file__).resolve().parent / "i18n"


@lru_cache(maxsize=64)
def _area(area: str) -> dict[str, Any]:
    path = I18N_DIR / f"{area}.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def t(key: str, **fields: Any) -> str:
    """The Japanese text for ``area.key`` with ``fields`` filled in. Unknown keys raise KeyError."""
    area, _, rest = key.partition(".")
    node: Any = _area(area)
    for part in rest.split("."):
        node = node[part]
    return str(node).format(**fields) if fields else str(node)


def table(key: str) -> dict[str, Any]:
    """A whole mapping (e.g. column headers) from an i18n file."""
    area, _, rest = key.partition(".")
    node: Any = _area(area)
    for part in rest.split(".") if rest else []:
        node = node[part]
    return dict(node)

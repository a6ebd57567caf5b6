"""The synthetic ward's parameters (``parameters/synthetic_ward.yaml``) as a typed object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kokuho_nb.params import load_yaml

PARAMETER_FILE = "synthetic_ward.yaml"
INCOME_CLASSES = ("軽減7割", "軽減5割", "軽減2割", "軽減なし", "未申告")
LOW_INCOME = ("軽減7割", "軽減5割", "軽減2割")


@dataclass(frozen=True)
class YearTarget:
    fiscal_year: int
    stock_bn: float
    count: int
    rate: float | None = None
    current_rate: float | None = None


@dataclass(frozen=True)
class SynthConfig:
    raw: dict[str, Any]

    @property
    def default_households(self) -> int:
        return int(self.raw["households"]["default"])

    def scale(self, households: int) -> float:
        return households / self.default_households

    @property
    def first_year(self) -> int:
        return int(self.raw["timeline"]["first_year"])

    @property
    def timeline(self) -> dict[str, Any]:
        return self.raw["timeline"]

    def target(self, fiscal_year: int) -> YearTarget:
        node = self.raw["year_targets"].get(fiscal_year)
        if node is None:
            # beyond the table: hold the last year's figures (assumption, stated in the YAML header)
            last = max(self.raw["year_targets"])
            node = self.raw["year_targets"][last]
        return YearTarget(
            fiscal_year=fiscal_year,
            stock_bn=float(node["stock_bn"]),
            count=int(node["count"]),
            rate=None if node.get("rate") is None else float(node["rate"]),
            current_rate=None if node.get("current_rate") is None else float(node["current_rate"]),
        )

    @property
    def population(self) -> dict[str, Any]:
        return self.raw["population"]

    @property
    def behaviour(self) -> dict[str, Any]:
        return self.raw["behaviour"]

    @property
    def activity(self) -> dict[str, Any]:
        return self.raw["activity"]

    @property
    def staff(self) -> dict[str, Any]:
        return self.raw["staff"]

    @property
    def published(self) -> list[dict[str, Any]]:
        return list(self.raw["published"])

    @property
    def profile_targets(self) -> dict[str, Any]:
        return self.raw["profile_targets"]


def load_config() -> SynthConfig:
    return SynthConfig(load_yaml(PARAMETER_FILE))

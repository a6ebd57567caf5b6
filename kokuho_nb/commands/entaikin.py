"""``kokuho-nb entaikin``: the 延滞金 of one instalment, with its breakdown (a thin layer over law.entaikin)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from typing import Any

from kokuho_nb.commands import help_of
from kokuho_nb.era import (
    EraDateError,
    fiscal_year_label,
    normalize_text,
    parse_date,
    parse_fiscal_year,
)
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.law._params import lp
from kokuho_nb.law.deadlines import reference_text
from kokuho_nb.law.entaikin import EntaikinResult, compute, format_exact, to_wareki


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("entaikin", help=help_of("entaikin"), description=t("law.cli.help"))
    # Required, but checked in run() so that a missing one gets a Japanese message.
    p.add_argument("--amount", help=t("law.cli.amount"))
    p.add_argument("--due", help=t("law.cli.due"))
    p.add_argument("--paid", help=t("law.cli.paid"))
    p.add_argument("--payment", action="append", default=[], metavar="DATE:YEN", help=t("law.cli.payment"))
    p.add_argument("--fiscal-year", dest="fiscal_year", help=t("law.cli.fiscal_year"))
    p.add_argument("--kind", choices=["premium", "tax"], default="premium", help=t("law.cli.kind"))
    p.add_argument("--json", action="store_true", help=t("law.cli.json"))
    p.set_defaults(func=run)


def parse_yen(text: str) -> int:
    s = normalize_text(str(text)).replace(",", "").removesuffix("円").strip()
    if not re.fullmatch(r"\d+", s):
        raise UserError(t("law.cli.bad_amount", value=text), f"bad amount {text!r}")
    return int(s)


def _date(option: str, text: str) -> dt.date:
    try:
        return parse_date(text)
    except EraDateError as exc:
        raise UserError(t("law.cli.bad_date", option=option, error=exc), f"bad date for {option}") from exc


def parse_payment(text: str) -> tuple[dt.date, int]:
    s = normalize_text(text)
    day, sep, yen = s.rpartition(":")
    if not sep or not day or not yen:
        raise UserError(t("law.cli.bad_payment", value=text), f"bad payment {text!r}")
    try:
        amount = parse_yen(yen)
    except UserError as exc:
        raise UserError(t("law.cli.bad_payment", value=text), f"bad payment {text!r}") from exc
    if amount <= 0:
        raise UserError(t("law.cli.bad_payment", value=text), f"bad payment {text!r}")
    return _date("--payment", day), amount


def run(args: argparse.Namespace) -> int:
    for option in ("amount", "due", "paid"):
        if not getattr(args, option):
            raise UserError(t("law.cli.missing", option=f"--{option}"), f"--{option} is required")
    amount = parse_yen(args.amount)
    due = _date("--due", args.due)
    paid = _date("--paid", args.paid)
    payments = [parse_payment(p) for p in args.payment]
    fiscal_year = None
    if args.fiscal_year:
        try:
            fiscal_year = parse_fiscal_year(args.fiscal_year)
        except EraDateError as exc:
            raise UserError(t("law.cli.bad_fiscal_year", error=exc), "bad fiscal year") from exc
    result = compute(amount, due, paid, payments=payments, fiscal_year=fiscal_year, kind=args.kind)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(result))
    return 0


def _day(d: dt.date) -> str:
    return f"{d.isoformat()}（{to_wareki(d)}）"


def render_text(r: EntaikinResult) -> str:
    """A short Japanese breakdown of one result."""
    lines = [t("law.cli.title", kind=t(f"law.kind.{r.kind}"))]
    lines.append(t("law.cli.line_amount", amount=r.amount, fy_label=fiscal_year_label(r.fiscal_year)))
    due = _day(r.due) if r.due == r.due_shifted else f"{_day(r.due)} → {_day(r.due_shifted)}"
    lines.append(t("law.cli.line_due", due=due))
    lines.append(t("law.cli.line_until", until=_day(r.until)))
    for day, amount in r.payments:
        lines.append(t("law.cli.line_payment", date=_day(day), amount=amount))
    for p in r.periods:
        lines.append("  " + t(
            "law.cli.line_period", start=p.start.isoformat(), end=p.end.isoformat(), days=p.days,
            rate_label=t(f"law.rate_kind.{p.rate_kind}"), year=p.year, rate=_pct(p.rate), base=p.base,
            amount=format_exact(p.amount), per_year=r.days_per_year,
            base_note=t("law.cli.base_note", unpaid=p.unpaid) if p.unpaid != p.base else "",
        ))
    for note in r.notes:
        lines.append("・" + note)
    lines.append(t("law.cli.line_total", total=r.total))
    when = r.until
    refs = [reference_text(lp("law.entaikin.rate_lower"), when) if r.periods else None,
            reference_text(lp("law.entaikin.result_unit"), when)]
    for ref in refs:
        if ref:
            lines.append(t("law.cli.reference", reference=ref))
    return "\n".join(lines)


def _pct(rate: Any) -> str:
    return f"{float(rate * 100):.3f}".rstrip("0").rstrip(".")

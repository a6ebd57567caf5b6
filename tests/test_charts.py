"""Charts for print: greyscale only, glyphs drawn as paths (same image in HTML and PDF), deterministic."""

from __future__ import annotations

import re

from kokuho_nb.report import charts

HEX = re.compile(r"#([0-9a-fA-F]{6})\b")


def _all_grey(svg: str) -> bool:
    colours = {m.lower() for m in HEX.findall(svg)}
    return bool(colours) and all(c[0:2] == c[2:4] == c[4:6] for c in colours)


def test_charts_are_greyscale_and_self_contained() -> None:
    svgs = [
        charts.line_chart(["2026-06", "2026-07", "2026-08"], {"実績": [3.6, 3.5, None], "計画経路": [3.58, 3.56, 3.54]},
                          title="収入未済額と計画経路", ylabel="億円", hline=(3.5, "目標")),
        charts.progress_bars(["差押件数", "SMS配信"], [30.0, 80.0], [58.0, 58.0], title="達成率", xlabel="%",
                             achieved_label="累計", pace_label="計画ペース"),
        charts.bar_chart(["K001", "K002"], [12.0, 3.0], title="臨場催告割合", ylabel="%", threshold=(10.0, "目安"),
                         flagged=[False, True]),
        charts.stacked_bars(["滞納初期", "滞納中～後期"], {"軽減7割": [1.0, 2.0], "軽減なし": [0.5, 1.5]},
                            title="段階別", ylabel="億円"),
    ]
    for svg in svgs:
        assert svg.startswith("<?xml") and "<svg" in svg
        assert _all_grey(svg), set(HEX.findall(svg))
        assert "<text" not in svg  # Japanese labels are paths: no font needed by the viewer or WeasyPrint
        assert "<image" not in svg


def test_same_input_same_svg() -> None:
    a = charts.bar_chart(["A"], [1.0], title="表題", ylabel="件")
    b = charts.bar_chart(["A"], [1.0], title="表題", ylabel="件")
    assert a == b

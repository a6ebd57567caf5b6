"""Charts for print: greyscale only (checked pixel by pixel), print resolution, deterministic bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from kokuho_nb.report import charts


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_charts_are_greyscale_and_print_sized() -> None:
    images = [
        charts.line_chart(["2026-06", "2026-07", "2026-08"], {"実績": [3.6, 3.5, None], "計画経路": [3.58, 3.56, 3.54]},
                          title="収入未済額と計画経路", ylabel="億円", hline=(3.5, "目標")),
        charts.progress_bars(["差押件数", "SMS配信"], [30.0, 80.0], [58.0, 58.0], title="達成率", xlabel="%",
                             achieved_label="累計", pace_label="計画ペース"),
        charts.bar_chart(["K001", "K002"], [12.0, 3.0], title="臨場催告割合", ylabel="%", threshold=(10.0, "目安"),
                         flagged=[False, True]),
        charts.stacked_bars(["滞納初期", "滞納中～後期"], {"軽減7割": [1.0, 2.0], "軽減なし": [0.5, 1.5]},
                            title="段階別", ylabel="億円"),
    ]
    for png in images:
        assert png.startswith(b"\x89PNG")
        px = _pixels(png)
        # greyscale-safe: every pixel has R == G == B (nothing depends on colour)
        assert (px[..., 0] == px[..., 1]).all() and (px[..., 1] == px[..., 2]).all()
        # A4 text width (6.8 in) at print resolution
        assert px.shape[1] == int(charts.WIDTH_IN * charts.DPI)
        # ink on the page: titles, labels and data were drawn
        assert (px < 128).any()


def test_same_input_same_bytes() -> None:
    a = charts.bar_chart(["A"], [1.0], title="表題", ylabel="件")
    b = charts.bar_chart(["A"], [1.0], title="表題", ylabel="件")
    assert a == b

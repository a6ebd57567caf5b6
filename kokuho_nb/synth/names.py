"""Made-up names for the synthetic ward (模擬データ): katakana household names, kanji staff names."""

from __future__ import annotations

import numpy as np

_SURNAMES = (
    "サトウ スズキ タカハシ タナカ イトウ ワタナベ ヤマモト ナカムラ コバヤシ カトウ ヨシダ ヤマダ ササキ ヤマグチ "
    "マツモト イノウエ キムラ ハヤシ サイトウ シミズ ヤマザキ モリ イケダ ハシモト アベ イシカワ ヤマシタ ナカジマ "
    "イシイ オガワ マエダ オカダ ハセガワ フジタ ゴトウ コンドウ ムラカミ エンドウ アオキ サカモト"
).split()
_GIVEN = (
    "ヒロシ タカシ マコト ケンジ ユウキ ショウタ ダイスケ ツヨシ アキラ ミノル ハルト ソウタ ユウト レン "
    "ヨウコ ケイコ ユミ マユミ アヤ サクラ ミホ ナオミ エミ ハナ ユイ アオイ ミサキ チヒロ トモコ カズコ"
).split()
_FOREIGN_SURNAMES = (
    "オウ チョウ リ チン リュウ ヨウ グエン チャン レ ファム ホアン タパ グルン シュレスタ ライ "
    "サントス レイエス クルス ガルシア キム パク チェ スミス ジョーンズ ブラウン ウィン タン ハッサン"
).split()
_FOREIGN_GIVEN = (
    "ウェイ ミン ファン ジエ ティ ヴァン ラム ビシャル スニタ アニル マリア ジョセフ アナ ミンジュン "
    "ソヨン ジョン メアリー アウン ナイン アフメド"
).split()
_KANJI_SURNAMES = (
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 "
    "山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川"
).split()
_KANJI_GIVEN = "健一 誠 浩 隆 大輔 翔太 拓也 直樹 陽子 恵子 由美 真由美 彩 美穂 直美 智子 聡 学 亮 千尋".split()


def household_names(rng: np.random.Generator, foreign: np.ndarray) -> np.ndarray:
    """Full-width katakana ``姓　名`` for each household (foreign residents get foreign-sounding names)."""
    n = len(foreign)
    js = np.array(_SURNAMES, dtype=object)[rng.integers(0, len(_SURNAMES), n)]
    jg = np.array(_GIVEN, dtype=object)[rng.integers(0, len(_GIVEN), n)]
    fs = np.array(_FOREIGN_SURNAMES, dtype=object)[rng.integers(0, len(_FOREIGN_SURNAMES), n)]
    fg = np.array(_FOREIGN_GIVEN, dtype=object)[rng.integers(0, len(_FOREIGN_GIVEN), n)]
    sur = np.where(foreign, fs, js)
    giv = np.where(foreign, fg, jg)
    return (sur + "　" + giv).astype(object)


def staff_names(rng: np.random.Generator, n: int) -> np.ndarray:
    s = np.array(_KANJI_SURNAMES, dtype=object)[rng.integers(0, len(_KANJI_SURNAMES), n)]
    g = np.array(_KANJI_GIVEN, dtype=object)[rng.integers(0, len(_KANJI_GIVEN), n)]
    return (s + "　" + g).astype(object)

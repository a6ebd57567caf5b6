"""Sub-commands of ``kokuho-nb``: one module per command group, each with ``register(subparsers)``.

:data:`COMMANDS` names, for every command, the module that registers it and the one-line help ``kokuho-nb
--help`` shows, so the CLI imports only the module of the command being run (a command module imports what it
runs at its top: the whole suite for some of them). To add a command: write ``commands/<module>.py`` with
``register(subparsers)`` (using :func:`help_of` for the parser's help) and add its line here.
"""

from __future__ import annotations

#: command -> (module in kokuho_nb.commands, Japanese one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "import": ("ledger", "台帳（標準連携ファイルのフォルダまたはzip）をスナップショットとして取り込む"),
    "snapshots": ("ledger", "取り込んだスナップショットの一覧"),
    "synth": ("synth", "模擬区（合成データ）の台帳を書き出す"),
    "calibration": ("synth", "模擬区の数値をアクションプランの数値と並べて表示する"),
    "entaikin": ("entaikin", "1つの期別の延滞金を計算します（納期限は閉庁日なら翌開庁日に読み替えます）"),
    "month": ("month", "月次ターゲットリストの作成"),
    "returns": ("returns", "ターゲットリストの処理結果（月末報告）の取込"),
    "meeting": ("meeting", "月例会議資料（HTML・PDF・Excel）を作成する"),
    "decisions": ("decisions", "月例会議の決定事項を扱う"),
    "flowcharts": ("flowcharts", "対応フローチャートの検証・図の作成"),
    "training": ("training", "OJT演習の問題用紙・研修受講状況"),
    "serve": ("serve", "ページを Voilà で公開する（既定では 127.0.0.1 のみ）"),
    "demo": ("demo", "模擬区で数か月分の業務（リスト・処理結果・会議資料・OJT）を実行する"),
}


def help_of(command: str) -> str:
    return COMMANDS[command][1]

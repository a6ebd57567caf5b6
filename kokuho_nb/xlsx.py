"""Writing Excel workbooks the suite hands to staff: deterministic bytes.

:func:`workbook_bytes` serialises a workbook with every zip entry stamped :data:`FIXED_ZIP_TIME` (openpyxl would
stamp the current time), so writing the same workbook again gives an identical file — issued lists re-rendered
byte for byte, files compared by hash.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry :data:`FIXED_ZIP_TIME` (openpyxl would stamp the current time)."""

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,  # type: ignore[override]
                 compresslevel: Any = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,  # type: ignore[override]
              compresslevel: Any = None) -> None:
        with open(filename, "rb") as fh:
            self.writestr(self._info(str(arcname or filename)), fh.read())


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise with fixed zip timestamps and the workbook's own (fixed) properties."""
    out = io.BytesIO()
    with _FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    return out.getvalue()


def save(wb: Workbook, path: Path) -> Path:
    """Write ``wb`` to ``path`` with :func:`workbook_bytes` (through a temporary file: never half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(workbook_bytes(wb))
    tmp.replace(path)
    return path

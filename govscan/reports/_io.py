"""Writing a report file so that a crash or Ctrl-C never leaves half a file behind."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

# XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF; scanned text may hold them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Terminal escape sequences start with C0/C1 controls; keep tab and newline only.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def write_atomic(path: Path, data: str | bytes) -> None:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def xml_text(value: object) -> str:
    return _XML_INVALID.sub("\ufffd", str(value))


def plain_text(value: object) -> str:
    return _CONTROL.sub("\ufffd", str(value))

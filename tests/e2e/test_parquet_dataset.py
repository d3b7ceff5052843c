"""The parquet format without pyarrow (a subprocess that cannot import it).

The in-process tests are in ``tests/unit/test_parquet_dataset.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_without_pyarrow_the_format_is_skipped_with_the_install_command(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from peloton_export.default_plugins.parquet import skip_reason\n"
        "print(skip_reason(None))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'peloton-export[parquet]'" in result.stdout

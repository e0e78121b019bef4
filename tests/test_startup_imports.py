"""Start-up imports only what serving updates needs (BENCHMARKS.md, finding 6).

matplotlib (with numpy) and openpyxl cost ~0.7 s and ~80 MiB together; they are
imported by the functions that draw a chart or write a spreadsheet, on first use.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "numpy", "openpyxl")


def heavy_modules_loaded_by(code: str) -> str:
    """Which of HEAVY a fresh interpreter has imported after running `code` (this test
    process may have imported them for other tests)."""
    probe = f"import sys\n{code}print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout.strip()


def test_building_the_bot_does_not_import_chart_or_spreadsheet_libraries() -> None:
    assert heavy_modules_loaded_by(
        "from bot.app import build_application\n"
        "import bot.cli, bot.outbox.digest, handlers.charts, handlers.exports, handlers.reports\n"
    ) == ""


def test_drawing_a_chart_loads_matplotlib_on_first_use() -> None:
    loaded = heavy_modules_loaded_by(
        "from bot.documents.charts import ChartText, draw_line\n"
        "png = draw_line(['a', 'b'], [1, 2], ChartText('t', 's', 'y'))\n"
        "assert png.startswith(b'\\x89PNG'), png[:8]\n"
    )
    assert loaded.split(",")[:2] == ["matplotlib", "numpy"]

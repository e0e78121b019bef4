"""Start-up imports only what serving updates needs (BENCHMARKS.md, finding 6).

matplotlib (with numpy) and openpyxl cost ~0.7 s and ~80 MiB together; they are
imported by the functions that draw a chart or write a spreadsheet, on first use.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "numpy", "openpyxl")


def test_building_the_bot_does_not_import_chart_or_spreadsheet_libraries() -> None:
    # A fresh interpreter: this test process may have imported them for other tests.
    probe = (
        "import sys\n"
        "from bot.app import build_application\n"
        "import bot.cli, bot.digest, handlers.charts, handlers.exports, handlers.reports\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == ""


def test_drawing_a_chart_loads_matplotlib_on_first_use() -> None:
    probe = (
        "import sys\n"
        "from handlers.charts import ChartText, draw_line\n"
        "png = draw_line(['a', 'b'], [1, 2], ChartText('t', 's', 'y'))\n"
        "assert png.startswith(b'\\x89PNG'), png[:8]\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip().split(",")[:2] == ["matplotlib", "numpy"]

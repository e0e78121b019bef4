"""A real `koordinator run` with the bench-only outbox template registered.

`python -m bench.dispatch_bot` is `koordinator run` (settings from the environment) in a
process that has imported `bench.outbox_template`, so `bench_ping` rows render.
"""

from __future__ import annotations

import sys

import bench.outbox_template  # noqa: F401 - registers the template
from bot import cli

if __name__ == "__main__":
    sys.exit(cli.main(["run"]))

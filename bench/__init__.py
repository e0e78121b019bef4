"""Koordinator's benchmark suite (issue 8): `python -m bench [--smoke|--full] [--only NAME]`.

One module per benchmark, numbered as in the issue:

1. `dispatch`  reminder dispatch near Telegram's cap, and the dispatcher's own ceiling
2. `updates`   cost of one `/log` update beside a bare PTB echo bot
3. `stats`     statistics latency beside one hand-written SQL query
4. `startup`   time to ready and peak RSS of a fresh process with many pending rows
5. `lateness`  how late reminders go out when they fall due within the rate cap
6. `soak`      RSS of a real bot process under mixed traffic

Each benchmark returns a `Result`: figures for BENCHMARKS.md, correctness counters that
must stay zero (lost, duplicate, over-limit, failed), and the issue's targets. Timings
are only ever reported, never asserted: the machines are shared and noisy, so every
comparison is measured side by side in the same run.
"""

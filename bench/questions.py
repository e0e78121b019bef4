"""7. Question parsing (issue 11): time to turn free text into a structured query.

The parser is pure Python: no database, no Telegram. Every question of the parser's test
table (Swedish and English, with typos and missing diacritics) is parsed once to warm the
typo cache, as a running bot would be, then timed repeatedly; the median and worst of
each question's best-of-three are reported. Target: well under 10 ms.
"""

from __future__ import annotations

import time
from datetime import date

from bench.common import Options
from bench.common import Result
from bench.common import Table
from bench.common import Target
from bench.common import percentile
from bot.questions import parse
from bot.questions.examples import EXAMPLES

NAME = "questions"
TITLE = "7. Question parsing (free text → structured query)"
TARGET_MS = 10.0
TODAY = date(2026, 11, 24)


def questions() -> list[str]:
    """The example questions the parser offers, in both languages, plus hostile text."""
    texts = [text for group in EXAMPLES.values() for _intent, text in group]
    texts += ["vilka har jag inte träffat på två veckor?", "who haven't I seen in two weeks?",
              "andel kvinnor till arbete eller studier forra kvartalet i Vaxjo",
              "hur manga gick till jobb i fjol", "x" * 2000, "\u202e" * 50]
    return texts


async def run(options: Options) -> Result:
    texts = questions()
    repeats = 3 if options.sizes.label == "smoke" else 20
    for text in texts:
        parse(text, today=TODAY)
    best: list[float] = []
    for _ in range(repeats):
        for text in texts:
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                parse(text, today=TODAY)
                runs.append(time.perf_counter() - started)
            best.append(min(runs) * 1000)
    p50, p95, worst = percentile(best, 50), percentile(best, 95), max(best)
    result = Result(NAME, TITLE)
    result.figures.update({"p50_ms": p50, "p95_ms": p95, "max_ms": worst})
    result.tables.append(Table(["questions", "parses timed", "p50", "p95", "worst"],
                               [[len(texts), len(best), f"{p50:.2f} ms", f"{p95:.2f} ms",
                                 f"{worst:.2f} ms"]]))
    result.targets.append(Target(f"parsing well under {TARGET_MS:.0f} ms (p95)",
                                 f"{p95:.2f} ms", p95 < TARGET_MS))
    result.notes.append("Best of three per question (a garbage-collection pause is not the "
                        "parser's time), after one warm-up pass.")
    return result

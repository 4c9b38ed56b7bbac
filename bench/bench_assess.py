#!/usr/bin/env python3
"""Benchmark moderation.assess on one core, beside a plain-``re`` baseline.

    python bench/bench_assess.py [--repeat 3] [--seed 7]

Corpus, built in place from the shared evaluation texts (never copied):
  * chat lines: every crisis-dev.tsv text, plus the C-SSRS dev posts cut into
    sentences of 20-200 characters;
  * 2,000-character posts: one shared text (a dev row or a C-SSRS post) set in
    generated forum padding, cut to 2,000 characters;
  * dense posts (worst case): 2,000 characters of C-SSRS posts back to back,
    where nearly every sentence carries crisis vocabulary.

Baselines, timed in the same run over the same texts: one ``re`` alternation
of the keyword list (lexicon/baseline_keywords.txt), and one of every anchor
word of the lexicon. Prints a table, then one JSON line. p50, p99 and msgs/s
come from the pass with the best p50; "p99 steady" is the 99th percentile of
each text's fastest pass (on a shared machine a single pass can be stalled by
other jobs).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "eval"
sys.path.insert(0, str(ROOT))

from moderation import assess  # noqa: E402
from moderation.baseline import KEYWORD_RE  # noqa: E402
from moderation.detector import LEXICON  # noqa: E402

PADDING = [
    "Had my three-monthly bloods done this morning and the nurse was lovely.",
    "Does anyone else get vivid dreams on the new regimen?",
    "I switched pharmacies because the old one kept running out of my meds.",
    "The support group on Thursday was really good, thanks to everyone who came.",
    "My partner came with me to the clinic appointment tomorrow, which helped a lot.",
    "Viral load still undetectable, CD4 going up slowly.",
    "Work has been busy so I keep forgetting to eat lunch.",
    "I feel tired in the afternoons but the doctor says it should settle.",
    "Has anyone travelled to the US with their medication in hand luggage?",
    "We watched a film about the eighties last night and talked for hours.",
    "I set an alarm for my pills at nine every night.",
    "Thinking of joining the walking group in the spring.",
    "Telling my sister was scary but she took it really well.",
    "The pharmacist asked loudly about my prescription and I wanted the floor to swallow me.",
    "Does PrEP interact with the hay fever tablets?",
    "I am going to try the injectable when my consultant agrees.",
    "It has been a long week, looking forward to the weekend.",
    "My cat knocked my pill organiser off the table again.",
    "Any tips for dealing with nausea in the first month?",
    "Thanks for the advice about the side effects, it really helped.",
]


def chat_lines() -> list[str]:
    lines = []
    tsv = SHARED / "crisis-dev.tsv"
    for row in tsv.read_text(encoding="utf-8").splitlines()[1:]:
        if row.strip():
            lines.append(row.split("\t", 2)[2])
    for post in _cssrs_posts():
        for sent in re.split(r"(?<=[.!?])\s*", post):
            if 20 <= len(sent) <= 200:
                lines.append(sent)
    return lines


def _cssrs_posts() -> list[str]:
    posts = []
    with (SHARED / "cssrs" / "dev.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            posts.extend(json.loads(line)["posts"])
    return posts


def long_posts(rng: random.Random, n: int, dense: bool) -> list[str]:
    posts = _cssrs_posts()
    dev_rows = [r.split("\t", 2)[2] for r in (SHARED / "crisis-dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
                if r.strip()]
    out = []
    for _ in range(n):
        if dense:
            text = ""
            while len(text) < 2000:
                text += rng.choice(posts) + " "
        else:
            core = rng.choice(dev_rows) if rng.random() < 0.5 else rng.choice(posts)[:1500]
            before, after = [], []
            while len(" ".join(before + [core] + after)) < 2000:
                (before if rng.random() < 0.5 else after).append(rng.choice(PADDING))
            text = " ".join(before + [core] + after)
        out.append(text[:2000])
    return out


def _time(fn, texts: list[str], repeat: int) -> dict:
    best = None
    per_text = [float("inf")] * len(texts)
    for _ in range(repeat):
        times = []
        t_all = time.perf_counter_ns()
        for i, text in enumerate(texts):
            t0 = time.perf_counter_ns()
            fn(text)
            dt = time.perf_counter_ns() - t0
            times.append(dt)
            if dt < per_text[i]:
                per_text[i] = dt
        total = (time.perf_counter_ns() - t_all) / 1e9
        times.sort()
        run = {
            "p50_us": times[len(times) // 2] / 1000,
            "p99_us": times[min(len(times) - 1, int(len(times) * 0.99))] / 1000,
            "per_s": len(texts) / total,
        }
        if best is None or run["p50_us"] < best["p50_us"]:
            best = run
    # On a shared machine one pass can be stalled by other jobs at any moment;
    # each text's fastest pass is a steadier view of the detector's own cost.
    per_text.sort()
    best["p99_us_steady"] = per_text[min(len(per_text) - 1, int(len(per_text) * 0.99))] / 1000
    return {k: round(v, 1) for k, v in best.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest is kept")
    ap.add_argument("--posts", type=int, default=400, help="number of 2,000-character posts")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    chats = chat_lines()
    posts = long_posts(rng, args.posts, dense=False)
    dense = long_posts(rng, args.posts, dense=True)
    anchor_words = sorted({a.rstrip("$") for e in LEXICON.entries for a in e.anchors})
    anchor_re = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in anchor_words) + r")", re.IGNORECASE)

    for text in chats[:200] + posts[:20]:  # warm up
        assess(text)
    rows = {}
    for name, texts in (("chat lines", chats), ("2,000-char posts", posts), ("2,000-char dense posts", dense)):
        rows[name] = {
            "assess": _time(assess, texts, args.repeat),
            "re keywords": _time(KEYWORD_RE.search, texts, args.repeat),
            "re all anchor words": _time(anchor_re.search, texts, args.repeat),
        }
    print(f"moderation.assess on one core (Python {sys.version.split()[0]}); fastest of {args.repeat} runs")
    print(f"corpus: {len(chats)} chat lines (mean {statistics.mean(map(len, chats)):.0f} chars), "
          f"{len(posts)} padded posts and {len(dense)} dense posts of 2,000 chars")
    print("")
    print(f"{'texts':<24}{'method':<22}{'p50 us':>10}{'p99 us':>10}{'p99 steady':>12}{'msgs/s':>12}")
    for name, methods in rows.items():
        for method, r in methods.items():
            print(f"{name:<24}{method:<22}{r['p50_us']:>10.1f}{r['p99_us']:>10.1f}{r['p99_us_steady']:>12.1f}"
                  f"{r['per_s']:>12,.0f}")
    print("(p99 steady: the 99th percentile of each text's fastest pass, less exposed to other jobs)")
    chat, post, worst = rows["chat lines"], rows["2,000-char posts"], rows["2,000-char dense posts"]
    result = {
        "chat_p50_us": chat["assess"]["p50_us"], "chat_p99_us": chat["assess"]["p99_us"],
        "chat_lines_per_s": chat["assess"]["per_s"],
        "post_p50_us": post["assess"]["p50_us"], "post_p99_us": post["assess"]["p99_us"],
        "post_p99_us_steady": post["assess"]["p99_us_steady"],
        "dense_post_p99_us_steady": worst["assess"]["p99_us_steady"],
        "dense_post_p50_us": worst["assess"]["p50_us"], "dense_post_p99_us": worst["assess"]["p99_us"],
        "baseline_chat_lines_per_s": chat["re keywords"]["per_s"],
        "baseline_post_p99_us": post["re keywords"]["p99_us"],
        "ratio_chat_p50_vs_keyword_re": round(chat["assess"]["p50_us"] / max(chat["re keywords"]["p50_us"], 0.1), 1),
        "ratio_post_p50_vs_keyword_re": round(post["assess"]["p50_us"] / max(post["re keywords"]["p50_us"], 0.1), 1),
        "ratio_post_p50_vs_anchor_re": round(post["assess"]["p50_us"] / max(post["re all anchor words"]["p50_us"], 0.1), 1),
        "target_post_p99_under_500us": post["assess"]["p99_us"] < 500,
        "target_chat_over_20000_per_s": chat["assess"]["per_s"] > 20000,
    }
    print("")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

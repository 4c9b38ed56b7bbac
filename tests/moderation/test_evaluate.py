"""python -m moderation.evaluate, run as a subprocess on the shared data in place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared" / "eval"

TSV_KEYS = {"n", "recall_high", "recall_l3", "fpr_benign", "false_high_benign", "level_accuracy",
            "target_accuracy", "p50_us", "p99_us"}


def run(*args: str) -> tuple[int, dict, str]:
    proc = subprocess.run([sys.executable, "-m", "moderation.evaluate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, json.loads(lines[-1]), proc.stdout


def test_evaluate_on_shared_dev_tsv():
    path = SHARED / "crisis-dev.tsv"
    assert path.is_file(), f"missing shared data: {path}"
    code, result, out = run(str(path))
    assert code == 0
    assert TSV_KEYS <= result.keys()
    assert result["n"] == sum(1 for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
    assert result["recall_high"] >= 0.95
    assert result["recall_l3"] >= 0.90
    assert result["false_high_benign"] <= 0.03
    assert result["fpr_benign"] <= 0.10
    assert "labelled" in out  # the table for people comes first


def test_evaluate_on_our_own_cases():
    code, result, _ = run(str(ROOT / "tests" / "moderation" / "cases.tsv"))
    assert code == 0
    assert result["recall_high"] >= 0.95
    assert result["false_high_benign"] <= 0.03


HELDOUT_A_RECALL_FLOOR = 0.60  # 0.408 before any rule from the written sets; 0.625 after B-K
WRITTEN = ROOT / "tests" / "moderation" / "written"


def test_evaluate_on_written_development_sets():
    """Blind sets written for us (written/README.md); rules were written from their errors."""
    for name in ("dev-b.tsv", "dev-c.tsv", "dev-d.tsv", "dev-e.tsv", "dev-g.tsv", "dev-h.tsv", "dev-k.tsv", "dev-m.tsv", "dev-n.tsv"):
        code, result, _ = run(str(WRITTEN / name))
        assert code == 0
        assert result["recall_high"] >= 0.78, (name, result)
        assert result["false_high_benign"] <= 0.03, (name, result)
        assert result["fpr_benign"] <= 0.10, (name, result)


def test_evaluate_on_written_held_out_set():
    """Never tuned on: a floor at the figure measured when it was first scored
    after the rules from B and C (0.408 before them), so a change that loses
    generalisation shows up here."""
    code, result, _ = run(str(WRITTEN / "heldout-a.tsv"))
    assert code == 0
    assert result["n"] == 250
    assert result["recall_high"] >= HELDOUT_A_RECALL_FLOOR, result
    assert result["false_high_benign"] <= 0.05, result


HELD_OUT_FLOORS = {  # never read; floors a little under today's figures (first scores in written/README.md)
    "heldout-f.tsv": 0.55,
    "heldout-i.tsv": 0.63,
    "heldout-l.tsv": 0.66,
    "heldout-o.tsv": 0.64,
}


def test_evaluate_on_other_held_out_sets():
    for name, floor in HELD_OUT_FLOORS.items():
        code, result, _ = run(str(WRITTEN / name))
        assert code == 0
        assert result["n"] == 250
        assert result["recall_high"] >= floor, (name, result)
        assert result["false_high_benign"] <= 0.05, (name, result)


def test_evaluate_dev_j_reaches_its_floor():
    """J was read last and is still the hardest development set."""
    code, result, _ = run(str(WRITTEN / "dev-j.tsv"))
    assert code == 0
    assert result["recall_high"] >= 0.70, result
    assert result["false_high_benign"] <= 0.03, result


def test_evaluate_users_on_cssrs_dev():
    path = SHARED / "cssrs" / "dev.jsonl"
    assert path.is_file(), f"missing shared data: {path}"
    code, result, out = run("--users", str(path))
    assert code == 0
    assert {"recall_high", "false_high_supportive", "keyword_recall_high",
            "keyword_false_high_supportive", "n_users"} <= result.keys()
    assert result["n_users"] > 0
    # fewer false alarms on supporters than the plain keyword list
    assert result["false_high_supportive"] < result["keyword_false_high_supportive"]
    assert "Gaur et al." in out


def test_evaluate_bad_file_exits_nonzero(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("nope\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "moderation.evaluate", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2

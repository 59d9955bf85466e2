"""Merge newly written bank parts into eval/triage/bank.jsonl (or eval/pii/bank.jsonl), giving
each new message its split once: `dev` or `test`, drawn from a hash of the seed and the message's
id, so a message keeps its split however many are added later.

    python eval/triage/merge.py eval/triage/parts/*.jsonl            # triage bank
    python eval/triage/merge.py --pii eval/pii/parts/*.jsonl         # identifier bank
    python eval/triage/merge.py --golden eval/golden/clinician.jsonl parts/*.jsonl   # a golden set (its own cases too)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

SEED = "20261202"
DEV_SHARE = 0.65
HERE = Path(__file__).resolve().parent


def split_of(item_id: str) -> str:
    draw = int(hashlib.sha256(f"{SEED}:{item_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "dev" if draw < DEV_SHARE else "test"


def _key(item: dict) -> str:
    turns = " ".join(t["content"] for t in item.get("history") or [])
    asked = item.get("text") or item["question"]  # a bank message, or a golden-set case
    return re.sub(r"\W+", " ", f"{turns} {asked}".lower()).strip()


def merge(parts: list[Path], bank: Path) -> tuple[int, int]:
    existing = [json.loads(line) for line in bank.read_text(encoding="utf-8").splitlines() if line.strip()] if bank.exists() else []
    for item in existing:
        item.setdefault("split", split_of(item["id"]))  # written before the split existed: drawn the same way, once
    seen_ids = {i["id"] for i in existing}
    seen_texts = {_key(i) for i in existing}
    added = skipped = 0
    for part in parts:
        for line in part.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item["id"] in seen_ids or _key(item) in seen_texts:
                skipped += 1
                continue
            item["split"] = split_of(item["id"])
            existing.append(item)
            seen_ids.add(item["id"])
            seen_texts.add(_key(item))
            added += 1
    bank.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in existing), encoding="utf-8")
    return added, skipped


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", type=Path)
    parser.add_argument("--pii", action="store_true", help="merge into the identifier bank")
    parser.add_argument("--golden", type=Path, help="merge into this golden set, giving its own unsplit cases their split too")
    args = parser.parse_args()
    target = args.golden or (HERE.parent / "pii" / "bank.jsonl" if args.pii else HERE / "bank.jsonl")
    added, skipped = merge(args.parts, target)
    print(f"{target}: {added} added, {skipped} skipped as already there")

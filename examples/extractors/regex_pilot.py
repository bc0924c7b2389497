#!/usr/bin/env python3
"""A small "pilot" extractor of the kind a team already has: regular
expressions for a PO number and `qty x SKU` lines.

prodline runs it as a `command` extractor:

    [workflow.extractor]
    type = "command"
    program = "python3"
    args = ["examples/extractors/regex_pilot.py"]
    timeout_seconds = 30

It is called as `regex_pilot.py PATH` (PATH: the document, original
extension), reads `{"path", "file_name", "text", "context"}` as JSON on
stdin and prints `{"orders": [...], "usage": {...}}` (SPEC §1 orders) on
stdout. Ids it writes are only guesses: prodline resolves and validates
them against its master data, and decides.

Standard library only.
"""

import json
import re
import sys

PO = re.compile(r"\b(?:P\.?O\.?|purchase\s+order|order)\s*(?:number|no\.?|num|#)?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{2,})", re.I)
# "200 x HV-075-BR", "12 EA HV-075-BR", "3 cases of HV-075-BR @ 11.85"
LINE = re.compile(
    r"^\s*(?:\d+[.)]\s+)?(\d+(?:\.\d+)?)\s*(?:x|X|\*|(EA|BX|CA|CS|CT|PK|DZ|PR|ST|RL|PL|FT|LB|KG|each|boxes|box|cases|case)\b(?:\s+of)?)\s*([A-Z0-9][A-Z0-9./-]*[A-Z0-9])"
    r"(?:.*?@\s*\$?(\d+(?:\.\d+)?))?",
    re.I | re.M,
)
UNITS = {"each": "EA", "box": "BX", "boxes": "BX", "case": "CA", "cases": "CA", "cs": "CA"}


def read_orders(text):
    po = PO.search(text)
    lines = []
    for match in LINE.finditer(text):
        qty, unit, sku, price = match.groups()
        unit = UNITS.get((unit or "").lower(), (unit or "EA").upper())
        lines.append({
            "line": len(lines) + 1,
            "sku": sku.upper(),
            "customer_part": None,
            "description": None,
            "qty": float(qty) if "." in qty else int(qty),
            "uom": unit,
            "unit_price": float(price) if price else None,
        })
    if not lines:
        return []
    return [{
        "customer_id": None,
        "customer_po": po.group(1) if po else None,
        "order_date": None,
        "requested_date": None,
        "ship_to": None,
        "currency": None,
        "lines": lines,
    }]


def main():
    request = json.load(sys.stdin)
    text = request.get("text") or ""
    if not text and len(sys.argv) > 1:
        with open(sys.argv[-1], encoding="utf-8", errors="replace") as document:
            text = document.read()
    orders = read_orders(text)
    json.dump({"orders": orders, "usage": {"prompt_tokens": len(text) // 4, "completion_tokens": 0, "cost": 0}}, sys.stdout)


if __name__ == "__main__":
    main()

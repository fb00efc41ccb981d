"""The pytest plugin: opt-in collection of *.accord specs, one test per property, readable failures."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from reportkit import SPECS

from accord.pytest_plugin import header_args, header_expectations

pytest_plugins = ["pytester"]

# other plugins' start-up (hypothesis, pytest-benchmark) costs seconds per inner run and is not under test
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:pytest-lsp")
HOLDS = SPECS["counter"].replace("invariant small: x <= 2", "invariant small: x <= 3")


def test_registered_as_a_pytest11_entry_point():
    eps = [ep for ep in entry_points(group="pytest11") if ep.name == "accord"]
    assert [ep.value for ep in eps] == ["accord.pytest_plugin"]


def test_off_unless_asked(pytester):
    pytester.makefile(".accord", counter=SPECS["counter"])
    result = pytester.runpytest(*QUIET)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_one_item_per_property_with_the_counterexample(pytester):
    pytester.makefile(".accord", counter=SPECS["counter"])
    result = pytester.runpytest("--accord", "-v", *QUIET)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "counter.accord::small FAILED*",
        "counter.accord::top PASSED*",
        "counter.accord::step_errors PASSED*",
    ])
    result.stdout.fnmatch_lines([
        "*counter.accord::small (invariant)*",
        "invariant `small` (declared at counter.accord:5) is violated",
        "  invariant `small` is violated",
        "counterexample for `small`: trace of 4 states",
        "  State 1 (initial)",
        "      x = 0",
        "  State 2: env: inc",
        "      x = 1",
        "*",
        "  State 4: env: inc",
        "      x = 3",
        "parameters: MAX=3",
        "4 distinct states, depth 4, *",
    ])


def test_ini_switch_and_header_constants(pytester):
    pytester.makeini("[pytest]\naccord = true\n")
    pytester.makefile(".accord", counter="# Counter with a smaller bound\n# accord: --const MAX=2\n" + SPECS["counter"])
    result = pytester.runpytest("-v", *QUIET)
    result.assert_outcomes(passed=3)  # MAX=2: x never passes 2, and top (x == MAX) is reachable


def test_accord_args_apply_to_every_spec_and_limits_fail_as_inconclusive(pytester):
    pytester.makeini("[pytest]\naccord = true\naccord_args = --max-states 2\n")
    pytester.makefile(".accord", holds=HOLDS)
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["invariant `small` (declared at holds.accord:5) is unknown",
                                 "  no violation up to depth 2 (2 states; state limit reached)"])


def test_step_errors_item_reports_a_failed_assert(pytester):
    pytester.makefile(".accord", boom=SPECS["boom"])
    result = pytester.runpytest("--accord", *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*boom.accord::step_errors (step errors)*",
                                 "step errors `step_errors` is violated",
                                 "  assert at line 5: assert at line 5: assertion failed",
                                 "*Step: env: inc  <- violates the property"])


def test_expected_violations_pass(pytester):
    spec = "# accord-expect: small=violated\n" + SPECS["counter"]
    pytester.makefile(".accord", counter=spec)
    result = pytester.runpytest("--accord", *QUIET)
    result.assert_outcomes(passed=3)
    pytester.makefile(".accord", counter=spec.replace("x <= 2", "x <= 3"))
    result = pytester.runpytest("--accord", *QUIET)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["invariant `small` (declared at counter.accord:6) is holds, expected violated"])


def test_spec_errors_and_bad_options_fail_one_load_item(pytester):
    pytester.makefile(".accord", broken="protocol P\nvar x: 0..3 = 0\ninvariant i: y > 0\n",
                      badopts="# accord: --max-states zero\n" + HOLDS)
    result = pytester.runpytest("--accord", "-v", *QUIET)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["badopts.accord::load FAILED*", "broken.accord::load FAILED*"])
    result.stdout.fnmatch_lines(["*bad accord options: Invalid value for '--max-states': 'zero' is not a valid *"])
    result.stdout.fnmatch_lines(["*broken.accord: 1 error(s)", "error?ACC201?: unknown name: `y`"])


def test_header_parsing():
    text = "# title\n\n# accord: --const N=2 --max-states 10\n#accord:--no-symmetry\nprotocol P\n# accord: --x\n"
    assert header_args(text) == ["--const", "N=2", "--max-states", "10", "--no-symmetry"]
    assert header_expectations("# accord-expect: a=violated b=holds\nprotocol P\n") == \
        {"a": "violated", "b": "holds"}
    with pytest.raises(ValueError, match="NAME=VERDICT"):
        header_expectations("# accord-expect: a=broken\n")

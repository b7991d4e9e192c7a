"""Tests of the composite-action harness (tests/action_harness.py) on small action.yml files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from action_harness import (
    DUMMY_TOKEN,
    ActionRun,
    ExpressionError,
    HarnessContext,
    StepFailure,
    UsesCall,
    evaluate_expression,
    evaluate_template,
    find_expressions_in_run,
    parse_file_commands,
    parse_workflow_commands,
    pinned_uses,
    run_action,
    to_string,
)
from conftest import Repo, git

SHA = "0123456789abcdef0123456789abcdef01234567"
PR_EVENT: dict[str, Any] = {
    "number": 7,
    "pull_request": {
        "number": 7,
        "base": {"ref": "main", "sha": "b" * 40},
        "head": {"ref": "feature/x", "sha": "c" * 40},
    },
    "labels": [{"name": "bug"}, {"name": "Security"}],
    "sender": {"login": "mona"},
}
CONTEXTS: dict[str, Any] = {
    "github": {"event_name": "pull_request", "event": PR_EVENT, "ref": "refs/pull/7/merge"},
    "inputs": {"sarif-file": "out.sarif", "fail-on": "high", "empty": ""},
    "steps": {"scan": {"outputs": {"count": "3"}, "outcome": "success"}},
}

RunFixture = Callable[..., ActionRun]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    repo = Repo(tmp_path / "workspace")
    repo.write("README.md", "hello\n")
    repo.write("src/app.py", "print('hi')\n")
    repo.commit()
    return repo.root


def write_action(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "action.yml").write_text(textwrap.dedent(body), "utf-8")
    return folder


@pytest.fixture
def run(tmp_path: Path, workspace: Path) -> RunFixture:
    """Write the action.yml given and run it on a pull_request event."""

    def _run(body: str, inputs: dict[str, str] | None = None, **options: Any) -> ActionRun:
        action = write_action(tmp_path / "action", body)
        options.setdefault("event_name", "pull_request")
        options.setdefault("event", PR_EVENT)
        options.setdefault("timeout", 60)
        return run_action(
            action,
            inputs=inputs or {},
            workspace=workspace,
            runner_temp=tmp_path / "runner-temp",
            **options,
        )

    return _run


def ev(expression: str, **options: Any) -> Any:
    return evaluate_expression(expression, CONTEXTS, **options)


# ----------------------------------------------------------------------------------------------
# Expressions
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # literals
        ("'it''s'", "it's"),
        ("''", ""),
        ("-1.5e2", -150),
        ("0xff", 255),
        ("0o17", 15),
        (".5", 0.5),
        ("null", None),
        ("true", True),
        ("false", False),
        # loose equality: strings case-insensitive, other types coerced to numbers
        ("1 == 1.0", True),
        ("'abc' == 'ABC'", True),
        ("'abc' != 'abd'", True),
        ("null == ''", True),
        ("null == 0", True),
        ("null == false", True),
        ("'' == 0", True),
        ("' 1 ' == 1", True),
        ("'0x1A' == 26", True),
        ("'abc' == 0", False),
        ("true == 1", True),
        ("true == 'true'", False),  # 'true' is NaN as a number: GitHub's gotcha
        ("false == ''", True),
        ("NaN == NaN", False),
        ("fromJSON('[]') == fromJSON('[]')", False),  # arrays: same instance only
        ("github.event == github.event", True),
        # relational
        ("2 > 10", False),
        ("'2' > '10'", True),  # both strings: compared as strings
        ("'a' < 'B'", True),
        ("1 < '2'", True),
        ("null < 1", True),
        ("'abc' < 1", False),
        ("'abc' >= 1", False),
        ("2 >= 2", True),
        ("2 <= 1", False),
        # logical operators return operands, not booleans
        ("1 && 'x'", "x"),
        ("0 && 'x'", 0),
        ("'' || 'fallback'", "fallback"),
        ("'a' || 'b'", "a"),
        ("null || null", None),
        ("!''", True),
        ("!'false'", False),  # a non-empty string is truthy
        ("!0", True),
        ("!fromJSON('{}')", False),
        # precedence: ! binds tighter than ==, comparisons than ==, && than ||
        ("!2 == 1", False),
        ("true || false && false", True),
        ("(true || false) && false", False),
        ("1 < 2 == true", True),
        ("'b' == 'b' && 'c'", "c"),
        ("!(1 == 2)", True),
        # contexts: dots, brackets, case-insensitive names, missing -> null
        ("github.event.pull_request.number", 7),
        ("github['event']['pull_request'].head['ref']", "feature/x"),
        ("GITHUB.Event_Name", "pull_request"),
        ("github.event.nope.deeper", None),
        ("github.event.nope == ''", True),
        ("inputs.sarif-file", "out.sarif"),
        ("inputs['fail-on'] == 'HIGH'", True),
        ("steps.scan.outputs.count > 2", True),
        ("steps.missing.outputs.count", None),
        ("github.event.labels[1].name", "Security"),
        ("github.event.labels[5]", None),
        ("github.event.labels.*.name", ["bug", "Security"]),
        # functions
        ("contains('Hello World', 'WORLD')", True),
        ("contains(github.event.labels.*.name, 'security')", True),
        ("contains(fromJSON('[1, 2]'), 3)", False),
        ("contains(fromJSON('[1, 2]'), '2')", True),
        ("startsWith(github.ref, 'REFS/pull/')", True),
        ("endsWith('file.PY', '.py')", True),
        ("startsWith(github.event, 'x')", False),
        ("format('{0}/{1}', 'a', 2)", "a/2"),
        ("format('{{0}} {0} }}', 'x')", "{0} x }"),
        ("join(github.event.labels.*.name, ', ')", "bug, Security"),
        ("join(fromJSON('[1, true, null]'))", "1,true,"),
        ("join('abc')", "abc"),
        ("toJSON('x')", '"x"'),
        ("toJSON(fromJSON('{\"a\": [1, 2.5]}'))", '{\n  "a": [\n    1,\n    2.5\n  ]\n}'),
        ("fromJSON('{\"a\": [1, 2]}').a[1]", 2),
        ("fromJSON('true')", True),
        ("fromJSON(steps.scan.outputs.count) == 3", True),
        ("always()", True),
        ("success()", True),
        ("failure()", False),
        ("cancelled()", False),
        ("TOJSON(null)", "null"),
    ],
)
def test_expressions(expression: str, expected: Any) -> None:
    value = ev(expression)
    assert value == expected
    assert type(value) is type(expected) or (
        isinstance(value, int | float) and isinstance(expected, int | float)
    )


def test_status_functions_follow_the_job_state() -> None:
    assert ev("failure()", job_failed=True) is True
    assert ev("success()", job_failed=True) is False
    assert ev("always()", job_failed=True) is True


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 ==", "unexpected end of expression"),
        ("'abc", "unterminated string literal"),
        ("foo(1)", "Unrecognized function: 'foo'"),
        ("secrets.token", "Unrecognized named-value: 'secrets'"),
        ("contains('a')", r"contains\(\) takes 2 argument"),
        ("format('{1}', 'a')", "references argument 1"),
        ("format('{', 'a')", "invalid format string"),
        ("format('}', 'a')", "invalid format string"),
        ("fromJSON('nope')", "fromJSON: invalid JSON"),
        ("1 2", "unexpected '2' at position 3"),
        ("inputs.a = 'b'", "unexpected character '='"),
        ("github.", "expected a property name"),
        ("(1 == 1", r"expected '\)'"),
        ("   ", "empty expression"),
        ("1abc", "unexpected symbol"),
        ("1 + 1", "unexpected character '\\+'"),  # no arithmetic in GitHub expressions
    ],
)
def test_expression_errors_are_clear_value_errors(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        ev(expression)
    assert isinstance(caught.value, ExpressionError)
    assert "in expression:" in str(caught.value)


def test_status_functions_only_in_conditions() -> None:
    with pytest.raises(ExpressionError, match=r"only allowed in if"):
        ev("success()", allow_status=False)


def test_to_string_follows_github() -> None:
    assert to_string(None) == ""
    assert to_string(True) == "true"
    assert to_string(False) == "false"
    assert to_string(1.0) == "1"
    assert to_string(1.5) == "1.5"
    assert to_string(0.1 + 0.2) == "0.3"
    assert to_string(1e20) == "1E+20"
    assert to_string([1]) == "[\n  1\n]"
    assert to_string({"a": "b"}) == '{\n  "a": "b"\n}'


def test_templates() -> None:
    assert evaluate_template("${{ 1 }}") == 1  # a whole-value expression keeps its type
    assert evaluate_template("${{ null }}") is None
    assert evaluate_template("n=${{ 1 }}, x${{ null }}y") == "n=1, xy"
    assert evaluate_template("${{ format('}}{0}', 'a') }}!") == "}a!"  # }} inside a string
    assert evaluate_template("no expressions") == "no expressions"
    assert evaluate_template("${{ inputs.fail-on }}", CONTEXTS) == "high"
    with pytest.raises(ExpressionError, match="unclosed expression"):
        evaluate_template("a ${{ inputs.x ")
    with pytest.raises(ExpressionError, match="empty expression"):
        evaluate_template("${{ }}")


def test_hash_files(workspace: Path) -> None:
    (workspace / "req").mkdir()
    (workspace / "req" / "a.txt").write_text("a", "utf-8")
    (workspace / "req" / "b.txt").write_text("b", "utf-8")
    (workspace / "req" / "skip.txt").write_text("s", "utf-8")
    expected = hashlib.sha256(
        hashlib.sha256(b"a").digest() + hashlib.sha256(b"b").digest()
    ).hexdigest()

    def hash_of(*patterns: str) -> Any:
        args = ", ".join(f"'{p}'" for p in patterns)
        return evaluate_expression(f"hashFiles({args})", {}, workspace=workspace)

    assert hash_of("**/*.txt", "!**/skip.txt") == expected
    assert hash_of("req/[ab].txt") == expected
    assert hash_of("req/skip.txt") == hashlib.sha256(hashlib.sha256(b"s").digest()).hexdigest()
    assert hash_of("**/*.nothing") == ""
    assert len(hash_of("req")) == 64  # a folder matches the files under it


# ----------------------------------------------------------------------------------------------
# File commands and workflow commands
# ----------------------------------------------------------------------------------------------


def test_parse_file_commands() -> None:
    text = (
        "plain=value with = sign\n"
        "\n"
        "multi<<EOF\nline one\nline=two\n\nEOF\n"
        "tricky=a<<b\n"
        "empty=\n"
        "crlf<<X\r\nr1\r\nr2\r\nX\r\n"
    )
    assert parse_file_commands(text) == [
        ("plain", "value with = sign"),
        ("multi", "line one\nline=two\n"),
        ("tricky", "a<<b"),
        ("empty", ""),
        ("crlf", "r1\r\nr2"),
    ]
    with pytest.raises(ValueError, match="delimiter 'EOF' not found"):
        parse_file_commands("x<<EOF\nno end\n")
    with pytest.raises(ValueError, match="invalid file command line"):
        parse_file_commands("just-a-name\n")
    with pytest.raises(ValueError, match="empty name"):
        parse_file_commands("=value\n")


def test_parse_workflow_commands() -> None:
    stdout = (
        "plain log line\n"
        "::error file=src/a.py,line=3,title=Bad%2C really::two%0Alines 100%25\n"
        "::warning::careful\n"
        "  ::notice title=x::indented\n"
    )
    commands = parse_workflow_commands(stdout)
    assert [(c.command, c.properties, c.message) for c in commands] == [
        ("error", {"file": "src/a.py", "line": "3", "title": "Bad, really"}, "two\nlines 100%"),
        ("warning", {}, "careful"),
        ("notice", {"title": "x"}, "indented"),
    ]


def test_stop_commands_until_the_token_as_the_runner_does() -> None:
    stdout = (
        "::error::before\n"
        "::stop-commands::t0ken\n"
        "::error::inert\r::warning::also inert\n"
        "  ::t0ken-not::\n"
        "::T0KEN::\n"
        "::notice::after\n"
    )
    assert [(c.command, c.message) for c in parse_workflow_commands(stdout)] == [
        ("error", "before"), ("stop-commands", "t0ken"), ("notice", "after"),
    ]


# ----------------------------------------------------------------------------------------------
# Running actions
# ----------------------------------------------------------------------------------------------


def test_step_outputs_flow_to_later_steps_and_action_outputs(run: RunFixture) -> None:
    result = run(
        """
        name: outputs
        inputs:
          greeting:
            description: what to say
            default: hello
        outputs:
          message:
            description: the message
            value: ${{ steps.make.outputs.message }}
          multi:
            value: ${{ steps.make.outputs.multi }}
          shout:
            value: ${{ steps.use.outputs.shout }}
          missing:
            value: ${{ steps.make.outputs.nothing }}
        runs:
          using: composite
          steps:
            - id: make
              shell: bash
              env:
                GREETING: ${{ inputs.greeting }}
              run: |
                echo "message=$GREETING world" >> "$GITHUB_OUTPUT"
                {
                  echo "multi<<EOF_MARK"
                  printf 'line one\\nline=two\\n'
                  echo "EOF_MARK"
                } >> "$GITHUB_OUTPUT"
            - id: use
              shell: bash
              env:
                MESSAGE: ${{ steps.make.outputs.message }}
              run: echo "shout=${MESSAGE^^}" >> "$GITHUB_OUTPUT"
        """
    )
    assert not result.failed and result.exit_code == 0
    assert result.outputs == {
        "message": "hello world",
        "multi": "line one\nline=two",
        "shout": "HELLO WORLD",
        "missing": "",
    }
    assert result.step_outcomes == {"make": "success", "use": "success"}
    assert result.step_outputs["use"] == {"shout": "HELLO WORLD"}


def test_github_env_and_path_flow(run: RunFixture, tmp_path: Path) -> None:
    result = run(
        """
        runs:
          using: composite
          steps:
            - shell: bash
              run: |
                mkdir -p "$RUNNER_TEMP/bin"
                printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/harness-tool"
                chmod +x "$RUNNER_TEMP/bin/harness-tool"
                echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
                echo "FIRST=one" >> "$GITHUB_ENV"
                printf 'NOTES<<END\\na\\nb\\nEND\\n' >> "$GITHUB_ENV"
            - id: check
              shell: bash
              env:
                FROM_CONTEXT: ${{ env.FIRST }}-${{ env.WORKFLOW_LEVEL }}-${{ env.PATH }}
              run: |
                harness-tool
                echo "first=$FIRST" >> "$GITHUB_OUTPUT"
                echo "ctx=$FROM_CONTEXT" >> "$GITHUB_OUTPUT"
                echo "notes=$(printf '%s' "$NOTES" | tr '\\n' ,)" >> "$GITHUB_OUTPUT"
                echo "path_head=${PATH%%:*}" >> "$GITHUB_OUTPUT"
                echo "workflow=$WORKFLOW_LEVEL" >> "$GITHUB_OUTPUT"
        """,
        env={"WORKFLOW_LEVEL": "wf"},
    )
    bin_dir = str((tmp_path / "runner-temp" / "bin").resolve())
    assert not result.failed, result.stderr
    assert "tool-ran\n" in result.stdout
    assert result.env_file == {"FIRST": "one", "NOTES": "a\nb"}
    assert result.path_added == [bin_dir]
    assert result.step_outputs["check"] == {
        "first": "one",
        # The env context holds the workflow env and GITHUB_ENV, not the runner's PATH.
        "ctx": "one-wf-",
        "notes": "a,b",
        "path_head": bin_dir,
        "workflow": "wf",
    }


def test_default_success_failure_and_always(run: RunFixture) -> None:
    result = run(
        """
        outputs:
          partial:
            value: ${{ steps.boom.outputs.partial }}
        runs:
          using: composite
          steps:
            - id: ok
              shell: bash
              run: echo ok-ran
            - id: boom
              shell: bash
              run: |
                echo "partial=yes" >> "$GITHUB_OUTPUT"
                echo "going down" >&2
                exit 3
            - id: after
              shell: bash
              run: echo after-ran
            - id: explicit-success
              if: success()
              shell: bash
              run: echo success-ran
            - id: no-status-function
              if: steps.boom.outcome == 'failure'
              shell: bash
              run: echo implicit-success-ran
            - id: on-failure
              if: failure() && steps.boom.outcome == 'failure'
              shell: bash
              env:
                OUTCOME: ${{ steps.boom.outcome }}
              run: echo "failure-ran $OUTCOME"
            - id: always
              if: ${{ always() }}
              shell: bash
              run: echo always-ran
            - id: fails-again
              if: always()
              shell: bash
              run: exit 9
        """
    )
    assert result.failed
    assert result.exit_code == 3  # the first failing step's exit code
    assert result.step_outcomes == {
        "ok": "success",
        "boom": "failure",
        "after": "skipped",
        "explicit-success": "skipped",
        "no-status-function": "skipped",  # `if: x` means `if: success() && (x)`
        "on-failure": "success",
        "always": "success",
        "fails-again": "failure",
    }
    assert result.stdout == "ok-ran\nfailure-ran failure\nalways-ran\n"
    assert result.stderr == "going down\n"
    assert result.outputs == {"partial": "yes"}  # outputs written before the failure count


def test_conditions_without_failures(run: RunFixture) -> None:
    body = """
        inputs:
          flag:
            default: 'false'
        runs:
          using: composite
          steps:
            - id: compared
              if: inputs.flag == 'true'
              shell: bash
              run: echo compared
            - id: literal-false
              if: false
              shell: bash
              run: echo literal
            - id: bare-string
              if: ${{ inputs.flag }}
              shell: bash
              run: echo bare-string-ran
            - id: mixed-template
              if: ${{ inputs.flag }} == 'true'
              shell: bash
              run: echo mixed-ran
        """
    result = run(body)
    assert result.step_outcomes == {
        "compared": "skipped",
        "literal-false": "skipped",
        "bare-string": "success",  # the string 'false' is truthy, as on GitHub
        "mixed-template": "success",  # text around ${{ }} makes a (truthy) string
    }
    assert run(body, inputs={"flag": "TRUE"}).step_outcomes["compared"] == "success"


def test_continue_on_error(run: RunFixture) -> None:
    body = """
        inputs:
          tolerate:
            default: 'no'
        runs:
          using: composite
          steps:
            - id: soft
              continue-on-error: true
              shell: bash
              run: exit 5
            - id: next
              shell: bash
              env:
                OUTCOME: ${{ steps.soft.outcome }}
                CONCLUSION: ${{ steps.soft.conclusion }}
              run: echo "$OUTCOME/$CONCLUSION"
            - id: soft-expr
              continue-on-error: ${{ inputs.tolerate == 'yes' }}
              shell: bash
              run: exit 6
        """
    tolerated = run(body, inputs={"tolerate": "yes"})
    assert not tolerated.failed and tolerated.exit_code == 0
    assert tolerated.stdout == "failure/success\n"
    assert tolerated.step_outcomes == {"soft": "failure", "next": "success", "soft-expr": "failure"}
    assert tolerated.step_conclusions["soft"] == "success"
    strict = run(body)
    assert strict.failed and strict.exit_code == 6


def test_bash_runs_with_errexit_and_pipefail(run: RunFixture) -> None:
    result = run(
        """
        runs:
          using: composite
          steps:
            - id: errexit
              continue-on-error: true
              shell: bash
              run: |
                false
                echo not-reached
            - id: pipefail
              shell: bash
              run: |
                false | true
                echo not-reached-either
        """
    )
    assert result.step_outcomes == {"errexit": "failure", "pipefail": "failure"}
    assert result.failed and result.exit_code == 1
    assert "not-reached" not in result.stdout


def test_simulated_environment(
    run: RunFixture, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outer = tmp_path / "outer-output"
    outer.write_text("", "utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outer))  # as when the tests run in GitHub Actions
    monkeypatch.setenv("INPUT_STALE", "x")
    monkeypatch.setenv("HARNESS_INHERITED", "inherited")
    (workspace / "sub").mkdir()
    result = run(
        """
        inputs:
          name:
            default: n
        runs:
          using: composite
          steps:
            - id: env
              shell: bash
              run: |
                {
                  echo "cwd=$PWD"
                  echo "event_number=$(grep -o '"number": [0-9]*' "$GITHUB_EVENT_PATH" | head -1 |
                    tr -dc 0-9)"
                  echo "inputs_vars=$(env | grep -c '^INPUT_' || true)"
                  for name in CI GITHUB_ACTIONS GITHUB_WORKSPACE GITHUB_EVENT_NAME \\
                      GITHUB_REPOSITORY GITHUB_SHA GITHUB_REF GITHUB_BASE_REF GITHUB_HEAD_REF \\
                      GITHUB_SERVER_URL GITHUB_API_URL GITHUB_ACTION_PATH RUNNER_TEMP RUNNER_OS \\
                      HOME HARNESS_INHERITED; do
                    echo "$name=${!name}"
                  done
                } >> "$GITHUB_OUTPUT"
            - id: subdir
              working-directory: ${{ github.workspace }}/sub
              shell: bash
              run: echo "cwd=$PWD" >> "$GITHUB_OUTPUT"
            - id: relative
              working-directory: sub
              shell: bash
              env:
                CONTEXTS: >-
                  ${{ github.repository }} ${{ github.sha == env.EXPECTED_SHA }} ${{ runner.os }}
                  ${{ github.actor }} ${{ github.token != '' }} ${{ runner.temp == env.RT }}
                  ${{ github.action_path }}
              run: |
                echo "cwd=$PWD" >> "$GITHUB_OUTPUT"
                echo "contexts=$CONTEXTS" >> "$GITHUB_OUTPUT"
        """,
        env={
            "EXPECTED_SHA": git(workspace, "rev-parse", "HEAD").strip(),
            "RT": str((tmp_path / "runner-temp").resolve()),
        },
    )
    assert not result.failed, result.stderr
    out = result.step_outputs["env"]
    action_dir = str((tmp_path / "action").resolve())
    assert out["cwd"] == str(workspace.resolve())
    assert out["event_number"] == "7"
    assert out["inputs_vars"] == "0"
    assert out["CI"] == "true" and out["GITHUB_ACTIONS"] == "true"
    assert out["GITHUB_WORKSPACE"] == str(workspace.resolve())
    assert out["GITHUB_EVENT_NAME"] == "pull_request"
    assert out["GITHUB_REPOSITORY"] == "octo/app"
    assert out["GITHUB_SHA"] == git(workspace, "rev-parse", "HEAD").strip()
    assert out["GITHUB_REF"] == "refs/pull/7/merge"
    assert (out["GITHUB_BASE_REF"], out["GITHUB_HEAD_REF"]) == ("main", "feature/x")
    assert out["GITHUB_SERVER_URL"] == "https://github.com"
    assert out["GITHUB_API_URL"] == "https://api.github.com"
    assert out["GITHUB_ACTION_PATH"] == action_dir
    assert out["RUNNER_TEMP"] == str((tmp_path / "runner-temp").resolve())
    assert out["RUNNER_OS"] == "Linux"
    assert out["HOME"] == os.environ["HOME"]
    assert out["HARNESS_INHERITED"] == "inherited"
    assert result.step_outputs["subdir"]["cwd"] == str((workspace / "sub").resolve())
    assert result.step_outputs["relative"]["cwd"] == str((workspace / "sub").resolve())
    assert result.step_outputs["relative"]["contexts"] == (
        f"octo/app true Linux mona true true {action_dir}"  # >- folds the lines
    )
    assert outer.read_text("utf-8") == ""  # the outer GITHUB_OUTPUT was not touched


def test_sha_ref_and_event_overrides(run: RunFixture) -> None:
    result = run(
        """
        outputs:
          seen:
            value: >-
              ${{ github.sha }} ${{ github.ref }} ${{ github.ref_name }}
              ${{ github.event_name }}
        runs:
          using: composite
          steps: []
        """,
        event_name="push",
        event={"ref": "refs/heads/dev"},
        sha=SHA,
        repository="acme/widgets",
    )
    assert result.outputs["seen"] == f"{SHA} refs/heads/dev dev push"


def test_run_scripts_get_expressions_substituted_and_can_be_listed(
    run: RunFixture, tmp_path: Path
) -> None:
    body = """
        inputs:
          name:
            default: world
        runs:
          using: composite
          steps:
            - id: unsafe
              shell: bash
              run: echo "hello ${{ inputs.name }} ${{ format('{0}}}', 'x') }}"
            - shell: bash
              env:
                NAME: ${{ inputs.name }}
              run: echo "hi $NAME"
        """
    result = run(body, inputs={"name": "there"})
    assert result.stdout == "hello there x}\nhi there\n"
    assert find_expressions_in_run(tmp_path / "action") == [
        "unsafe: ${{ inputs.name }}",
        "unsafe: ${{ format('{0}}}', 'x') }}",
    ]
    safe = write_action(
        tmp_path / "safe",
        """
        runs:
          using: composite
          steps:
            - shell: bash
              env:
                X: ${{ github.token }}
              run: echo "$X"
        """,
    )
    assert find_expressions_in_run(safe) == []


def _setup_python(call: UsesCall, context: HarnessContext) -> dict[str, str]:
    tools = context.runner_temp / "python-shim"
    tools.mkdir(parents=True, exist_ok=True)
    shim = tools / "python-shim"
    shim.write_text("#!/bin/sh\necho shim-python\n", "utf-8")
    shim.chmod(0o755)
    context.add_path(tools)
    context.export_env("pythonLocation", str(tools))
    context.echo("Set up Python " + call.with_["python-version"])
    return {"python-version": call.with_["python-version"] + ".1"}


def test_stand_ins_are_called_with_evaluated_inputs(run: RunFixture, workspace: Path) -> None:
    calls: list[tuple[str, UsesCall]] = []

    def upload(call: UsesCall, context: HarnessContext) -> None:
        calls.append(("specific", call))
        assert context.workspace == workspace.resolve()
        assert context.env["GITHUB_WORKSPACE"] == str(workspace.resolve())
        assert context.env["UPLOAD_ENV"] == "yes"

    def codeql_generic(call: UsesCall, context: HarnessContext) -> None:
        calls.append(("generic", call))

    result = run(
        f"""
        inputs:
          sarif-file:
            default: results.sarif
        outputs:
          python:
            value: ${{{{ steps.setup.outputs.python-version }}}}
        runs:
          using: composite
          steps:
            - id: setup
              uses: actions/setup-python@{SHA} # v5.1.0
              with:
                python-version: '3.12'
            - id: upload
              if: always()
              uses: github/codeql-action/upload-sarif@{SHA}
              env:
                UPLOAD_ENV: 'yes'
              with:
                sarif_file: ${{{{ github.workspace }}}}/${{{{ inputs.sarif-file }}}}
                category: hullscan-${{{{ github.event_name }}}}
                wait-for-processing: true
            - id: init
              uses: github/codeql-action/init@{SHA}
            - id: skipped
              if: false
              uses: actions/upload-artifact@{SHA}
            - shell: bash
              run: |
                python-shim
                echo "location=$pythonLocation"
        """,
        stand_ins={
            "actions/setup-python": _setup_python,
            "github/codeql-action": codeql_generic,
            "github/codeql-action/upload-sarif": upload,
        },
    )
    assert not result.failed, result.stderr
    assert [(c.uses.split("@")[0], c.with_, c.step_id) for c in result.uses_calls] == [
        ("actions/setup-python", {"python-version": "3.12"}, "setup"),
        (
            "github/codeql-action/upload-sarif",
            {
                "sarif_file": f"{workspace.resolve()}/results.sarif",
                "category": "hullscan-pull_request",
                "wait-for-processing": "true",
            },
            "upload",
        ),
        ("github/codeql-action/init", {}, "init"),
    ]
    assert [kind for kind, _ in calls] == ["specific", "generic"]  # longest prefix wins
    assert result.outputs == {"python": "3.12.1"}
    assert result.step_outcomes["skipped"] == "skipped"
    tools = str((result.path_added or [""])[0])
    assert result.stdout == f"Set up Python 3.12\nshim-python\nlocation={tools}\n"
    assert result.env_file == {"pythonLocation": tools}


def test_missing_stand_in_raises(run: RunFixture) -> None:
    with pytest.raises(KeyError, match="actions/cache"):
        run(
            f"""
            runs:
              using: composite
              steps:
                - uses: actions/cache@{SHA}
                  with:
                    path: x
            """,
            stand_ins={"actions/setup-python": _setup_python},
        )


def test_stand_in_step_failure(run: RunFixture) -> None:
    def reject(call: UsesCall, context: HarnessContext) -> None:
        raise StepFailure("upload rejected", exit_code=2)

    result = run(
        f"""
        runs:
          using: composite
          steps:
            - id: upload
              uses: github/codeql-action/upload-sarif@{SHA}
            - if: failure()
              shell: bash
              run: echo cleanup
        """,
        stand_ins={"github/codeql-action/upload-sarif": reject},
    )
    assert result.failed and result.exit_code == 2
    assert "upload rejected" in result.stderr
    assert result.step_outcomes == {"upload": "failure", "step-2": "success"}
    assert len(result.uses_calls) == 1


def test_outputs_set_before_a_stand_in_fails_stay(run: RunFixture) -> None:
    def processing_failed(call: UsesCall, context: HarnessContext) -> None:
        raise StepFailure("could not process", outputs={"sarif-id": "abc-123"})

    result = run(
        f"""
        runs:
          using: composite
          steps:
            - id: upload
              continue-on-error: true
              uses: github/codeql-action/upload-sarif@{SHA}
            - id: after
              shell: bash
              env:
                ID: ${{{{ steps.upload.outputs.sarif-id }}}}
                OUTCOME: ${{{{ steps.upload.outcome }}}}
              run: echo "seen=$ID $OUTCOME" >> "$GITHUB_OUTPUT"
        """,
        stand_ins={"github/codeql-action/upload-sarif": processing_failed},
    )
    assert not result.failed
    assert result.step_outputs["after"]["seen"] == "abc-123 failure"


def test_github_action_is_the_calling_step_in_every_step(run: RunFixture) -> None:
    """On the runner the steps of a composite action share GITHUB_ACTION (and github.action)
    with the workflow step that uses it: its id, or a name generated for a step without one."""
    body = """
        runs:
          using: composite
          steps:
            - id: first
              shell: bash
              env:
                CONTEXT: ${{ github.action }}
              run: echo "seen=$GITHUB_ACTION $CONTEXT" >> "$GITHUB_OUTPUT"
            - id: second
              shell: bash
              run: echo "seen=$GITHUB_ACTION" >> "$GITHUB_OUTPUT"
        """
    named = run(body, step_id="scan-frontend")
    assert named.step_outputs["first"]["seen"] == "scan-frontend scan-frontend"
    assert named.step_outputs["second"]["seen"] == "scan-frontend"
    generated = run(body)
    assert generated.step_outputs["first"]["seen"] == "__action __action"
    assert generated.step_outputs["second"]["seen"] == "__action"


def test_inputs_defaults_and_errors(run: RunFixture, tmp_path: Path) -> None:
    body = """
        inputs:
          token:
            description: token
            default: ${{ github.token }}
          repo:
            default: ${{ github.repository }}
          strict:
            default: false
          needed:
            required: true
          optional:
            required: false
        outputs:
          all:
            value: >-
              ${{ inputs.token }}|${{ inputs.repo }}|${{ inputs.strict }}|${{ inputs.needed
              }}|${{ inputs.optional }}
        runs:
          using: composite
          steps: []
        """
    result = run(body, inputs={"Needed": "given"})  # input names are case-insensitive
    assert result.outputs["all"] == f"{DUMMY_TOKEN}|octo/app|false|given|"
    with pytest.raises(ValueError, match=r"unknown input\(s\) \['neded'\]"):
        run(body, inputs={"needed": "x", "neded": "typo"})
    with pytest.raises(ValueError, match="required input 'needed'"):
        run(body)


def test_summary_accumulates_per_step_files(run: RunFixture) -> None:
    def summarise(call: UsesCall, context: HarnessContext) -> None:
        context.append_summary("from stand-in\n")

    result = run(
        f"""
        runs:
          using: composite
          steps:
            - shell: bash
              run: echo "## first" >> "$GITHUB_STEP_SUMMARY"
            - uses: octo/summary@{SHA}
            - shell: bash
              run: |
                echo "second (its own file: starts empty: $(wc -c < "$GITHUB_STEP_SUMMARY"))" \\
                  > "$GITHUB_STEP_SUMMARY"
                echo "more" >> "$GITHUB_STEP_SUMMARY"
        """,
        stand_ins={"octo/summary": summarise},
    )
    assert result.summary == (
        "## first\nfrom stand-in\nsecond (its own file: starts empty: 0)\nmore\n"
    )


def test_invalid_github_output_fails_the_step(run: RunFixture) -> None:
    result = run(
        """
        runs:
          using: composite
          steps:
            - id: bad
              shell: bash
              run: echo "no-equals-sign" >> "$GITHUB_OUTPUT"
        """
    )
    assert result.failed and result.exit_code == 1
    assert result.step_outcomes == {"bad": "failure"}
    assert "invalid file command line 'no-equals-sign'" in result.stderr


def test_workflow_commands_appear_in_stdout(run: RunFixture) -> None:
    result = run(
        """
        runs:
          using: composite
          steps:
            - shell: bash
              run: |
                echo "::error file=Dockerfile,line=2::Pin the base image"
                echo "::warning::just a warning"
        """
    )
    assert [
        (c.command, c.properties.get("file"), c.message)
        for c in parse_workflow_commands(result.stdout)
    ] == [
        ("error", "Dockerfile", "Pin the base image"),
        ("warning", None, "just a warning"),
    ]


def test_hash_files_in_steps(run: RunFixture, workspace: Path) -> None:
    result = run(
        """
        outputs:
          key:
            value: deps-${{ hashFiles('src/**/*.py') }}
          none:
            value: ${{ hashFiles('*.lock') }}
        runs:
          using: composite
          steps: []
        """
    )
    digest = hashlib.sha256(hashlib.sha256(b"print('hi')\n").digest()).hexdigest()
    assert result.outputs == {"key": f"deps-{digest}", "none": ""}


def test_missing_working_directory_fails_the_step(run: RunFixture) -> None:
    result = run(
        """
        runs:
          using: composite
          steps:
            - id: nowhere
              working-directory: does/not/exist
              shell: bash
              run: echo hi
        """
    )
    assert result.failed and result.step_outcomes == {"nowhere": "failure"}
    assert "does not exist" in result.stderr


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("runs:\n  using: node20\n  main: index.js\n", "not 'composite'"),
        ("runs:\n  using: composite\n  steps:\n    - run: echo\n", "require shell"),
        ("runs:\n  using: composite\n  steps:\n    - run: echo\n      shell: sh\n", "bash only"),
        (
            "runs:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n"
            "      timeout-minutes: 5\n",
            r"unexpected key\(s\) \['timeout-minutes'\]",
        ),
        (
            "runs:\n  using: composite\n  steps:\n    - uses: a/b@v1\n      run: echo\n",
            "exactly one of run: or uses:",
        ),
        (
            "runs:\n  using: composite\n  steps:\n"
            "    - {id: x, run: echo, shell: bash}\n    - {id: X, run: echo, shell: bash}\n",
            "duplicate step id",
        ),
        (
            "runs:\n  using: composite\n  steps:\n    - uses: a/b@${{ inputs.v }}\n",
            "cannot contain expressions",
        ),
        (
            "runs:\n  using: composite\n  steps:\n    - if: secrets.X\n      run: echo\n"
            "      shell: bash\n",
            "Unrecognized named-value: 'secrets'",
        ),
        (
            "runs:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n"
            "      env:\n        X: ${{ success() }}\n",
            "only allowed in if",
        ),
    ],
)
def test_invalid_actions_raise(run: RunFixture, body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run(body)


def test_timeout_stops_a_hanging_step(run: RunFixture) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="step sleepy"):
        run(
            """
            runs:
              using: composite
              steps:
                - id: sleepy
                  shell: bash
                  run: sleep 30
            """,
            timeout=0.5,
        )
    assert time.monotonic() - started < 10


# ----------------------------------------------------------------------------------------------
# pinned_uses
# ----------------------------------------------------------------------------------------------


def test_pinned_uses_in_an_action(tmp_path: Path) -> None:
    action = write_action(
        tmp_path / "a",
        f"""
        runs:
          using: composite
          steps:
            - uses: actions/setup-python@{SHA} # v5.1.0
              with:
                python-version: '3.12'
            - name: upload
              uses: "github/codeql-action/upload-sarif@{SHA}"   #   v3.25.0
            - shell: bash
              run: |
                echo "uses: not/a-step@v1 # no"
            - uses: octo/unpinned@v1
            - uses: ./local/action
        """,
    )
    assert pinned_uses(action / "action.yml") == [
        ("actions/setup-python", SHA, "v5.1.0"),
        ("github/codeql-action/upload-sarif", SHA, "v3.25.0"),
        ("octo/unpinned", "v1", None),
        ("./local/action", "", None),
    ]


def test_pinned_uses_in_a_workflow(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text(
        textwrap.dedent(
            f"""
            on: [pull_request]
            jobs:
              scan:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@{SHA} # v4.1.7
                  - uses: ./  # the action itself
                  - run: echo hi
              reuse:
                uses: octo/workflows/.github/workflows/x.yml@{SHA} # v2
            """
        ),
        "utf-8",
    )
    entries = pinned_uses(workflow)
    assert entries == [
        ("actions/checkout", SHA, "v4.1.7"),
        ("./", "", "the action itself"),
        ("octo/workflows/.github/workflows/x.yml", SHA, "v2"),
    ]
    remote = [e for e in entries if not e[0].startswith(".")]
    assert all(re.fullmatch(r"[0-9a-f]{40}", ref) and comment for _, ref, comment in remote)


def test_event_file_is_the_payload(run: RunFixture) -> None:
    result = run(
        """
        runs:
          using: composite
          steps:
            - id: read
              shell: bash
              run: echo "event=$(tr -d ' \\n' < "$GITHUB_EVENT_PATH")" >> "$GITHUB_OUTPUT"
        """,
        event={"action": "opened", "number": 3},
    )
    assert json.loads(result.step_outputs["read"]["event"]) == {"action": "opened", "number": 3}

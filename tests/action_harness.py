"""Run a composite GitHub Action's action.yml locally, the way GitHub's runner does.

`run:` steps really run, with `bash --noprofile --norc -eo pipefail {file}` in a simulated
GitHub environment (GITHUB_* variables, an event payload file, and fresh file-command files per
step). `uses:` steps never run: the test supplies a stand-in for each action it calls. `${{ }}`
expressions are evaluated by a small evaluator written to GitHub's documented semantics: loose
equality, case-insensitive string comparisons, null as '', the same functions and the same
truthiness.

Public API: run_action, ActionRun, UsesCall, HarnessContext, StepFailure, evaluate_expression,
evaluate_template, to_string, find_expressions_in_run, pinned_uses, parse_file_commands,
parse_workflow_commands.

Where the harness is stricter than, or differs from, GitHub:
- Expression errors (syntax, unknown function or context such as `secrets`, fromJSON of bad
  JSON, status functions outside `if:`) raise ExpressionError (a ValueError) instead of
  failing the step, so a test shows them directly. Unknown step keys (e.g. `timeout-minutes`,
  which composite steps do not support), unknown inputs and missing required inputs raise
  ValueError too (GitHub only warns about inputs).
- Only `shell: bash` run steps run; pre/post steps, `::set-output`/`::save-state`,
  `::add-mask::` and secret masking are not modelled; nested actions run only as stand-ins.
- GITHUB_ENV values override `env=` (the caller's workflow/job/step env) for later steps;
  a step's own `env:` overrides both.
- GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY are fresh files per step,
  as on the runner; ActionRun.summary joins the steps' summaries in order.
- hashFiles() hashes matching files in path order (the runner uses glob order).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

__all__ = [
    "ActionRun",
    "ExpressionError",
    "HarnessContext",
    "StandIn",
    "StepFailure",
    "UsesCall",
    "WorkflowCommand",
    "evaluate_expression",
    "evaluate_template",
    "find_expressions_in_run",
    "load_action",
    "parse_file_commands",
    "parse_workflow_commands",
    "pinned_uses",
    "run_action",
    "to_string",
]

DUMMY_TOKEN = "ghs_harnessDummyToken000000000000000000"


# --------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------


class ExpressionError(ValueError):
    """An expression GitHub would reject: bad syntax, an unknown function or context, or an
    evaluation error (fromJSON of invalid JSON, a bad format string, ...)."""


# Lower-cased function name -> (minimum, maximum) argument count.
_FUNCTIONS: dict[str, tuple[int, int]] = {
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "format": (1, 255),
    "join": (1, 2),
    "tojson": (1, 1),
    "fromjson": (1, 1),
    "hashfiles": (1, 255),
    "success": (0, 0),
    "failure": (0, 0),
    "always": (0, 0),
    "cancelled": (0, 0),
}
_STATUS_FUNCTIONS = frozenset({"success", "failure", "always", "cancelled"})
_KEYWORDS: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "NaN": math.nan,
    "Infinity": math.inf,
}

_NUMBER_LITERAL = re.compile(
    r"[+-]?(?:0x[0-9a-fA-F]+|0o[0-7]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", ",", ".", "!", "<", ">", "*")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class _Token:
    kind: str  # "num" | "str" | "ident" | "op" | "end"
    value: Any
    pos: int
    text: str


def _error(message: str, expression: str, pos: int | None = None) -> ExpressionError:
    where = f" at position {pos + 1}" if pos is not None else ""
    return ExpressionError(f"{message}{where} in expression: {expression}")


def _tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(expression)
    while i < n:
        char = expression[i]
        if char.isspace():
            i += 1
            continue
        previous = tokens[-1] if tokens else None
        after_value = previous is not None and (
            previous.kind in ("ident", "str", "num")
            or (previous.kind == "op" and previous.value in (")", "]", "*"))
        )
        if char == "'":
            j, chars = i + 1, []
            while True:
                if j >= n:
                    raise _error("unterminated string literal", expression, i)
                if expression[j] == "'":
                    if expression[j + 1 : j + 2] == "'":
                        chars.append("'")
                        j += 2
                        continue
                    break
                chars.append(expression[j])
                j += 1
            tokens.append(_Token("str", "".join(chars), i, expression[i : j + 1]))
            i = j + 1
            continue
        following = expression[i + 1 : i + 2]
        starts_number = char.isdigit() or (
            not after_value
            and (
                (char in "+-" and (following.isdigit() or following == "."))
                or (char == "." and following.isdigit())
            )
        )
        if starts_number:
            match = _NUMBER_LITERAL.match(expression, i)
            if match is None:
                raise _error(f"unexpected symbol {char!r}", expression, i)
            end = match.end()
            if end < n and (expression[end].isalnum() or expression[end] in "_.'"):
                raise _error(f"unexpected symbol {expression[i : end + 1]!r}", expression, i)
            tokens.append(_Token("num", _number_literal(match.group()), i, match.group()))
            i = end
            continue
        for operator in _OPERATORS:
            if expression.startswith(operator, i):
                tokens.append(_Token("op", operator, i, operator))
                i += len(operator)
                break
        else:
            match = _IDENTIFIER.match(expression, i)
            if match is None:
                raise _error(f"unexpected character {char!r}", expression, i)
            tokens.append(_Token("ident", match.group(), i, match.group()))
            i = match.end()
    tokens.append(_Token("end", None, n, ""))
    return tokens


def _number_literal(text: str) -> float:
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    if body.startswith("0o"):
        return sign * int(body[2:], 8)
    return float(text)


@dataclass(frozen=True)
class _Literal:
    value: Any


@dataclass(frozen=True)
class _NamedValue:
    name: str


@dataclass(frozen=True)
class _Call:
    name: str  # lower-cased
    args: tuple[_Node, ...]


@dataclass(frozen=True)
class _Member:
    target: _Node
    key: _Node | None  # None: the `*` filter


@dataclass(frozen=True)
class _Not:
    operand: _Node


@dataclass(frozen=True)
class _Binary:
    op: str
    left: _Node
    right: _Node


_Node = _Literal | _NamedValue | _Call | _Member | _Not | _Binary


class _Parser:
    """Recursive descent, loosest first: ||, &&, == !=, < <= > >=, !, member access."""

    def __init__(
        self, expression: str, contexts: frozenset[str] | None, allow_status: bool
    ) -> None:
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.index = 0
        self.contexts = contexts
        self.allow_status = allow_status

    def parse(self) -> _Node:
        if self.peek().kind == "end":
            raise _error("empty expression", self.expression)
        node = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            raise _error(f"unexpected {token.text!r}", self.expression, token.pos)
        return node

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, *operators: str) -> str | None:
        token = self.peek()
        if token.kind == "op" and token.value in operators:
            self.index += 1
            return str(token.value)
        return None

    def expect(self, operator: str) -> None:
        token = self.peek()
        if not (token.kind == "op" and token.value == operator):
            found = "end of expression" if token.kind == "end" else repr(token.text)
            raise _error(f"expected {operator!r}, found {found}", self.expression, token.pos)
        self.index += 1

    def parse_or(self) -> _Node:
        node = self.parse_and()
        while self.accept("||"):
            node = _Binary("||", node, self.parse_and())
        return node

    def parse_and(self) -> _Node:
        node = self.parse_equality()
        while self.accept("&&"):
            node = _Binary("&&", node, self.parse_equality())
        return node

    def parse_equality(self) -> _Node:
        node = self.parse_comparison()
        while operator := self.accept("==", "!="):
            node = _Binary(operator, node, self.parse_comparison())
        return node

    def parse_comparison(self) -> _Node:
        node = self.parse_unary()
        while operator := self.accept("<", "<=", ">", ">="):
            node = _Binary(operator, node, self.parse_unary())
        return node

    def parse_unary(self) -> _Node:
        if self.accept("!"):
            return _Not(self.parse_unary())
        return self.parse_postfix(self.parse_primary())

    def parse_postfix(self, node: _Node) -> _Node:
        while True:
            if self.accept("."):
                token = self.take()
                if token.kind == "ident":
                    node = _Member(node, _Literal(token.value))
                elif token.kind == "op" and token.value == "*":
                    node = _Member(node, None)
                else:
                    raise _error("expected a property name after '.'", self.expression, token.pos)
            elif self.accept("["):
                key = None if self.accept("*") else self.parse_or()
                node = _Member(node, key)
                self.expect("]")
            else:
                return node

    def parse_primary(self) -> _Node:
        token = self.take()
        if token.kind in ("num", "str"):
            return _Literal(token.value)
        if token.kind == "op" and token.value == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        if token.kind == "ident":
            name = str(token.value)
            if self.accept("("):
                return self.parse_call(name, token.pos)
            if name in _KEYWORDS:
                return _Literal(_KEYWORDS[name])
            if self.contexts is not None and name.lower() not in self.contexts:
                available = ", ".join(sorted(self.contexts)) or "none"
                raise _error(
                    f"Unrecognized named-value: {name!r} (available here: {available})",
                    self.expression,
                    token.pos,
                )
            return _NamedValue(name)
        found = "end of expression" if token.kind == "end" else repr(token.text)
        raise _error(f"unexpected {found}", self.expression, token.pos)

    def parse_call(self, name: str, pos: int) -> _Node:
        lowered = name.lower()
        if lowered not in _FUNCTIONS:
            raise _error(f"Unrecognized function: {name!r}", self.expression, pos)
        if lowered in _STATUS_FUNCTIONS and not self.allow_status:
            raise _error(
                f"status function {name}() is only allowed in if: conditions",
                self.expression,
                pos,
            )
        args: list[_Node] = []
        if not self.accept(")"):
            while True:
                args.append(self.parse_or())
                if self.accept(")"):
                    break
                self.expect(",")
        low, high = _FUNCTIONS[lowered]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            raise _error(
                f"{name}() takes {wanted} argument(s), got {len(args)}", self.expression, pos
            )
        return _Call(lowered, tuple(args))


def _parse(
    expression: str, contexts: frozenset[str] | None = None, allow_status: bool = True
) -> _Node:
    return _Parser(expression, contexts, allow_status).parse()


def _uses_status_function(node: _Node) -> bool:
    match node:
        case _Call(name=name, args=args):
            return name in _STATUS_FUNCTIONS or any(_uses_status_function(a) for a in args)
        case _Member(target=target, key=key):
            return _uses_status_function(target) or (key is not None and _uses_status_function(key))
        case _Not(operand=operand):
            return _uses_status_function(operand)
        case _Binary(left=left, right=right):
            return _uses_status_function(left) or _uses_status_function(right)
    return False


class _Filtered(list[Any]):
    """The array a `*` filter produces: member access maps over its items."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _to_number(value: Any) -> float:
    kind = _kind(value)
    if kind == "null":
        return 0.0
    if kind == "boolean":
        return 1.0 if value else 0.0
    if kind == "number":
        return float(value)
    if kind == "string":
        text = value.strip()
        if not text:
            return 0.0
        if _DECIMAL.fullmatch(text):
            return float(text)
        if re.fullmatch(r"0x[0-9a-fA-F]+", text):
            return float(int(text[2:], 16))
        if re.fullmatch(r"0o[0-7]+", text):
            return float(int(text[2:], 8))
        if text == "Infinity":
            return math.inf
        if text == "-Infinity":
            return -math.inf
    return math.nan


def _number_to_string(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{float(number):.15G}"  # .NET's "G15", which the runner uses


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _to_json(value: Any) -> str:
    return json.dumps(_jsonable(value), indent=2, ensure_ascii=False)


def to_string(value: Any) -> str:
    """GitHub's string conversion: null -> '', booleans -> 'true'/'false', numbers without a
    trailing '.0', objects and arrays as (indented) JSON."""
    kind = _kind(value)
    if kind == "null":
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "number":
        return _number_to_string(float(value))
    if kind == "string":
        return str(value)
    return _to_json(value)


def truthy(value: Any) -> bool:
    """GitHub's truthiness: null, false, 0, NaN and '' are falsy; arrays and objects truthy."""
    kind = _kind(value)
    if kind == "null":
        return False
    if kind == "boolean":
        return bool(value)
    if kind == "number":
        return not (value == 0 or math.isnan(float(value)))
    if kind == "string":
        return bool(value != "")
    return True


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """The runner's CoerceTypes: null and booleans become numbers, then a string compared with
    a number becomes a number. Arrays and objects are never coerced."""
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind == right_kind:
        return left, right
    if left_kind in ("null", "boolean"):
        return _coerce(_to_number(left), right)
    if right_kind in ("null", "boolean"):
        return _coerce(left, _to_number(right))
    if left_kind == "number" and right_kind == "string":
        return left, _to_number(right)
    if left_kind == "string" and right_kind == "number":
        return _to_number(left), right
    return left, right


def _equal(left: Any, right: Any) -> bool:
    left, right = _coerce(left, right)
    kind = _kind(left)
    if kind != _kind(right):
        return False
    if kind == "null":
        return True
    if kind == "number":
        return float(left) == float(right)  # NaN != NaN
    if kind == "string":
        return str(left).upper() == str(right).upper()
    if kind == "boolean":
        return bool(left) == bool(right)
    return left is right  # arrays and objects: the same instance only


def _greater(left: Any, right: Any) -> bool:
    left, right = _coerce(left, right)
    kind = _kind(left)
    if kind != _kind(right):
        return False
    if kind == "number":
        return float(left) > float(right)  # NaN compares false
    if kind == "string":
        return str(left).upper() > str(right).upper()
    if kind == "boolean":
        return bool(left) and not bool(right)
    return False


def _less(left: Any, right: Any) -> bool:
    return _greater(right, left)


def _lookup(mapping: Mapping[Any, Any], key: str) -> Any:
    """Property access: exact key first, then case-insensitively (as GitHub); missing -> null."""
    if key in mapping:
        return mapping[key]
    folded = key.upper()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.upper() == folded:
            return value
    return None


def _member(target: Any, key: Any) -> Any:
    if isinstance(target, _Filtered):
        result = _Filtered()
        for item in target:
            value = _member(item, key)
            if value is not None:
                result.append(value)
        return result
    if isinstance(target, dict):
        if isinstance(key, dict | list):
            return None
        return _lookup(target, to_string(key))
    if isinstance(target, list):
        if isinstance(key, dict | list):
            return None
        number = _to_number(key)
        if math.isnan(number) or not number.is_integer():
            return None
        index = int(number)
        return target[index] if 0 <= index < len(target) else None
    return None


def _wildcard(target: Any) -> _Filtered:
    items: list[Any] = target if isinstance(target, _Filtered) else [target]
    result = _Filtered()
    for item in items:
        if isinstance(item, dict):
            result.extend(item.values())
        elif isinstance(item, list):
            result.extend(item)
    return result


@dataclass
class _EvalState:
    contexts: Mapping[str, Any]
    workspace: Path | None
    job_failed: bool
    expression: str


def _evaluate(node: _Node, state: _EvalState) -> Any:
    match node:
        case _Literal(value=value):
            return value
        case _NamedValue(name=name):
            return _lookup(state.contexts, name)
        case _Member(target=target, key=None):
            return _wildcard(_evaluate(target, state))
        case _Member(target=target, key=key) if key is not None:
            return _member(_evaluate(target, state), _evaluate(key, state))
        case _Not(operand=operand):
            return not truthy(_evaluate(operand, state))
        case _Binary(op="&&", left=left, right=right):
            value = _evaluate(left, state)
            return _evaluate(right, state) if truthy(value) else value
        case _Binary(op="||", left=left, right=right):
            value = _evaluate(left, state)
            return value if truthy(value) else _evaluate(right, state)
        case _Binary(op=op, left=left, right=right):
            a, b = _evaluate(left, state), _evaluate(right, state)
            if op == "==":
                return _equal(a, b)
            if op == "!=":
                return not _equal(a, b)
            if op == "<":
                return _less(a, b)
            if op == ">":
                return _greater(a, b)
            if op == "<=":
                return _less(a, b) or _equal(a, b)
            return _greater(a, b) or _equal(a, b)
        case _Call(name=name, args=args):
            return _call(name, [_evaluate(arg, state) for arg in args], state)
    raise AssertionError(node)  # pragma: no cover


def _is_primitive(value: Any) -> bool:
    return _kind(value) not in ("array", "object")


def _call(name: str, args: list[Any], state: _EvalState) -> Any:
    if name == "success":
        return not state.job_failed
    if name == "failure":
        return state.job_failed
    if name == "always":
        return True
    if name == "cancelled":
        return False
    if name == "contains":
        haystack, needle = args
        if isinstance(haystack, list):
            return any(_equal(item, needle) for item in haystack)
        if not (_is_primitive(haystack) and _is_primitive(needle)):
            return False
        return to_string(needle).upper() in to_string(haystack).upper()
    if name in ("startswith", "endswith"):
        text, affix = args
        if not (_is_primitive(text) and _is_primitive(affix)):
            return False
        folded, folded_affix = to_string(text).upper(), to_string(affix).upper()
        if name == "startswith":
            return folded.startswith(folded_affix)
        return folded.endswith(folded_affix)
    if name == "format":
        return _format(to_string(args[0]), [to_string(a) for a in args[1:]], state)
    if name == "join":
        separator = to_string(args[1]) if len(args) > 1 else ","
        if isinstance(args[0], list):
            return separator.join(to_string(i) if _is_primitive(i) else "" for i in args[0])
        return to_string(args[0]) if _is_primitive(args[0]) else ""
    if name == "tojson":
        return _to_json(args[0])
    if name == "fromjson":
        text = to_string(args[0])
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _error(f"fromJSON: invalid JSON {text!r} ({exc})", state.expression) from exc
    if name == "hashfiles":
        if state.workspace is None:
            raise _error("hashFiles() needs a workspace", state.expression)
        return hash_files(state.workspace, [to_string(a) for a in args])
    raise AssertionError(name)  # pragma: no cover


def _format(template: str, args: list[str], state: _EvalState) -> str:
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        char = template[i]
        if char == "{":
            if template[i + 1 : i + 2] == "{":
                out.append("{")
                i += 2
                continue
            end = template.find("}", i)
            index = template[i + 1 : end] if end > 0 else ""
            if not index.isdigit():
                raise _error(f"format: invalid format string {template!r}", state.expression)
            if int(index) >= len(args):
                raise _error(
                    f"format: {template!r} references argument {index} but only "
                    f"{len(args)} were supplied",
                    state.expression,
                )
            out.append(args[int(index)])
            i = end + 1
        elif char == "}":
            if template[i + 1 : i + 2] != "}":
                raise _error(f"format: invalid format string {template!r}", state.expression)
            out.append("}")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if pattern.startswith("**", i):
            if pattern[i + 2 : i + 3] == "/":
                out.append("(?:.*/)?")
                i += 3
            else:
                out.append(".*")
                i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[" and (end := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("".join(out))


def hash_files(workspace: Path, patterns: list[str]) -> str:
    """hashFiles(): the SHA-256 over the SHA-256 of each matching file in the workspace (files
    in path order), '' when nothing matches. Patterns are globs relative to the workspace,
    one per line; `!pattern` excludes and the last matching pattern wins; a pattern that
    matches a folder matches every file under it (as @actions/glob)."""
    root = workspace.resolve()
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for line in "\n".join(patterns).splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        negate = text.startswith("!")
        text = text.lstrip("!").strip()
        if text.startswith("/"):
            try:
                text = Path(text).relative_to(root).as_posix()
            except ValueError:
                continue
        while text.startswith("./"):
            text = text[2:]
        rules.append((not negate, _glob_regex(text.rstrip("/"))))
    matched: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            prefixes = [relative]
            parts = relative.split("/")
            prefixes += ["/".join(parts[:k]) for k in range(1, len(parts))]
            included = False
            for include, regex in rules:
                if any(regex.fullmatch(prefix) for prefix in prefixes):
                    included = include
            if included:
                matched.append(path)
    if not matched:
        return ""
    total = hashlib.sha256()
    for path in sorted(matched, key=lambda p: p.relative_to(root).as_posix()):
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def _template_parts(text: str) -> list[tuple[bool, str]]:
    """Split a string into literal text and `${{ }}` expressions; a `}}` inside a quoted string
    literal does not close the expression."""
    parts: list[tuple[bool, str]] = []
    i = 0
    while True:
        start = text.find("${{", i)
        if start < 0:
            if i < len(text):
                parts.append((False, text[i:]))
            return parts
        if start > i:
            parts.append((False, text[i:start]))
        j, in_string = start + 3, False
        while j < len(text):
            char = text[j]
            if in_string:
                if char == "'":
                    if text[j + 1 : j + 2] == "'":
                        j += 2
                        continue
                    in_string = False
            elif char == "'":
                in_string = True
            elif text.startswith("}}", j):
                break
            j += 1
        else:
            raise ExpressionError(
                f"unclosed expression: no '}}}}' after {text[start : start + 60]!r}"
            )
        parts.append((True, text[start + 3 : j]))
        i = j + 2


def evaluate_expression(
    expression: str,
    contexts: Mapping[str, Any] | None = None,
    *,
    workspace: Path | None = None,
    job_failed: bool = False,
    allow_status: bool = True,
) -> Any:
    """Evaluate one expression (the text inside `${{ }}`) and return its value: None, bool,
    a number (float or int), str, list or dict. Only the named contexts given are known; any
    other named value raises ExpressionError (a ValueError), like GitHub's
    "Unrecognized named-value"."""
    contexts = contexts or {}
    node = _parse(expression, frozenset(k.lower() for k in contexts), allow_status)
    value = _evaluate(node, _EvalState(contexts, workspace, job_failed, expression))
    return list(value) if isinstance(value, _Filtered) else value


def evaluate_template(
    text: str,
    contexts: Mapping[str, Any] | None = None,
    *,
    workspace: Path | None = None,
    job_failed: bool = False,
    allow_status: bool = False,
) -> Any:
    """Evaluate a YAML value that may hold `${{ }}` expressions. A value that is exactly one
    expression keeps the expression's type; otherwise the pieces are joined as strings."""
    parts = _template_parts(text)
    values = [
        evaluate_expression(
            part,
            contexts,
            workspace=workspace,
            job_failed=job_failed,
            allow_status=allow_status,
        )
        if is_expression
        else part
        for is_expression, part in parts
    ]
    if len(parts) == 1 and parts[0][0]:
        return values[0]
    return "".join(to_string(v) for v in values)


# --------------------------------------------------------------------------------------------
# File commands and workflow commands
# --------------------------------------------------------------------------------------------


def parse_file_commands(text: str) -> list[tuple[str, str]]:
    """Parse a GITHUB_OUTPUT / GITHUB_ENV file as the runner does: `name=value` lines and
    `name<<DELIMITER` ... `DELIMITER` blocks (the value keeps its inner line breaks). Empty
    lines are skipped; anything else raises ValueError, which fails the step on GitHub."""
    lines = text.splitlines(keepends=True)
    result: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        raw = lines[index]
        line = raw.rstrip("\r\n")
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line.split("=", 1)
            if not name:
                raise ValueError(f"invalid file command line {line!r}: empty name")
            result.append((name, value))
        elif heredoc >= 0:
            name, delimiter = line.split("<<", 1)
            if not name or not delimiter:
                raise ValueError(f"invalid file command line {line!r}")
            body: list[str] = []
            while True:
                if index >= len(lines):
                    raise ValueError(
                        f"invalid value for {name!r}: matching delimiter {delimiter!r} not found"
                    )
                candidate = lines[index]
                index += 1
                if candidate.rstrip("\r\n") == delimiter:
                    break
                body.append(candidate)
            value = "".join(body)
            value = value[:-2] if value.endswith("\r\n") else value.removesuffix("\n")
            result.append((name, value))
        else:
            raise ValueError(f"invalid file command line {line!r}")
    return result


@dataclass
class WorkflowCommand:
    """A `::command key=value,...::message` line a step printed."""

    command: str
    properties: dict[str, str]
    message: str


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


_COMMAND_LINE = re.compile(r"^::([A-Za-z0-9_-]+)(?: ([^\n]*?))?::(.*)$")


def parse_workflow_commands(stdout: str) -> list[WorkflowCommand]:
    """Every workflow command (`::error file=a.py,line=3::message`, `::warning::...`,
    `::add-mask::...`) printed at the start of a line, with GitHub's %-escapes decoded. As on
    the runner, lines split at LF and CR, and after `::stop-commands::TOKEN` nothing is a
    command until the line `::TOKEN::` (which is not listed)."""
    commands: list[WorkflowCommand] = []
    stopped: str | None = None
    for line in stdout.splitlines():
        if stopped is not None:
            if line.strip().lower() == f"::{stopped}::".lower():
                stopped = None
            continue
        match = _COMMAND_LINE.match(line.lstrip())
        if match is None:
            continue
        if match.group(1) == "stop-commands" and match.group(3):
            stopped = match.group(3)
        properties: dict[str, str] = {}
        for item in (match.group(2) or "").split(","):
            if "=" in item:
                key, value = item.split("=", 1)
                properties[key.strip()] = _unescape_property(value)
        commands.append(WorkflowCommand(match.group(1), properties, _unescape_data(match.group(3))))
    return commands


# --------------------------------------------------------------------------------------------
# action.yml
# --------------------------------------------------------------------------------------------

_COMMON_STEP_KEYS = frozenset({"name", "id", "if", "env", "continue-on-error"})
_RUN_STEP_KEYS = _COMMON_STEP_KEYS | {"run", "shell", "working-directory"}
_USES_STEP_KEYS = _COMMON_STEP_KEYS | {"uses", "with"}
_STEP_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _action_file(action_dir: Path) -> Path:
    if action_dir.is_file():
        return action_dir
    for name in ("action.yml", "action.yaml"):
        if (action_dir / name).is_file():
            return action_dir / name
    raise FileNotFoundError(f"no action.yml or action.yaml in {action_dir}")


def load_action(action_dir: Path) -> dict[str, Any]:
    """Load and check a composite action's action.yml (or action.yaml). Raises ValueError
    for anything GitHub would refuse to load: another `runs.using`, unknown step keys, a step
    with both or neither of run/uses, a run step without `shell`, bad or duplicate step ids."""
    path = _action_file(action_dir)
    document = YAML(typ="safe").load(path.read_text("utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a mapping")
    runs = document.get("runs")
    if not isinstance(runs, dict):
        raise ValueError(f"{path}: no runs: mapping")
    if str(runs.get("using", "")).lower() != "composite":
        raise ValueError(f"{path}: runs.using is {runs.get('using')!r}, not 'composite'")
    steps = runs.get("steps") or []
    if not isinstance(steps, list):
        raise ValueError(f"{path}: runs.steps is not a list")
    seen: set[str] = set()
    for number, step in enumerate(steps, 1):
        where = f"{path}: step {number}"
        if not isinstance(step, dict):
            raise ValueError(f"{where}: not a mapping")
        if ("run" in step) == ("uses" in step):
            raise ValueError(f"{where}: a step needs exactly one of run: or uses:")
        allowed = _RUN_STEP_KEYS if "run" in step else _USES_STEP_KEYS
        unknown = sorted(set(step) - allowed)
        if unknown:
            raise ValueError(f"{where}: unexpected key(s) {unknown} (allowed: {sorted(allowed)})")
        if "run" in step:
            if "shell" not in step:
                raise ValueError(f"{where}: composite run steps require shell:")
            if step["shell"] != "bash":
                raise ValueError(
                    f"{where}: shell: {step['shell']!r}; the harness runs shell: bash only"
                )
        elif "${{" in str(step["uses"]):
            raise ValueError(f"{where}: uses: cannot contain expressions")
        for key in ("env", "with"):
            if key in step and not isinstance(step[key], dict):
                raise ValueError(f"{where}: {key}: must be a mapping")
        if "id" in step:
            step_id = str(step["id"])
            if not _STEP_ID.fullmatch(step_id):
                raise ValueError(f"{where}: invalid step id {step_id!r}")
            if step_id.lower() in seen:
                raise ValueError(f"{where}: duplicate step id {step_id!r}")
            seen.add(step_id.lower())
    for key in ("inputs", "outputs"):
        value = document.get(key)
        if value is not None and not isinstance(value, dict):
            raise ValueError(f"{path}: {key}: must be a mapping")
    return document


def _scalar(value: Any, where: str) -> str:
    """A YAML scalar as the string GitHub sees (true -> 'true', null -> '')."""
    if isinstance(value, dict | list):
        raise ValueError(f"{where}: expected a string, got {type(value).__name__}")
    return to_string(value) if not isinstance(value, str) else value


def _boolean(value: Any) -> bool:
    """A boolean field (continue-on-error, required): 'true'/'false' strings, as inputs are,
    count as booleans; anything else by truthiness."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return truthy(value)


def _step_label(step: Mapping[str, Any], number: int) -> str:
    return str(step["id"]) if "id" in step else f"step-{number}"


def find_expressions_in_run(action_dir: Path) -> list[str]:
    """Every `${{ ... }}` in the action's run: scripts, as "<step id or step-N>: ${{ ... }}".
    GitHub pastes these into the script text before bash sees it (a script-injection risk);
    a test can assert this list is empty so inputs reach scripts through env: instead."""
    document = load_action(action_dir)
    found: list[str] = []
    for number, step in enumerate(document["runs"].get("steps") or [], 1):
        if "run" not in step:
            continue
        script = _scalar(step["run"], f"step {number} run")
        label = _step_label(step, number)
        try:
            parts = _template_parts(script)
        except ExpressionError:
            found.append(f"{label}: {script[script.find('${{') :].splitlines()[0]}")
            continue
        found.extend(f"{label}: ${{{{{text}}}}}" for is_expr, text in parts if is_expr)
    return found


_EOL_COMMENT = re.compile(r"""^(?:"[^"]*"|'[^']*'|[^\s#]+)\s+#\s*(.*?)\s*$""")


def pinned_uses(action_or_workflow: Path) -> list[tuple[str, str, str | None]]:
    """Every `uses:` in an action.yml (runs.steps) or a workflow (jobs.*.steps and
    jobs.*.uses), as (action, ref, comment): `actions/checkout@<sha> # v4.1.1` gives
    ("actions/checkout", "<sha>", "v4.1.1"). The ref is '' when there is no `@`; the comment
    is the text after `#` on the same line, or None."""
    source = action_or_workflow.read_text("utf-8")
    lines = source.splitlines()
    document = YAML(typ="rt").load(source)
    holders: list[Any] = []
    if isinstance(document, Mapping):
        runs = document.get("runs")
        if isinstance(runs, Mapping):
            holders.extend(runs.get("steps") or [])
        jobs = document.get("jobs")
        if isinstance(jobs, Mapping):
            for job in jobs.values():
                if isinstance(job, Mapping):
                    holders.append(job)
                    holders.extend(job.get("steps") or [])
    result: list[tuple[str, str, str | None]] = []
    for holder in holders:
        if not isinstance(holder, Mapping) or "uses" not in holder:
            continue
        uses = str(holder["uses"])
        action, _, ref = uses.partition("@")
        comment: str | None = None
        line_number, column = getattr(holder, "lc").value("uses")  # noqa: B009
        match = _EOL_COMMENT.match(lines[line_number][column:])
        if match is not None:
            comment = match.group(1)
        result.append((action, ref, comment))
    return result


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


class StepFailure(Exception):
    """Raised by a stand-in to make its `uses:` step fail (with this exit code)."""

    def __init__(self, message: str = "step failed", exit_code: int = 1,
                 outputs: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.outputs = dict(outputs or {})  # set before failing, as an action's setOutput


@dataclass
class UsesCall:
    """A `uses:` step the harness stood in for."""

    uses: str  # e.g. "github/codeql-action/upload-sarif@<sha>"
    with_: dict[str, str]  # its with: inputs, expressions evaluated
    step_id: str | None


@dataclass
class HarnessContext:
    """What a stand-in sees, and how it can act like an action: export variables (GITHUB_ENV),
    add to PATH (GITHUB_PATH), write to the step summary or to the log."""

    workspace: Path
    runner_temp: Path
    env: dict[str, str]  # the environment the step would run with
    github: dict[str, Any] = field(default_factory=dict)
    exported_env: dict[str, str] = field(default_factory=dict)
    added_path: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)

    def export_env(self, name: str, value: str) -> None:
        self.exported_env[name] = value

    def add_path(self, path: str | Path) -> None:
        self.added_path.append(str(path))

    def append_summary(self, markdown: str) -> None:
        self.summary.append(markdown)

    def echo(self, line: str) -> None:
        self.stdout.append(line if line.endswith("\n") else line + "\n")


StandIn = Callable[[UsesCall, HarnessContext], dict[str, str] | None]


@dataclass
class ActionRun:
    outputs: dict[str, str]
    step_outcomes: dict[str, str]  # step id (or "step-N") -> success | failure | skipped
    stdout: str
    stderr: str
    summary: str
    uses_calls: list[UsesCall]
    failed: bool
    exit_code: int
    env_file: dict[str, str]
    path_added: list[str]
    step_conclusions: dict[str, str] = field(default_factory=dict)
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)


_INHERITED_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "STATE_")


def _git_head(workspace: Path) -> str:
    proc = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True, text=True, check=False
    )
    sha = proc.stdout.strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else "0" * 40


def _default_ref(event_name: str, event: Mapping[str, Any]) -> str:
    number = event.get("number") or (event.get("pull_request") or {}).get("number")
    if event_name.startswith("pull_request") and number:
        return f"refs/pull/{number}/merge"
    ref = event.get("ref")
    return ref if isinstance(ref, str) and ref.startswith("refs/") else "refs/heads/main"


def _ref_name(ref: str) -> tuple[str, str]:
    for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
        if ref.startswith(prefix):
            return ref[len(prefix) :], kind
    if ref.startswith("refs/pull/"):
        return ref[len("refs/pull/") :], "branch"
    return ref, "branch"


class _Runner:
    def __init__(
        self,
        action_dir: Path,
        *,
        inputs: Mapping[str, str],
        workspace: Path,
        event_name: str,
        event: dict[str, Any],
        runner_temp: Path,
        env: Mapping[str, str] | None,
        stand_ins: Mapping[str, StandIn] | None,
        repository: str,
        sha: str | None,
        ref: str | None,
        timeout: float,
        step_id: str | None = None,
    ) -> None:
        self.action_file = _action_file(action_dir).resolve()
        self.action_dir = self.action_file.parent
        # GITHUB_ACTION and github.action in every step of a composite action: the calling
        # step's id, or the name the runner makes for a step without one (__<owner>_<repo>,
        # with _2, _3, ... for later uses in the job; here __<the action's folder>)
        self.step_name = step_id or "__" + re.sub(r"[^A-Za-z0-9_]", "_", self.action_dir.name)
        self.document = load_action(self.action_file)
        self.workspace = workspace.resolve()
        if not self.workspace.is_dir():
            raise ValueError(f"workspace {workspace} is not a folder")
        self.runner_temp = runner_temp.resolve()
        self.runner_temp.mkdir(parents=True, exist_ok=True)
        self.stand_ins = dict(stand_ins or {})
        self.deadline = time.monotonic() + timeout
        self.workflow_env = dict(env or {})

        event_path = self.runner_temp / "_github_workflow" / "event.json"
        event_path.parent.mkdir(parents=True, exist_ok=True)
        event_path.write_text(json.dumps(event, indent=2), "utf-8")
        self.commands_dir = self.runner_temp / "_runner_file_commands"
        self.commands_dir.mkdir(parents=True, exist_ok=True)

        sha = sha or _git_head(self.workspace)
        ref = ref or _default_ref(event_name, event)
        ref_name, ref_type = _ref_name(ref)
        pull = event.get("pull_request") if event_name.startswith("pull_request") else None
        base_ref = str(((pull or {}).get("base") or {}).get("ref") or "")
        head_ref = str(((pull or {}).get("head") or {}).get("ref") or "")
        actor = str((event.get("sender") or {}).get("login") or "octocat")
        owner = repository.split("/", 1)[0]
        self.github: dict[str, Any] = {
            "event_name": event_name,
            "event": event,
            "event_path": str(event_path),
            "repository": repository,
            "repository_owner": owner,
            "sha": sha,
            "ref": ref,
            "ref_name": ref_name,
            "ref_type": ref_type,
            "base_ref": base_ref,
            "head_ref": head_ref,
            "workspace": str(self.workspace),
            "action_path": str(self.action_dir),
            "action": self.step_name,
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
            "graphql_url": "https://api.github.com/graphql",
            "token": DUMMY_TOKEN,
            "run_id": "1000001",
            "run_number": "1",
            "run_attempt": "1",
            "actor": actor,
            "triggering_actor": actor,
            "workflow": "harness",
            "job": "harness",
            "retention_days": "90",
        }
        self.runner: dict[str, Any] = {
            "os": "Linux",
            "arch": "X64",
            "name": "harness",
            "temp": str(self.runner_temp),
            "environment": "github-hosted",
            "debug": "",
        }
        base = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
        base.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_EVENT_NAME": event_name,
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_REPOSITORY": repository,
                "GITHUB_REPOSITORY_OWNER": owner,
                "GITHUB_SHA": sha,
                "GITHUB_REF": ref,
                "GITHUB_REF_NAME": ref_name,
                "GITHUB_REF_TYPE": ref_type,
                "GITHUB_BASE_REF": base_ref,
                "GITHUB_HEAD_REF": head_ref,
                "GITHUB_ACTOR": actor,
                "GITHUB_TRIGGERING_ACTOR": actor,
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_API_URL": "https://api.github.com",
                "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
                "GITHUB_RUN_ID": "1000001",
                "GITHUB_RUN_NUMBER": "1",
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_WORKFLOW": "harness",
                "GITHUB_JOB": "harness",
                "GITHUB_ACTION_PATH": str(self.action_dir),
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                "RUNNER_NAME": "harness",
                "RUNNER_ENVIRONMENT": "github-hosted",
                "RUNNER_TEMP": str(self.runner_temp),
            }
        )
        base.update(self.workflow_env)
        self.base_env = base
        self.inputs = self._inputs(inputs)

        self.github_env: dict[str, str] = {}
        self.prepend_path: list[str] = []
        self.path_added: list[str] = []
        self.steps_context: dict[str, Any] = {}
        self.outcomes: dict[str, str] = {}
        self.conclusions: dict[str, str] = {}
        self.step_outputs: dict[str, dict[str, str]] = {}
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.summary: list[str] = []
        self.uses_calls: list[UsesCall] = []
        self.job_failed = False
        self.exit_code = 0

    # -- contexts -----------------------------------------------------------------------------

    def _contexts(self, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {
            "github": self.github,
            "inputs": self.inputs,
            "runner": self.runner,
            "env": dict(env) if env is not None else self._env_context(),
            "steps": self.steps_context,
            "job": {"status": "failure" if self.job_failed else "success"},
            "strategy": {},
            "matrix": {},
        }

    def _env_context(self) -> dict[str, str]:
        return {**self.workflow_env, **self.github_env}

    def _template(self, value: Any, contexts: Mapping[str, Any], where: str) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return evaluate_template(value, contexts, workspace=self.workspace)
        except ExpressionError as exc:
            raise ExpressionError(f"{where}: {exc}") from exc

    def _string(self, value: Any, contexts: Mapping[str, Any], where: str) -> str:
        return to_string(self._template(_scalar(value, where), contexts, where))

    def _inputs(self, given: Mapping[str, str]) -> dict[str, str]:
        declared = self.document.get("inputs") or {}
        by_fold = {str(name).lower(): str(name) for name in declared}
        unknown = sorted(name for name in given if name.lower() not in by_fold)
        if unknown:
            raise ValueError(
                f"unknown input(s) {unknown} for {self.action_file} "
                f"(declared: {sorted(map(str, declared))})"
            )
        default_contexts = {
            "github": self.github,
            "runner": self.runner,
            "job": {"status": "success"},
            "strategy": {},
            "matrix": {},
        }
        values: dict[str, str] = {}
        given_by_fold = {name.lower(): value for name, value in given.items()}
        for name, spec in declared.items():
            spec = spec if isinstance(spec, dict) else {}
            key = str(name)
            if key.lower() in given_by_fold:
                values[key] = _scalar(given_by_fold[key.lower()], f"input {key}")
            elif "default" in spec:
                values[key] = self._string(spec["default"], default_contexts, f"input {key}")
            elif _boolean(self._template(spec.get("required", False), default_contexts, key)):
                raise ValueError(f"required input {key!r} of {self.action_file} has no value")
            else:
                values[key] = ""
        return values

    # -- steps -----------------------------------------------------------------------------------

    def _should_run(self, step: Mapping[str, Any], label: str) -> bool:
        condition = step.get("if")
        contexts = self._contexts()
        where = f"step {label} if:"
        if condition is None or (isinstance(condition, str) and not condition.strip()):
            return not self.job_failed
        # `if: false` and `if: 0` arrive as YAML booleans and numbers.
        text = condition.strip() if isinstance(condition, str) else to_string(condition)
        parts = _template_parts(text)
        if len(parts) == 1 and parts[0][0]:
            text = parts[0][1]  # `if: ${{ expr }}` is the same as `if: expr`
        elif any(is_expr for is_expr, _ in parts):
            # A condition with text around ${{ }} is a string: truthy unless empty.
            value = self._template(text, contexts, where)
            return (not self.job_failed) and truthy(value)
        try:
            node = _parse(text, frozenset(contexts), allow_status=True)
            if not _uses_status_function(node):
                node = _Binary("&&", _Call("success", ()), node)
            state = _EvalState(contexts, self.workspace, self.job_failed, text)
            return truthy(_evaluate(node, state))
        except ExpressionError as exc:
            raise ExpressionError(f"{where} {exc}") from exc

    def _remaining(self, label: str) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the action ran out of time before step {label}")
        return remaining

    def run(self) -> ActionRun:
        steps = self.document["runs"].get("steps") or []
        for number, step in enumerate(steps, 1):
            label = _step_label(step, number)
            self._remaining(label)
            if not self._should_run(step, label):
                self._record(step, label, "skipped", "skipped", {})
                continue
            contexts = self._contexts()
            step_env = {
                str(k): self._string(v, contexts, f"step {label} env.{k}")
                for k, v in (step.get("env") or {}).items()
            }
            contexts = self._contexts({**self._env_context(), **step_env})
            if "name" in step:
                self._string(step["name"], contexts, f"step {label} name")
            continue_on_error = _boolean(
                self._template(step.get("continue-on-error", False), contexts, label)
            )
            process_env = {**self.base_env, **self.github_env, **step_env}
            if self.prepend_path:
                process_env["PATH"] = os.pathsep.join(
                    [*reversed(self.prepend_path), process_env.get("PATH", "")]
                )
            process_env["GITHUB_ACTION"] = self.step_name
            if "run" in step:
                code, outputs = self._run_step(step, label, contexts, process_env)
            else:
                code, outputs = self._uses_step(step, label, contexts, process_env)
            if code == 0:
                self._record(step, label, "success", "success", outputs)
            elif continue_on_error:
                self._record(step, label, "failure", "success", outputs)
            else:
                self._record(step, label, "failure", "failure", outputs)
                if not self.job_failed:
                    self.exit_code = code
                self.job_failed = True
        contexts = self._contexts()
        action_outputs: dict[str, str] = {}
        for name, spec in (self.document.get("outputs") or {}).items():
            value = spec.get("value", "") if isinstance(spec, dict) else ""
            action_outputs[str(name)] = self._string(value, contexts, f"output {name}")
        return ActionRun(
            outputs=action_outputs,
            step_outcomes=self.outcomes,
            stdout="".join(self.stdout),
            stderr="".join(self.stderr),
            summary="".join(self.summary),
            uses_calls=self.uses_calls,
            failed=self.job_failed,
            exit_code=self.exit_code,
            env_file=dict(self.github_env),
            path_added=list(self.path_added),
            step_conclusions=self.conclusions,
            step_outputs=self.step_outputs,
        )

    def _record(
        self,
        step: Mapping[str, Any],
        label: str,
        outcome: str,
        conclusion: str,
        outputs: dict[str, str],
    ) -> None:
        self.outcomes[label] = outcome
        self.conclusions[label] = conclusion
        self.step_outputs[label] = outputs
        if "id" in step:
            self.steps_context[str(step["id"])] = {
                "outputs": outputs,
                "outcome": outcome,
                "conclusion": conclusion,
            }

    def _apply_env(self, values: Mapping[str, str]) -> None:
        self.github_env.update(values)

    def _apply_path(self, entries: list[str]) -> None:
        for entry in entries:
            self.path_added.append(entry)
            if entry in self.prepend_path:
                self.prepend_path.remove(entry)
            self.prepend_path.append(entry)

    def _run_step(
        self,
        step: Mapping[str, Any],
        label: str,
        contexts: Mapping[str, Any],
        env: dict[str, str],
    ) -> tuple[int, dict[str, str]]:
        script = self._string(step["run"], contexts, f"step {label} run")
        cwd = self.workspace
        if "working-directory" in step:
            folder = self._string(step["working-directory"], contexts, f"step {label} wd")
            cwd = self.workspace / folder if folder else self.workspace
        suffix = uuid.uuid4().hex
        files = {
            name: self.commands_dir / f"{prefix}_{suffix}"
            for name, prefix in (
                ("GITHUB_OUTPUT", "set_output"),
                ("GITHUB_ENV", "set_env"),
                ("GITHUB_PATH", "add_path"),
                ("GITHUB_STEP_SUMMARY", "step_summary"),
                ("GITHUB_STATE", "save_state"),
            )
        }
        for name, path in files.items():
            path.write_bytes(b"")
            env[name] = str(path)
        if not cwd.is_dir():
            self.stderr.append(
                f"step {label}: working directory {cwd} does not exist (the runner fails the "
                "step before starting bash)\n"
            )
            return 1, {}
        script_path = self.runner_temp / f"{suffix}.sh"
        script_path.write_text(script, "utf-8")
        bash = shutil.which("bash", path=env.get("PATH")) or "/bin/bash"
        argv = [bash, "--noprofile", "--norc", "-eo", "pipefail", str(script_path)]
        try:
            code, out, err = _run_process(argv, cwd, env, self._remaining(label))
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(f"step {label} did not finish in time") from exc
        finally:
            script_path.unlink(missing_ok=True)
        self.stdout.append(out)
        self.stderr.append(err)
        return self._collect(files, label, code)

    def _collect(
        self, files: Mapping[str, Path], label: str, code: int
    ) -> tuple[int, dict[str, str]]:
        outputs: dict[str, str] = {}
        try:
            outputs = dict(parse_file_commands(files["GITHUB_OUTPUT"].read_text("utf-8")))
            self._apply_env(dict(parse_file_commands(files["GITHUB_ENV"].read_text("utf-8"))))
        except ValueError as exc:
            self.stderr.append(f"step {label}: {exc}\n")
            code = code or 1
        paths = files["GITHUB_PATH"].read_text("utf-8").splitlines()
        self._apply_path([line.strip() for line in paths if line.strip()])
        self.summary.append(files["GITHUB_STEP_SUMMARY"].read_text("utf-8"))
        return code, outputs

    def _uses_step(
        self,
        step: Mapping[str, Any],
        label: str,
        contexts: Mapping[str, Any],
        env: dict[str, str],
    ) -> tuple[int, dict[str, str]]:
        uses = str(step["uses"])
        with_ = {
            str(k): self._string(v, contexts, f"step {label} with.{k}")
            for k, v in (step.get("with") or {}).items()
        }
        call = UsesCall(uses, with_, str(step["id"]) if "id" in step else None)
        stand_in = _find_stand_in(uses, self.stand_ins)
        context = HarnessContext(
            workspace=self.workspace,
            runner_temp=self.runner_temp,
            env=dict(env),
            github=dict(self.github),
        )
        self.uses_calls.append(call)
        code = 0
        outputs: dict[str, str] = {}
        try:
            returned = stand_in(call, context)
            outputs = {str(k): to_string(v) for k, v in (returned or {}).items()}
        except StepFailure as exc:
            code = exc.exit_code or 1
            outputs = {str(k): to_string(v) for k, v in exc.outputs.items()}
            self.stderr.append(f"{uses}: {exc}\n")
        self.stdout.extend(context.stdout)
        self._apply_env(context.exported_env)
        self._apply_path(context.added_path)
        self.summary.extend(context.summary)
        return code, outputs


def _find_stand_in(uses: str, stand_ins: Mapping[str, StandIn]) -> StandIn:
    name = uses.split("@", 1)[0].lower()
    best: str | None = None
    for key in stand_ins:
        folded = key.rstrip("/").lower()
        matches = folded in (uses.lower(), name) or name.startswith(folded + "/")
        if matches and (best is None or len(key) > len(best)):
            best = key
    if best is None:
        action = uses.split("@", 1)[0]
        raise KeyError(
            f"no stand-in for uses: {uses}; pass stand_ins={{{action!r}: ...}} to run_action"
        )
    return stand_ins[best]


def _run_process(
    argv: list[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int, str, str]:
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    code = proc.returncode
    if code < 0:
        code = 128 - code  # killed by a signal: report it as bash would
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def run_action(
    action_dir: Path,
    *,
    inputs: dict[str, str],
    workspace: Path,
    event_name: str,
    event: dict[str, Any],
    runner_temp: Path,
    env: dict[str, str] | None = None,
    stand_ins: Mapping[str, StandIn] | None = None,
    repository: str = "octo/app",
    sha: str | None = None,
    ref: str | None = None,
    timeout: float = 900,
    step_id: str | None = None,
) -> ActionRun:
    """Run the composite action in `action_dir` (its action.yml) as a job step would.

    `env` plays the workflow/job/step `env:` of the calling step: it is in the `env` context
    and in every step's environment. `stand_ins` maps an action name (the `uses:` without
    `@ref`; the longest `owner/repo[/path]` prefix wins) to a callable that receives the
    UsesCall and a HarnessContext and returns the step's outputs; raising StepFailure fails
    the step (its `outputs` are the step's outputs still). A `uses:` without a stand-in
    raises KeyError when the step runs. `step_id` is the calling step's id: GITHUB_ACTION
    and github.action in every step of the action, as on the runner (default: a generated
    name, `__` and the action's folder name).

    Raises ValueError for unknown or missing required inputs and for action.yml problems
    (ExpressionError, a ValueError, for expressions), TimeoutError past `timeout` seconds."""
    return _Runner(
        action_dir,
        inputs=inputs,
        workspace=workspace,
        event_name=event_name,
        event=event,
        runner_temp=runner_temp,
        env=env,
        stand_ins=stand_ins,
        repository=repository,
        sha=sha,
        ref=ref,
        timeout=timeout,
        step_id=step_id,
    ).run()

"""Tests for hullscan.dockerfile.parser."""

from __future__ import annotations

import random

import pytest

from hullscan.dockerfile.parser import Dockerfile, Instruction, parse, substitute, syntax_errors


def _only(df: Dockerfile, keyword: str) -> Instruction:
    found = [ins for ins in df.instructions if ins.keyword == keyword]
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------------------- basics


def test_simple_file_lines_keywords_and_args() -> None:
    df = parse(
        "# a comment\n"
        "\n"
        "from python:3.12 as base\n"
        "  run   echo hi  \n"
        "\n"
        "# another\n"
        'CMD ["python", "-m", "app"]\n'
    )
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "CMD"]
    frm, run, cmd = df.instructions
    assert (frm.start_line, frm.end_line, frm.args) == (3, 3, "python:3.12 as base")
    assert (run.start_line, run.end_line, run.args) == (4, 4, "echo hi")
    assert run.original == "  run   echo hi  "
    assert cmd.start_line == 7
    assert cmd.exec_form() == ["python", "-m", "app"]
    assert run.exec_form() is None
    assert df.escape == "\\"
    assert df.directives == {}
    assert df.final_stage is not None and df.final_stage.name == "base"


def test_exec_form_rejects_non_string_arrays() -> None:
    df = parse('CMD ["a", 1]\nENTRYPOINT [not json\nRUN ' + "[" * 5000 + "\n")
    assert [i.exec_form() for i in df.instructions] == [None, None, None]


def test_unknown_lines_are_kept_as_instructions() -> None:
    df = parse("FROM x\nfoo bar baz\n???\n")
    assert [(i.keyword, i.args, i.start_line) for i in df.instructions] == [
        ("FROM", "x", 1),
        ("FOO", "bar baz", 2),
        ("???", "", 3),
    ]


def test_instructions_before_first_from_have_stage_minus_one() -> None:
    df = parse("ARG V=1\nFROM a\nRUN x\nFROM b\nRUN y\n")
    assert [i.stage for i in df.instructions] == [-1, 0, 0, 1, 1]
    assert [i.args for i in df.stage_instructions(1)] == ["b", "y"]
    assert [i.keyword for i in df.stage_instructions(-1)] == ["ARG"]
    assert df.stage_instructions(7) == ()


def test_empty_file() -> None:
    df = parse("")
    assert df.instructions == ()
    assert df.stages == ()
    assert df.final_stage is None


# ---------------------------------------------------------------------------- directives


def test_escape_directive_backtick() -> None:
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore\n"
        "RUN dir c:\\ `\n"
        "    && echo done\n"
        "COPY a.txt c:\\app\\\n"
        "WORKDIR c:\\app\n"
    )
    df = parse(text)
    assert df.escape == "`"
    assert df.directives == {"escape": "`"}
    run = _only(df, "RUN")
    assert run.args == "dir c:\\ && echo done"
    assert (run.start_line, run.end_line) == (3, 4)
    copy = _only(df, "COPY")
    # A trailing backslash is not a continuation when the escape is a backtick.
    assert (copy.start_line, copy.end_line) == (5, 5)
    assert copy.args == "a.txt c:\\app\\"
    assert _only(df, "WORKDIR").start_line == 6


def test_directives_case_and_whitespace() -> None:
    df = parse("#  SYNTAX = docker/dockerfile:1.7\n#Escape=`\n# check=skip=all\nFROM a\n")
    assert df.directives == {
        "syntax": "docker/dockerfile:1.7",
        "escape": "`",
        "check": "skip=all",
    }
    assert df.escape == "`"


@pytest.mark.parametrize(
    "text",
    [
        "# hello\n# escape=`\nFROM a\n",  # comment first
        "\n# escape=`\nFROM a\n",  # blank line first
        "FROM a\n# escape=`\n",  # instruction first
        "# escape=\\\n# escape=`\nFROM a\n",  # repeated directive
        "# unknown=1\n# escape=`\nFROM a\n",  # unknown directive is a comment
    ],
)
def test_escape_directive_only_at_top(text: str) -> None:
    assert parse(text).escape == "\\"


def test_invalid_escape_value_keeps_backslash() -> None:
    df = parse("# escape=x\nRUN a \\\n b\n")
    assert df.escape == "\\"
    assert _only(df, "RUN").args == "a b"


# ---------------------------------------------------------------------------- lines


def test_bom_and_crlf() -> None:
    df = parse("\ufeff# escape=`\r\nFROM a\r\nRUN one `\r\n  two\r\n")
    assert df.escape == "`"
    run = _only(df, "RUN")
    assert run.args == "one two"
    assert (run.start_line, run.end_line) == (3, 4)
    assert run.original == "RUN one `\n  two"
    assert "\r" not in _only(df, "FROM").args


def test_continuation_with_comments_and_blank_lines() -> None:
    text = (
        "FROM a\n"
        "RUN apt-get update && \\\n"
        "    # install things\n"
        "\n"
        "    apt-get install -y curl \\   \n"
        "  # trailing comment\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "USER app\n"
    )
    df = parse(text)
    run = _only(df, "RUN")
    assert run.args == "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*"
    assert (run.start_line, run.end_line) == (2, 7)
    assert run.original.splitlines()[0] == "RUN apt-get update && \\"
    assert len(run.original.split("\n")) == 6
    assert _only(df, "USER").start_line == 8


def test_continuation_at_eof() -> None:
    df = parse("FROM a\nRUN echo \\\n")
    run = _only(df, "RUN")
    assert run.args == "echo"
    assert (run.start_line, run.end_line) == (2, 2)
    df = parse("FROM a\nRUN echo \\\n# only a comment\n\n")
    run = _only(df, "RUN")
    assert (run.start_line, run.end_line, run.args) == (2, 2, "echo")


def test_keyword_split_across_continuation() -> None:
    df = parse("RUN \\\n  echo hi\n")
    assert _only(df, "RUN").args == "echo hi"


# ---------------------------------------------------------------------------- flags


def test_flags() -> None:
    text = (
        "FROM --platform=linux/amd64 golang:1.22 AS Builder\n"
        "RUN --mount=type=cache,target=/root/.cache --network=none go build ./...\n"
        'COPY --from=builder --chown="app user" --link /out /app\n'
        "ADD --checksum=sha256:abc --CHMOD=755 https://x/y /y\n"
        "HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/\n"
        "ENV --notaflag=1\n"
    )
    df = parse(text)
    frm = _only(df, "FROM")
    assert frm.flags == (("platform", "linux/amd64"),)
    assert frm.args == "golang:1.22 AS Builder"
    run = _only(df, "RUN")
    assert run.flags == (("mount", "type=cache,target=/root/.cache"), ("network", "none"))
    assert run.args == "go build ./..."
    copy = _only(df, "COPY")
    assert copy.flags == (("from", "builder"), ("chown", "app user"), ("link", None))
    assert copy.flag("from") == "builder"
    assert copy.flag("link") == ""
    assert copy.flag("chmod") is None
    assert copy.args == "/out /app"
    add = _only(df, "ADD")
    assert add.flag("chmod") == "755"
    assert add.flag("checksum") == "sha256:abc"
    hc = _only(df, "HEALTHCHECK")
    assert hc.flag("interval") == "30s"
    assert hc.args == "CMD curl -f http://localhost/"
    env = _only(df, "ENV")
    assert env.flags == ()
    assert env.args == "--notaflag=1"


def test_flag_last_one_wins_and_double_dash_ends_flags() -> None:
    df = parse("RUN --network=a --network=b -- --not-a-flag\n")
    run = _only(df, "RUN")
    assert run.flag("network") == "b"
    assert run.args == "--not-a-flag"


def test_flags_across_continuation() -> None:
    df = parse("COPY \\\n  --from=build \\\n  /src /dst\n")
    copy = _only(df, "COPY")
    assert copy.flags == (("from", "build"),)
    assert copy.args == "/src /dst"
    assert copy.end_line == 3


# ---------------------------------------------------------------------------- heredocs


def test_run_heredoc() -> None:
    text = "FROM a\nRUN <<EOF\napt-get update\napt-get install -y x\nEOF\nUSER app\n"
    df = parse(text)
    run = _only(df, "RUN")
    assert (run.start_line, run.end_line) == (2, 5)
    assert run.args == "<<EOF"
    (doc,) = run.heredocs
    assert doc.delimiter == "EOF"
    assert doc.content == "apt-get update\napt-get install -y x"
    assert doc.start_line == 3
    assert not doc.strip_tabs and not doc.quoted
    assert run.original == "RUN <<EOF\napt-get update\napt-get install -y x\nEOF"
    assert _only(df, "USER").start_line == 6


def test_multiple_heredocs_quoted_and_dash() -> None:
    text = "COPY <<A <<-'B' <<\"C\" /dest/\nfirst\nA\n\t\tsecond\n\tB\n  third $HOME\nC\nRUN true\n"
    df = parse(text)
    copy = _only(df, "COPY")
    docs = [(d.delimiter, d.content, d.start_line, d.strip_tabs, d.quoted) for d in copy.heredocs]
    assert docs == [
        ("A", "first", 2, False, False),
        ("B", "second", 4, True, True),
        ("C", "  third $HOME", 6, False, True),
    ]
    assert (copy.start_line, copy.end_line) == (1, 7)
    assert _only(df, "RUN").start_line == 8


def test_run_with_two_heredocs_each_body_on_its_lines() -> None:
    df = parse("FROM a\nRUN <<A <<B\necho a\nA\necho b1\necho b2\nB\nUSER app\n")
    run = _only(df, "RUN")
    assert (run.start_line, run.end_line, run.args) == (2, 7, "<<A <<B")
    assert [(h.delimiter, h.start_line, h.content, h.terminated) for h in run.heredocs] == [
        ("A", 3, "echo a", True),
        ("B", 5, "echo b1\necho b2", True),
    ]
    assert [(i.keyword, i.start_line) for i in df.instructions] == [
        ("FROM", 1), ("RUN", 2), ("USER", 8)]
    assert syntax_errors(df) == []


def test_copy_with_two_heredocs_and_destinations() -> None:
    df = parse("FROM a\nCOPY <<A /a <<-B /b\naa\nA\n\tbb\n\tB\nRUN <<C cat > /c && <<D cat > /d\n"
               "c\nC\n\nD\nUSER app\n")
    copy = _only(df, "COPY")
    assert (copy.start_line, copy.end_line, copy.args) == (2, 6, "<<A /a <<-B /b")
    assert [(h.delimiter, h.start_line, h.content, h.strip_tabs) for h in copy.heredocs] == [
        ("A", 3, "aa", False),
        ("B", 5, "bb", True),
    ]
    run = _only(df, "RUN")
    assert (run.start_line, run.end_line) == (7, 11)
    assert [(h.delimiter, h.start_line, h.content) for h in run.heredocs] == [
        ("C", 8, "c"),
        ("D", 10, ""),
    ]
    assert _only(df, "USER").start_line == 12
    assert syntax_errors(df) == []


def test_second_heredoc_never_closed() -> None:
    df = parse("FROM a\nRUN <<A <<B\na\nA\nb\n")
    run = _only(df, "RUN")
    assert [(h.delimiter, h.start_line, h.terminated) for h in run.heredocs] == [
        ("A", 3, True), ("B", 5, False)]
    assert syntax_errors(df) == [(5, "heredoc B is never closed")]


def test_heredoc_with_redirect_and_lines_inside_body_that_look_like_instructions() -> None:
    df = parse("RUN cat <<EOF > /etc/conf\nFROM evil\n# not a comment\n\nEOF\nFROM ok\n")
    run = df.instructions[0]
    assert run.heredocs[0].content == "FROM evil\n# not a comment\n"
    assert [s.image for s in df.stages] == ["ok"]


def test_heredoc_after_continuation() -> None:
    df = parse("RUN \\\n  python3 <<PY\nprint(1)\nPY\nUSER x\n")
    run = _only(df, "RUN")
    assert run.heredocs[0].start_line == 3
    assert run.heredocs[0].content == "print(1)"
    assert (run.start_line, run.end_line) == (1, 4)


def test_unterminated_heredoc_runs_to_eof() -> None:
    df = parse("FROM a\nRUN <<EOF\nline1\nline2\n")
    run = _only(df, "RUN")
    assert run.heredocs[0].content == "line1\nline2"
    assert (run.start_line, run.end_line) == (2, 4)
    df = parse("RUN <<EOF")
    run = _only(df, "RUN")
    assert run.heredocs[0].content == ""
    assert run.end_line == 1


def test_delimiter_must_match_exactly() -> None:
    df = parse("RUN <<EOF\n  EOF\nEOF \n\tEOF\nEOF\n")
    assert df.instructions[0].heredocs[0].content == "  EOF\nEOF \n\tEOF"


@pytest.mark.parametrize(
    "line",
    [
        "RUN echo $((1<<2))",
        'RUN echo "a<<b"',
        "RUN echo 'x <<EOF'",
        "RUN cat <<<word",
        'RUN ["sh", "-c", "cat <<EOF"]',
        "RUN echo \\<<EOF",
    ],
)
def test_not_heredocs(line: str) -> None:
    df = parse(line + "\nUSER x\n")
    assert df.instructions[0].heredocs == ()
    assert [i.keyword for i in df.instructions] == ["RUN", "USER"]


# ---------------------------------------------------------------------------- stages & args


def test_multi_stage_from_stage() -> None:
    text = (
        "FROM golang:1.22 AS Build\n"
        "RUN go build\n"
        "FROM build AS test\n"
        "FROM --platform=$BUILDPLATFORM scratch\n"
        "FROM BUILD\n"
        "COPY --from=build /x /x\n"
    )
    df = parse(text)
    assert [(s.index, s.name, s.image, s.from_stage, s.line) for s in df.stages] == [
        (0, "build", "golang:1.22", None, 1),
        (1, "test", "build", 0, 3),
        (2, None, "scratch", None, 4),
        (3, None, "BUILD", 0, 5),
    ]
    assert df.stages[2].platform == "$BUILDPLATFORM"
    assert df.stages[0].platform is None
    assert df.final_stage is df.stages[3]
    assert df.instructions[-1].stage == 3


def test_from_stage_not_set_for_later_or_same_stage() -> None:
    df = parse("FROM later\nFROM x AS later\nFROM self AS self\n")
    assert [s.from_stage for s in df.stages] == [None, None, None]


def test_global_args_and_from_resolution() -> None:
    text = (
        "ARG REGISTRY=ghcr.io\n"
        'ARG IMAGE="myorg/app" TAG=1.0\n'
        "ARG NODEFAULT\n"
        "ARG FULL=${REGISTRY}/${IMAGE}\n"
        "FROM ${REGISTRY}/${IMAGE}:${TAG} AS one\n"
        "FROM $FULL:latest\n"
        "FROM python:${NODEFAULT}\n"
        "FROM python:${NODEFAULT:-3.12}\n"
        "FROM python:$UNDECLARED\n"
        "ARG LATE=1\n"
        "FROM python:$LATE\n"
        "FROM one\n"
    )
    df = parse(text)
    assert df.global_args == {
        "REGISTRY": "ghcr.io",
        "IMAGE": "myorg/app",
        "TAG": "1.0",
        "NODEFAULT": None,
        "FULL": "${REGISTRY}/${IMAGE}",
    }
    assert [s.resolved_image for s in df.stages] == [
        "ghcr.io/myorg/app:1.0",
        "ghcr.io/myorg/app:latest",
        None,
        "python:3.12",
        None,
        None,  # ARG after the first FROM is not a global arg
        "one",
    ]
    assert df.stages[0].image == "${REGISTRY}/${IMAGE}:${TAG}"
    assert df.stages[-1].from_stage == 0


def test_from_variable_naming_a_stage() -> None:
    df = parse("ARG BASE=builder\nFROM alpine AS builder\nFROM $BASE\n")
    assert df.stages[1].resolved_image == "builder"
    assert df.stages[1].from_stage == 0


def test_from_without_image() -> None:
    df = parse("FROM\nFROM   \n")
    assert [(s.image, s.resolved_image, s.name) for s in df.stages] == [
        ("", None, None),
        ("", None, None),
    ]


# ---------------------------------------------------------------------------- substitute


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("plain", {}, ("plain", True)),
        ("$A", {"A": "1"}, ("1", True)),
        ("${A}x", {"A": "1"}, ("1x", True)),
        ("$Ax", {"A": "1"}, ("", False)),
        ("$A-$B", {"A": "1", "B": "2"}, ("1-2", True)),
        ("${A:-d}", {}, ("d", True)),
        ("${A:-d}", {"A": None}, ("d", True)),
        ("${A:-d}", {"A": ""}, ("d", True)),
        ("${A:-d}", {"A": "v"}, ("v", True)),
        ("${A-d}", {"A": ""}, ("", True)),
        ("${A-d}", {}, ("d", True)),
        ("${A:+alt}", {"A": "v"}, ("alt", True)),
        ("${A:+alt}", {"A": ""}, ("", True)),
        ("${A+alt}", {"A": ""}, ("alt", True)),
        ("${A:+alt}", {}, ("", False)),
        ("${A:-${B}}", {"B": "b"}, ("b", True)),
        ("${A:-${B}}", {}, ("", False)),
        ("\\$A", {}, ("$A", True)),
        ("cost: $5 and $", {}, ("cost: $5 and $", True)),
        ("$A", {"A": None}, ("", False)),
        ("x${A", {"A": "1"}, ("x${A", False)),
        ("${A:-unterminated", {}, ("${A:-unterminated", False)),
        ("${}", {}, ("${}", False)),
        ("${A:?err}", {"A": "v"}, ("v", False)),
    ],
)
def test_substitute(text: str, env: dict[str, str | None], expected: tuple[str, bool]) -> None:
    assert substitute(text, env) == expected


# ---------------------------------------------------------------------------- robustness


def test_random_input_never_raises() -> None:
    rng = random.Random(20240601)
    words = ["RUN", "FROM", "COPY", "ARG", "AS", "--from=", "<<EOF", "<<-'X'", "EOF", "X"]
    symbols = ["${A:-}", "$", "{", "}", "[", "]", '"', "'", "\\", "`", "#", "="]
    odd = ["\r\n", "\t", "\x00", "\x7f", "\ufeff", "é", "中", "\udcff", "\U0001f600"]
    lines = ["\n", " ", "escape=`", "# escape=`\n", "\\\n", "`\n"]
    alphabet = words + symbols + odd + lines
    for _ in range(200):
        pieces = [rng.choice(alphabet) for _ in range(rng.randint(0, 60))]
        text = "".join(pieces)
        df = parse(text)
        for ins in df.instructions:
            assert 1 <= ins.start_line <= ins.end_line
            ins.exec_form()
            ins.flag("from")
        df.final_stage  # noqa: B018 - property access must not raise
    for _ in range(50):
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        parse(raw.decode("latin-1"))
        parse(raw.decode("utf-8", errors="replace"))


@pytest.mark.parametrize(
    "text",
    [
        "\\",
        "`",
        "# escape=`\n`",
        "\n\n\n",
        "<<EOF",
        "RUN <<",
        "RUN <<-",
        "RUN <<''",
        "COPY <<A <<B",
        "FROM --platform",
        'FROM --platform="unterminated',
        "ARG =x ==",
        "ARG 'unterminated",
        "FROM ${",
        "FROM ${A:-${B:-",
        "\x00\x01\x02",
        "\ufeff",
        "\r\r\r",
    ],
)
def test_edge_inputs_never_raise(text: str) -> None:
    parse(text)


def test_deeply_nested_substitution_does_not_recurse_forever() -> None:
    text = "${A:-" * 3000 + "x" + "}" * 3000
    assert substitute(text, {})[1] is False
    assert substitute("${A:-${B:-${C:-d}}}", {}) == ("d", True)
    df = parse("FROM " + text + "\n")
    assert df.stages[0].resolved_image is None


# ---------------------------------------------------------------------------- BuildKit syntax
# What BuildKit accepts has no syntax error (so hadolint's DL1000 on it is only a notification);
# what BuildKit refuses does.

BUILDKIT_FILE = """# syntax=docker/dockerfile:1.7
ARG BASE=python:3.12
FROM $BASE AS build
RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=tok --network=none <<EOF
pip install .
EOF
# comment right after a heredoc (what hadolint cannot parse)
RUN <<-EOF
\tset -e
\techo tabbed
\tEOF
RUN <<"EOF"
echo $NOT_EXPANDED
EOF
RUN python3 <<'PY'
print("stdin of python")
PY
COPY <<a.txt <<b.txt /dest/
a
a.txt
b
b.txt
COPY <<EOF /etc/app.conf
key = value
EOF
COPY --link --from=build /app /app
ADD --checksum=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \\
    https://example.com/f.tgz /tmp/
"""


def test_buildkit_file_has_no_syntax_errors() -> None:
    df = parse(BUILDKIT_FILE)
    assert syntax_errors(df) == []
    assert df.directives == {"syntax": "docker/dockerfile:1.7"}
    runs = [i for i in df.instructions if i.keyword == "RUN"]
    assert runs[0].flag("network") == "none"
    assert [v for k, v in runs[0].flags if k == "mount"] == [
        "type=cache,target=/root/.cache", "type=secret,id=tok",
    ]
    assert [(h.delimiter, h.content, h.start_line) for h in runs[0].heredocs] == [
        ("EOF", "pip install .", 5),
    ]
    assert runs[1].heredocs[0].content == "set -e\necho tabbed"
    assert runs[1].heredocs[0].strip_tabs
    assert runs[2].heredocs[0].quoted
    assert runs[3].args.startswith("python3") and runs[3].heredocs[0].delimiter == "PY"
    copies = [i for i in df.instructions if i.keyword == "COPY"]
    assert [h.content for h in copies[0].heredocs] == ["a", "b"]
    assert copies[1].heredocs[0].content == "key = value"
    assert copies[2].flag("link") == "" and copies[2].flag("from") == "build"
    add = _only(df, "ADD")
    assert (add.flag("checksum") or "").startswith("sha256:")
    assert all(h.terminated for i in df.instructions for h in i.heredocs)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("FROM a\nRUN <<EOF\necho never closed\n", 3, "heredoc EOF is never closed"),
        ("FROM a\nRUNN true\n", 2, "unknown instruction RUNN"),
        ("RUN curl x | sh\nFROM a\n", 1, "RUN before the first FROM"),
        ("# only a comment\nARG X=1\n", 1, "no FROM instruction"),
        ("FROM a\nONBUILD ONBUILD\n", 2, "ONBUILD ONBUILD is refused"),
        ("FROM a\nWORKDIR\n", 2, "WORKDIR has no arguments"),
    ],
)
def test_syntax_errors_buildkit_refuses(text: str, line: int, reason: str) -> None:
    assert syntax_errors(parse(text)) == [(line, reason)]

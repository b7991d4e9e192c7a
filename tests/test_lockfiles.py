"""Lockfile and manifest readers: every pinned dependency with the line of its entry, the
entries that cannot be audited from the file alone, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullscan.deps.lockfiles import (
    READERS,
    Dependency,
    LockfileError,
    ReadResult,
    read_lockfile,
    reader_for,
)
from hullscan.vuln.interface import PackageRef

DATA = Path(__file__).resolve().parent / "data" / "lockfiles"


def read(data_file: str, as_name: str | None = None) -> ReadResult:
    reader = reader_for(as_name or data_file)
    assert reader is not None, data_file
    return reader((DATA / data_file).read_text(encoding="utf-8"))


def rows(result: ReadResult) -> list[tuple[str, str, str, int]]:
    return [
        (d.package.ecosystem, d.package.name, d.package.version, d.line)
        for d in result.dependencies
    ]


def direct(result: ReadResult) -> dict[tuple[str, str], bool | None]:
    return {(d.package.name, d.package.version): d.direct for d in result.dependencies}


def assert_lines_point_at_entries(data_file: str, result: ReadResult) -> None:
    """Every reported line mentions the package (its name, or its folder for npm aliases)."""
    lines = (DATA / data_file).read_text(encoding="utf-8").splitlines()
    for dependency in result.dependencies:
        line = lines[dependency.line - 1]
        short = dependency.package.name.split(":")[-1].split("/")[-1]
        assert short in line or "cjs" in line, (dependency, line)


# --- reader selection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "reader"),
    [
        ("requirements.txt", "read_requirements"),
        ("requirements-dev.txt", "read_requirements"),
        ("requirements/prod.txt", "read_requirements"),
        ("app/requirements/test.txt", "read_requirements"),
        ("poetry.lock", "read_poetry_lock"),
        ("uv.lock", "read_uv_lock"),
        ("Pipfile.lock", "read_pipfile_lock"),
        ("pylock.toml", "read_pylock"),
        ("pylock.dev.toml", "read_pylock"),
        ("web/package-lock.json", "read_package_lock"),
        ("npm-shrinkwrap.json", "read_package_lock"),
        ("yarn.lock", "read_yarn_lock"),
        ("pnpm-lock.yaml", "read_pnpm_lock"),
        ("go.mod", "read_go_mod"),
        ("Cargo.lock", "read_cargo_lock"),
        ("Gemfile.lock", "read_gemfile_lock"),
        ("composer.lock", "read_composer_lock"),
        ("pom.xml", "read_pom"),
        ("gradle.lockfile", "read_gradle_lockfile"),
        ("src\\App\\packages.lock.json", "read_packages_lock"),
        ("web/package.json", "read_package_json"),
    ],
)
def test_reader_for_picks_the_format_by_name(filename: str, reader: str) -> None:
    found = reader_for(filename)
    assert found is not None and found.__name__ == reader


@pytest.mark.parametrize(
    "filename",
    ["go.sum", "notes.txt", "docs/notes.txt", "Pipfile", "Cargo.toml", "",
     "node_modules/lodash/package.json", "web/node_modules/@s/x/package.json"],
)
def test_reader_for_unknown_names(filename: str) -> None:
    assert reader_for(filename) is None


def test_reader_for_uses_the_path_for_folder_patterns() -> None:
    assert reader_for("dev.txt") is None
    assert reader_for("dev.txt", "requirements/dev.txt") is not None


# --- Python ----------------------------------------------------------------------------------


def test_requirements_txt() -> None:
    result = read("requirements.txt")
    assert rows(result) == [
        ("PyPI", "requests", "2.31.0", 6),
        ("PyPI", "Flask", "2.3.2", 7),  # extras, trailing comment
        ("PyPI", "urllib3", "1.26.18", 8),  # environment marker
        ("PyPI", "cryptography", "41.0.3", 9),  # hashes on continuation lines
        ("PyPI", "zope.interface", "6.0", 12),  # === is pinned
        ("PyPI", "attrs", "23.1.0", 20),
        ("PyPI", "certifi", "2023.7.22", 21),  # --hash on the same line
    ]
    assert result.unpinned == (
        ("numpy", 13, "not pinned to one version"),
        ("django", 14, "no version pinned"),
        (".", 15, "editable install"),
        ("git+https://github.com/example/lib.git#egg=lib", 16, "editable install"),
        ("./vendor/local_pkg-1.0-py3-none-any.whl", 17, "URL or local path"),
        ("mylib", 18, "direct URL reference"),
        ("pytest", 19, "wildcard version"),
    )
    assert result.includes == (("requirements-base.txt", 3), ("constraints.txt", 4))
    assert {d.direct for d in result.dependencies} == {None}


def test_requirements_in_a_requirements_folder() -> None:
    result = read("requirements/dev.txt")
    assert rows(result) == [("PyPI", "pytest", "8.0.0", 2)]
    assert result.includes == (("requirements.txt", 1),)


def test_requirements_edge_cases() -> None:
    text = (
        "# a comment \\\n"  # a comment ending in a backslash does not join lines
        "six==1.16.0\n"
        "--requirement=base.txt\n"
        "--constraint constraints.txt\n"
        "-c other.txt\n"
        "long-name \\\n"
        "  ==1.0.0 \\\n"
        "  ; python_version > '3'\n"
        "paren (==2.0)\n"
        "spaced [socks] == 3.0.1 ; sys_platform == 'linux'  # trailing\n"
        "range>=1,<2\n"
        "exact==1.0,>=0.9\n"
        "https://example.com/pkg-1.0.tar.gz\n"
        "--extra-index-url https://example.com/simple\n"
        "-i https://example.com/simple\n"
        "--pre\n"
        "  \n"
    )
    result = reader_for("requirements.txt")(text)  # type: ignore[misc]
    assert rows(result) == [
        ("PyPI", "six", "1.16.0", 2),
        ("PyPI", "long-name", "1.0.0", 6),
        ("PyPI", "paren", "2.0", 9),
        ("PyPI", "spaced", "3.0.1", 10),
    ]
    assert result.includes == (("base.txt", 3), ("constraints.txt", 4), ("other.txt", 5))
    assert result.constraint_lines == {4, 5}  # -c: constraints, not installs
    assert [(name, line) for name, line, _ in result.unpinned] == [
        ("range", 11),
        ("exact", 12),
        ("https://example.com/pkg-1.0.tar.gz", 13),
    ]


def test_line_numbers_count_newlines_only() -> None:
    # CRLF files, and a form feed or U+2028 inside a line, do not shift the lines.
    requirements = reader_for("requirements.txt")("a==1\x0c\r\nb==2\u2028\r\nc==3\r\n")  # type: ignore[misc]
    assert [d.line for d in requirements.dependencies] == [1, 2, 3]
    gems = "GEM\r\n  remote: x\r\n  specs:\r\n    rack (1.0)\r\n\r\nDEPENDENCIES\r\n  rack\r\n"
    assert rows(reader_for("Gemfile.lock")(gems)) == [("RubyGems", "rack", "1.0", 4)]  # type: ignore[misc]
    go = "module x\r\n\r\nrequire ()\r\nrequire a.b/c v1.0.0 // indirect\r\n"
    assert rows(reader_for("go.mod")(go)) == [("Go", "a.b/c", "v1.0.0", 4)]  # type: ignore[misc]


def test_poetry_lock() -> None:
    result = read("poetry.lock")
    assert rows(result) == [
        ("PyPI", "certifi", "2023.7.22", 4),
        ("PyPI", "requests", "2.31.0", 29),
    ]
    assert result.unpinned == (("mylib", 15, "git source"),)


def test_uv_lock_skips_the_project_itself() -> None:
    result = read("uv.lock")
    assert rows(result) == [("PyPI", "anyio", "4.2.0", 5), ("PyPI", "idna", "3.6", 15)]
    assert result.unpinned == (("sniffio", 31, "git source"),)


def test_uv_lock_virtual_root_is_skipped() -> None:
    text = (
        'version = 1\n\n[[package]]\nname = "ws"\nversion = "0.1.0"\n'
        'source = { virtual = "." }\n\n[[package]]\nname = "six"\nversion = "1.16.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    assert rows(reader_for("uv.lock")(text)) == [("PyPI", "six", "1.16.0", 9)]  # type: ignore[misc]


def test_pipfile_lock() -> None:
    result = read("Pipfile.lock")
    assert rows(result) == [
        ("PyPI", "idna", "3.6", 19),
        ("PyPI", "requests", "2.31.0", 30),
        ("PyPI", "pytest", "7.4.3", 37),
    ]
    assert result.unpinned == (("mylib", 26, "editable install"),)


def test_pylock_toml() -> None:
    result = read("pylock.toml")
    assert rows(result) == [("PyPI", "attrs", "25.1.0", 7), ("PyPI", "urllib3", "2.0.7", 20)]
    assert result.unpinned == (("local-thing", 16, "local path"),)


# --- npm -------------------------------------------------------------------------------------


def test_package_lock_v1_nested_tree() -> None:
    result = read("package-lock-v1.json", "package-lock.json")
    assert rows(result) == [
        ("npm", "@babel/code-frame", "7.12.13", 7),
        ("npm", "lodash", "4.17.20", 16),
        ("npm", "mkdirp", "0.5.1", 20),
        ("npm", "minimist", "0.0.8", 26),  # nested under mkdirp
        ("npm", "minimist", "1.2.5", 32),
        ("npm", "string-width", "4.2.3", 35),  # alias: npm:string-width@4.2.3
    ]
    assert result.unpinned == (("my-fork", 38, "not a registry version"),)
    assert_lines_point_at_entries("package-lock-v1.json", result)


def test_package_lock_v3_packages() -> None:
    result = read("package-lock-v3.json", "package-lock.json")
    assert rows(result) == [
        ("npm", "@types/node", "20.8.0", 18),
        ("npm", "express", "4.18.2", 23),
        ("npm", "body-parser", "1.20.1", 29),  # node_modules/express/node_modules/body-parser
        ("npm", "jest", "29.7.0", 32),
        ("npm", "wrap-ansi", "7.0.0", 40),  # the entry names the real package
    ]
    assert result.unpinned == ()  # the link and the workspace folder are the project's own
    assert direct(result) == {
        ("@types/node", "20.8.0"): True,
        ("express", "4.18.2"): True,
        ("body-parser", "1.20.1"): False,
        ("jest", "29.7.0"): True,
        ("wrap-ansi", "7.0.0"): False,
    }


def test_package_lock_v2_uses_packages_not_the_legacy_tree() -> None:
    text = json.dumps(
        {
            "lockfileVersion": 2,
            "packages": {"": {}, "node_modules/a": {"version": "1.0.0"}},
            "dependencies": {"a": {"version": "1.0.0"}},
        },
        indent=2,
    )
    assert rows(reader_for("package-lock.json")(text)) == [("npm", "a", "1.0.0", 5)]  # type: ignore[misc]


def test_minified_json_puts_everything_on_line_1() -> None:
    text = json.dumps(
        {
            "packages": {
                "": {},
                "node_modules/a": {"version": "1.0.0"},
                "node_modules/b": {"version": "2.0.0"},
            }
        },
        separators=(",", ":"),
    )
    result = reader_for("package-lock.json")(text)  # type: ignore[misc]
    assert rows(result) == [("npm", "a", "1.0.0", 1), ("npm", "b", "2.0.0", 1)]


def test_json_lines_survive_escapes_and_strings_with_braces() -> None:
    text = (
        '{\n  "_meta": {"note": "a } { \\" ] [ \\n"},\n  "default": {\n'
        '    "we\\u0069rd": {"version": "==1.0"},\n\n    "b": {"version": "==2.0"}\n  }\n}\n'
    )
    result = reader_for("Pipfile.lock")(text)  # type: ignore[misc]
    assert rows(result) == [("PyPI", "weird", "1.0", 4), ("PyPI", "b", "2.0", 6)]


def test_yarn_classic() -> None:
    result = read("yarn-v1.lock", "yarn.lock")
    assert rows(result) == [
        ("npm", "@babel/code-frame", "7.12.13", 5),
        ("npm", "lodash", "4.17.20", 12),
        ("npm", "string-width", "4.2.3", 16),  # alias
    ]
    assert result.unpinned == (("my-fork", 20, "not from the registry (git, file, link or URL)"),)


def test_yarn_berry() -> None:
    result = read("yarn-berry.lock", "yarn.lock")
    assert rows(result) == [
        ("npm", "@babel/code-frame", "7.12.13", 8),
        ("npm", "lodash", "4.17.21", 17),
        ("npm", "resolve", "1.22.1", 32),  # a patched npm package
        ("npm", "string-width", "4.2.3", 38),  # the resolution names the real package
    ]
    assert result.unpinned == ()  # the workspace entry is the project itself


def test_pnpm_v5() -> None:
    result = read("pnpm-lock-v5.yaml", "pnpm-lock.yaml")
    assert rows(result) == [
        ("npm", "@babel/runtime", "7.23.1", 11),
        ("npm", "react-dom", "18.2.0", 15),  # _react@18.2.0 peer suffix stripped
    ]


def test_pnpm_v6() -> None:
    result = read("pnpm-lock-v6.yaml", "pnpm-lock.yaml")
    assert rows(result) == [
        ("npm", "@babel/runtime", "7.23.1", 14),
        ("npm", "loose-envify", "1.4.0", 19),
        ("npm", "react-dom", "18.2.0", 24),  # (react@18.2.0) peer suffix stripped
    ]
    assert [(name, line) for name, line, _ in result.unpinned] == [("my-fork", 32)]


def test_pnpm_v9() -> None:
    result = read("pnpm-lock-v9.yaml", "pnpm-lock.yaml")
    assert rows(result) == [
        ("npm", "@babel/runtime", "7.23.1", 17),
        ("npm", "react-dom", "18.2.0", 21),
        ("npm", "react", "18.2.0", 26),
    ]  # snapshots are not counted twice
    assert [(name, line) for name, line, _ in result.unpinned] == [("my-lib", 30)]


# --- Go, Rust, Ruby, PHP, Java, .NET -------------------------------------------------------


def test_go_mod() -> None:
    result = read("go.mod")
    assert rows(result) == [
        ("Go", "github.com/gin-gonic/gin", "v1.9.1", 8),
        ("Go", "golang.org/x/net", "v0.17.0", 9),
        ("Go", "github.com/quoted/module", "v0.0.0-20230101000000-0123456789ab", 10),
        ("Go", "github.com/old/lib", "v2.0.0+incompatible", 11),
        ("Go", "github.com/stretchr/testify", "v1.8.4", 14),
        ("Go", "stdlib", "1.21.5", 5),  # the toolchain directive's release
    ]
    assert [d.direct for d in result.dependencies] == [True, False, True, False, True, True]


@pytest.mark.parametrize(
    ("text", "row"),
    [
        ("module x\n\ngo 1.21\n", ("Go", "stdlib", "1.21.0", 3)),
        ("module x\ngo 1.20.3\n", ("Go", "stdlib", "1.20.3", 2)),
        ("module x\ngo 1.22rc1\ntoolchain default\n", ("Go", "stdlib", "1.22.0-rc.1", 2)),
        ("module x\ntoolchain go1.22.4\ngo 1.21\n", ("Go", "stdlib", "1.22.4", 2)),
        ("module x\ngo 1.21\ntoolchain go1.21.5-custom\n", ("Go", "stdlib", "1.21.5", 3)),
        ("module x\ngo 1.x\n", ("Go", "stdlib", "1.x", 2)),  # then unorderable
    ],
)
def test_go_mod_standard_library_from_go_and_toolchain(text: str, row: tuple) -> None:
    assert rows(reader_for("go.mod")(text)) == [row]  # type: ignore[misc]


def test_go_mod_without_go_directive_has_no_stdlib() -> None:
    assert rows(reader_for("go.mod")("module x\n")) == []  # type: ignore[misc]
    with pytest.raises(LockfileError, match="go directive needs one version") as caught:
        reader_for("go.mod")("module x\ngo\n")  # type: ignore[misc]
    assert caught.value.line == 2


def test_cargo_lock_skips_workspace_crates() -> None:
    result = read("Cargo.lock")
    assert rows(result) == [
        ("crates.io", "serde", "1.0.188", 18),
        ("crates.io", "serde_derive", "1.0.188", 27),
    ]
    assert result.unpinned == (("tokio", 33, "git source"),)


def test_gemfile_lock() -> None:
    result = read("Gemfile.lock")
    assert rows(result) == [
        ("RubyGems", "actionpack", "7.0.4", 16),
        ("RubyGems", "nokogiri", "1.13.10", 18),  # -x86_64-linux platform suffix dropped
        ("RubyGems", "racc", "1.6.2", 20),
        ("RubyGems", "rack", "2.2.6.4", 21),
        ("RubyGems", "rails", "7.0.4", 22),
    ]
    assert result.unpinned == (("forked_gem", 5, "git source"),)  # PATH gem (myapp) skipped
    assert direct(result)[("nokogiri", "1.13.10")] is True
    assert direct(result)[("rack", "2.2.6.4")] is False


def test_composer_lock() -> None:
    result = read("composer.lock")
    assert rows(result) == [
        ("Packagist", "guzzlehttp/guzzle", "7.8.0", 9),
        ("Packagist", "monolog/monolog", "2.9.1", 22),  # v2.9.1
        ("Packagist", "phpunit/phpunit", "9.6.13", 34),  # packages-dev
    ]
    assert result.unpinned == (("example/internal", 27, "development branch"),)


def test_pom_xml_resolves_properties() -> None:
    result = read("pom.xml")
    assert rows(result) == [
        ("Maven", "com.fasterxml.jackson:jackson-bom", "2.15.2", 26),
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.20.0", 41),  # nested property
        ("Maven", "com.example:demo-common", "1.2.0", 46),  # ${project.*}
        ("Maven", "org.yaml:snakeyaml", "1.33", 68),  # in a profile
    ]
    assert result.unpinned == (
        (
            "org.springframework.boot:spring-boot-starter-web",
            37,
            "no version here (managed by a parent or BOM)",
        ),
        ("commons-io:commons-io", 51, "unresolved property ${commons.io.version}"),
        ("junit:junit", 56, "version range"),
    )
    assert direct(result)[("com.fasterxml.jackson:jackson-bom", "2.15.2")] is None
    assert direct(result)[("org.apache.logging.log4j:log4j-core", "2.20.0")] is True


def test_pom_property_cycle_stays_unresolved() -> None:
    text = (
        "<project><properties><a>${b}</a><b>${a}</b></properties><dependencies>\n"
        "<dependency><groupId>g</groupId><artifactId>x</artifactId><version>${a}</version>"
        "</dependency></dependencies></project>"
    )
    result = reader_for("pom.xml")(text)  # type: ignore[misc]
    assert result.dependencies == ()
    assert [(name, line) for name, line, _ in result.unpinned] == [("g:x", 2)]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<project><properties><v>&lol9;</v></properties></project>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<project><dependencies><dependency><groupId>&xxe;</groupId></dependency></dependencies></project>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_pom_with_a_doctype_is_refused(text: str) -> None:
    with pytest.raises(LockfileError, match="refused") as caught:
        reader_for("pom.xml")(text)  # type: ignore[misc]
    assert caught.value.line == 2


def test_gradle_lockfile() -> None:
    result = read("gradle.lockfile")
    assert rows(result) == [
        ("Maven", "com.fasterxml.jackson.core:jackson-databind", "2.15.2", 4),
        ("Maven", "com.google.guava:guava", "31.1-jre", 5),
        ("Maven", "org.slf4j:slf4j-api", "2.0.9", 6),
    ]


def test_nuget_packages_lock() -> None:
    result = read("packages.lock.json")
    assert rows(result) == [
        ("NuGet", "Newtonsoft.Json", "13.0.1", 5),
        ("NuGet", "System.Text.Encodings.Web", "4.7.1", 11),
        ("NuGet", "Newtonsoft.Json", "13.0.3", 27),  # the second target framework
    ]  # the Project entry is the solution's own
    assert [d.direct for d in result.dependencies] == [True, False, True]


# --- size ------------------------------------------------------------------------------------

BIG = 100_000


def test_100k_entry_package_lock_v3() -> None:
    packages: dict[str, object] = {"": {"name": "big", "version": "1.0.0"}}
    for i in range(BIG):
        packages[f"node_modules/p{i}"] = {
            "version": f"1.{i % 50}.{i % 7}",
            "resolved": f"https://registry.npmjs.org/p{i}/-/p{i}-1.0.0.tgz",
            "integrity": "sha512-AAAA",
        }
    text = json.dumps({"lockfileVersion": 3, "packages": packages}, indent=2)
    result = reader_for("package-lock.json")(text)  # type: ignore[misc]
    assert len(result.dependencies) == BIG
    last = result.dependencies[-1]
    assert last.package.name == f"p{BIG - 1}"
    assert text.splitlines()[last.line - 1].strip().startswith(f'"node_modules/p{BIG - 1}"')


def test_100k_line_requirements() -> None:
    text = "".join(f"package-{i}=={i % 9}.{i % 13}.0 --hash=sha256:{i:064x}\n" for i in range(BIG))
    result = reader_for("requirements.txt")(text)  # type: ignore[misc]
    assert len(result.dependencies) == BIG
    last = result.dependencies[-1]
    assert last == Dependency(PackageRef("PyPI", f"package-{BIG - 1}", "0.3.0"), BIG)


# --- bad input -------------------------------------------------------------------------------

CORRUPT = [
    ("requirements.txt", "foo[bar==1\n", 1),
    ("requirements.txt", "This is prose, not a requirements file.\n", 1),
    ("poetry.lock", '[[package]]\nname = "x"\nversion = "1', 3),
    ("poetry.lock", "package = 3\n", None),
    ("uv.lock", "[[package]\n", 1),
    ("Pipfile.lock", '{"default": {"a": {"version": "==1"', 1),
    ("Pipfile.lock", '["not", "an", "object"]', 1),
    ("Pipfile.lock", '{\n"default": []}', 2),
    ("pylock.toml", "packages = 'x'\n", None),
    ("package-lock.json", '{\n  "packages": {\n    "node_modules/a": {"version": "1.0.0"},\n', 4),
    ("package-lock.json", "null", 1),
    ("package-lock.json", '{"packages": []}', 1),
    ("package-lock.json", '{"packages": {}} trailing', 1),
    ("package-lock.json", "[" * 50_000, None),
    ("package-lock.json", '{"dependencies": ' + '{"a": {"dependencies": ' * 2000, None),
    ("yarn.lock", '{"not": "yarn"}\n', 1),
    ("yarn.lock", 'lodash@^4:\n  resolved "https://x"\n', 1),
    ("pnpm-lock.yaml", "packages: [\n", None),
    ("pnpm-lock.yaml", "- a\n- b\n", 1),
    ("pnpm-lock.yaml", "a: &a [*a, *a]\n", None),
    (
        "pnpm-lock.yaml",
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        None,
    ),
    ("go.mod", "module x\n\nrequire (\n\tgithub.com/a/b v1.0.0\n", 3),
    ("go.mod", "require github.com/a/b\n", 1),
    ("go.mod", "{}\n", 1),
    ("Cargo.lock", '[[package]]\nname = "serde"\nsource = "registry+x"\nversion = ', 4),
    ("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack\n", 4),
    ("Gemfile.lock", "just some text\n", 1),
    ("composer.lock", '{"packages": [{"name": "a/b"', 1),
    ("composer.lock", '{"packages": {"a/b": {}}}', 1),
    ("pom.xml", "<project>\n<dependencies>\n", None),
    ("pom.xml", "<settings/>", 1),
    ("pom.xml", "<project>&undefined;</project>", 1),
    ("gradle.lockfile", "# header\nnot a coordinate\n", 2),
    ("packages.lock.json", '{"dependencies": [1]}', 1),
    ("packages.lock.json", "42", 1),
]


@pytest.mark.parametrize(("name", "text", "line"), CORRUPT)
def test_corrupt_input_is_a_one_line_lockfile_error(name: str, text: str, line: int | None) -> None:
    reader = reader_for(name)
    assert reader is not None
    with pytest.raises(LockfileError) as caught:
        reader(text)
    message = str(caught.value)
    assert message and "\n" not in message and "Traceback" not in message
    if line is not None:
        assert caught.value.line == line, message


@pytest.mark.parametrize("pattern", sorted(READERS))
def test_binary_content_is_refused_by_every_reader(pattern: str) -> None:
    name = pattern.replace("*", "x")
    reader = reader_for(name)
    assert reader is not None
    with pytest.raises(LockfileError, match="binary content"):
        reader("\x7fELF\x02\x01\x01\x00\x00\x00" + "".join(map(chr, range(256))))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Pipfile.lock", '{"default": {"a": 1, "b": [], "c": {"version": 3}}}'),
        ("package-lock.json", '{"packages": {"node_modules/a": 1, "node_modules/b": []}}'),
        ("package-lock.json", '{"dependencies": {"a": "x", "b": {"version": 1}}}'),
        ("composer.lock", '{"packages": [1, "x", {"name": 2}, {"name": "a/b", "version": []}]}'),
        ("packages.lock.json", '{"dependencies": {"net6.0": [1], "net7.0": {"A": 1}}}'),
        ("poetry.lock", "[[package]]\nname = 3\n\n[[package]]\nversion = []\n"),
        ("Cargo.lock", '[[package]]\nname = ["x"]\nsource = 1\n'),
        ("pnpm-lock.yaml", "lockfileVersion: [1]\npackages:\n  3: x\n  /a@1.0.0: [1]\n"),
    ],
)
def test_entries_of_the_wrong_type_are_skipped(name: str, text: str) -> None:
    reader = reader_for(name)
    assert reader is not None
    result = reader(text)
    assert all(isinstance(d.package.version, str) for d in result.dependencies)


def test_read_lockfile_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "go.mod"
    path.write_text("module x\n\nrequire github.com/a/b v1.0.0\n", encoding="utf-8")
    assert rows(read_lockfile(path)) == [("Go", "github.com/a/b", "v1.0.0", 3)]
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(LockfileError, match="binary content"):
        read_lockfile(path)
    path.write_text("require github.com/a/b v1.0.0\n" * 100, encoding="utf-8")
    with pytest.raises(LockfileError, match="over the limit of 100 bytes for manifests"):
        read_lockfile(path, max_size=100)
    with pytest.raises(LockfileError, match="not a known"):
        read_lockfile(tmp_path / "notes.txt")


PYPROJECT = """[project]
name = "demo"
dependencies = [
    "jinja2==3.1.3",
    "requests>=2",
]

[project.optional-dependencies]
yaml = ["pyyaml==5.3.1"]

[tool.poetry.dependencies]
python = "^3.11"
flask = "3.0.0"
django = "^4.2"
local = { path = "../local" }

[tool.poetry.group.dev.dependencies]
pytest = "==8.0.0"
"""


def test_pyproject_pep621_and_poetry() -> None:
    from hullscan.deps.lockfiles import reader_for

    reader = reader_for("pyproject.toml")
    assert reader is not None
    result = reader(PYPROJECT)
    assert [(d.package.ecosystem, d.package.name, d.package.version, d.line)
            for d in result.dependencies] == [
        ("PyPI", "jinja2", "3.1.3", 4),
        ("PyPI", "pyyaml", "5.3.1", 9),
        ("PyPI", "flask", "3.0.0", 13),
        ("PyPI", "pytest", "8.0.0", 18),
    ]
    assert result.unpinned == (
        ("requests", 5, "not pinned to one version"),
        ("django", 14, "not pinned to one version (use poetry.lock)"),
        ("local", 15, "git, path or URL dependency"),
    )


# --- reading from disk: any size, any encoding, or fail closed (issue 12) -------------------


def test_a_lockfile_is_read_whatever_max_file_size_says(tmp_path: Path) -> None:
    from hullscan.deps.lockfiles import MAX_SIZE

    path = tmp_path / "package-lock.json"
    packages = {f"node_modules/pkg-{i}": {"version": "1.0.0"} for i in range(30_000)}
    packages["node_modules/minimist"] = {"version": "0.0.8"}
    path.write_text(json.dumps({"lockfileVersion": 3, "packages": packages}, indent=2))
    assert path.stat().st_size > 1024 * 1024 and MAX_SIZE >= 64 * 1024 * 1024
    result = read_lockfile(path)
    assert ("npm", "minimist", "0.0.8") in {
        (d.package.ecosystem, d.package.name, d.package.version) for d in result.dependencies}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("requirements.txt", b"# maintained by Andr\xe9\nflask==3.0.0  # caf\xe9\n",
         [("PyPI", "flask", "3.0.0", 2)]),
        ("go.mod", b"module x // \xe9\n\nrequire a.b/c v1.0.0 // d\xe9j\xe0\n",
         [("Go", "a.b/c", "v1.0.0", 3)]),
        ("Cargo.lock", b'# \xe9\n[[package]]\nname = "time" # s\xe9\nversion = "0.2.22"\n'
                       b'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
         [("crates.io", "time", "0.2.22", 3)]),
        ("pyproject.toml",
         b'[project]\nname = "a"\ndependencies = [\n  "jinja2==3.1.3", # \xe9\n]\n',
         [("PyPI", "jinja2", "3.1.3", 4)]),
        ("yarn.lock", b'# yarn lockfile v1 \xe9\n\nlodash@^4:\n  version "4.17.20"\n',
         [("npm", "lodash", "4.17.20", 3)]),
    ],
    ids=["requirements", "go.mod", "Cargo.lock", "pyproject", "yarn.lock"],
)
def test_a_latin_1_byte_in_a_comment_is_replaced(tmp_path: Path, name: str, content: bytes,
                                                 expected: list) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert rows(read_lockfile(path)) == expected


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("requirements.txt", b"# ok\nflask==3.0.0\xe9\n", 2),
        ("requirements.txt", b"fl\xe4sk==3.0.0 # comment\n", 1),
        ("Cargo.lock", b'[[package]]\nname = "ti#m\xe9"\nversion = "0.2.22"\n', 2),
        ("pyproject.toml", b'[project]\nname = "a"\ndependencies = ["jinja2==3.1.3 # \xe9"]\n', 3),
        ("go.mod", b'module x\nrequire "a.b/c//\xe9" v1.0.0\n', 2),
        ("package-lock.json", b'{"packages": {"node_modules/\xe9": {"version": "1.0.0"}}}', 1),
        ("Gemfile.lock", b"GEM\n  specs:\n    r\xe4ck (1.0)\n", 3),
    ],
)
def test_a_byte_that_is_not_utf_8_outside_a_comment_fails_closed(
    tmp_path: Path, name: str, content: bytes, line: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LockfileError, match="not UTF-8 text") as caught:
        read_lockfile(path)
    assert caught.value.line == line


def test_utf_16_and_bom_files_and_declared_xml_encodings(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes("flask==3.0.0\r\njinja2==3.1.3\r\n".encode("utf-16"))  # PowerShell's `>`
    assert rows(read_lockfile(path)) == [("PyPI", "flask", "3.0.0", 1),
                                          ("PyPI", "jinja2", "3.1.3", 2)]
    path.write_bytes(b"\xef\xbb\xbfflask==3.0.0\n")
    assert rows(read_lockfile(path)) == [("PyPI", "flask", "3.0.0", 1)]
    pom = tmp_path / "pom.xml"
    pom.write_bytes(
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<project><name>Caf\xe9</name>'
        b"<dependencies><dependency><groupId>g</groupId>\n<artifactId>a</artifactId>"
        b"<version>1.0</version></dependency></dependencies></project>\n")
    assert rows(read_lockfile(pom)) == [("Maven", "g:a", "1.0", 3)]
    pom.write_bytes(pom.read_bytes().replace(b' encoding="ISO-8859-1"', b""))
    with pytest.raises(LockfileError, match="not UTF-8 text"):
        read_lockfile(pom)


@pytest.mark.parametrize("name", ["package-lock.json", "requirements.txt", "go.mod", "pom.xml"])
def test_binary_content_with_a_manifest_name_fails_closed(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(LockfileError, match="binary content") as caught:
        read_lockfile(path)
    assert caught.value.line == 3  # the NUL byte's: after the PNG signature's two newlines


def test_versions_the_ecosystem_cannot_order_are_unorderable(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("django==2.2.x\nflask==0.12.2.final\njinja2==3.1.3\n")
    result = read_lockfile(path)
    assert rows(result) == [("PyPI", "jinja2", "3.1.3", 3)]
    assert result.unorderable == (
        ("django", 1, "version 2.2.x is not valid in PyPI"),
        ("flask", 2, "version 0.12.2.final is not valid in PyPI"),
    )
    go = tmp_path / "go.mod"
    go.write_text("module x\n\nrequire (\n\tgolang.org/x/text v0.3\n"
                  "\tgolang.org/x/net v0.17.0\n)\n")
    result = read_lockfile(go)
    assert rows(result) == [("Go", "golang.org/x/net", "v0.17.0", 5)]
    assert result.unorderable == (("golang.org/x/text", 4, "version v0.3 is not valid in Go"),)


PACKAGE_JSON = """{
  "name": "app",
  "version": "1.0.0",
  "dependencies": {
    "lodash": "4.17.20",
    "express": "^4.18.0",
    "left-pad": "=1.3.0",
    "old": "npm:left-pad@v1.1.0",
    "mine": "workspace:*",
    "local": "file:../local",
    "fork": "github:someone/fork#main",
    "shorthand": "someone/repo",
    "tagged": "latest"
  },
  "devDependencies": {"typescript": "5.4.5", "jest": "*"},
  "peerDependencies": {"react": ">=18"}
}
"""


def test_package_json_exact_versions_and_the_rest_unpinned() -> None:
    result = reader_for("package.json")(PACKAGE_JSON)  # type: ignore[misc]
    assert rows(result) == [
        ("npm", "lodash", "4.17.20", 5),
        ("npm", "left-pad", "1.3.0", 7),
        ("npm", "left-pad", "1.1.0", 8),
        ("npm", "typescript", "5.4.5", 15),
    ]
    assert [(name, line, reason.split(" (")[0]) for name, line, reason in result.unpinned] == [
        ("express", 6, "not pinned to one version"),
        ("local", 10, "local path"),
        ("fork", 11, "git or URL dependency"),
        ("shorthand", 12, "git or URL dependency"),
        ("tagged", 13, "not pinned to one version"),
        ("jest", 15, "not pinned to one version"),
        ("react", 16, "not pinned to one version"),
    ]
    assert all("no lockfile hullscan reads" in reason for _, _, reason in result.unpinned)


def test_covering_lockfile_beside_or_at_a_workspace_root(tmp_path: Path) -> None:
    from hullscan.deps.lockfiles.packagejson import covering_lockfile

    root = tmp_path
    (root / "web").mkdir()
    (root / "web/package.json").write_text("{}")
    assert covering_lockfile(root / "web/package.json", root) is None
    (root / "package-lock.json").write_text("{}")
    (root / "package.json").write_text('{"name": "root"}')
    assert covering_lockfile(root / "web/package.json", root) is None  # not a workspace root
    (root / "package.json").write_text('{"name": "root", "workspaces": ["web"]}')
    assert covering_lockfile(root / "web/package.json", root) == root / "package-lock.json"
    assert covering_lockfile(root / "package.json", root) == root / "package-lock.json"
    (root / "web/yarn.lock").write_text("")
    assert covering_lockfile(root / "web/package.json", root) == root / "web/yarn.lock"


def test_the_deps_hook_gets_every_file_a_reader_reads() -> None:
    """The deps hook's `files:` pattern in .pre-commit-hooks.yaml is kept by hand: every
    READERS pattern (a `*` stands for any name part) must be one it passes to the hook."""
    import re
    from pathlib import Path

    from ruamel.yaml import YAML

    from hullscan.deps.lockfiles import READERS

    hooks = YAML(typ="safe").load((Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml")
                                  .read_text("utf-8"))
    pattern = next(h["files"] for h in hooks if h["id"] == "hullscan-deps")
    for reader_pattern in READERS:
        sample = "app/" + reader_pattern.replace("*", "-dev")
        assert re.search(pattern, sample), f"{sample} ({reader_pattern}) is not given to the hook"

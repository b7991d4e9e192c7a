"""Pull-request mode: the policy comes from the merge base, never from the change under review.

With `--new-only --base REF` (and without `--trust-head-config`) the configuration, the baseline
file and the tool configuration files hullscan honours are read from the base commit. What the
change does to them is not applied; it is reported instead: each change that weakens the check
becomes an HS002 finding on the changed line, with the findings of this scan it would have
hidden. Changes that do not weaken the check are a note: they take effect once merged.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullscan import RULES_DOCS
from hullscan.core.config import CONFIG_NAME, Config, IgnoreEntry, load_config
from hullscan.core.errors import ConfigError, UsageError
from hullscan.core.model import Finding, Location, Rule, Severity

if TYPE_CHECKING:
    from hullscan.checkers.interface import CheckContext

POLICY_CHECKER = "policy"
WOULD_HIDE = "wouldHide"  # Finding.properties key: what the change would have hidden
WOULD_HIDE_COUNT = "wouldHideCount"  # and how many findings that was
HIDE_LIMIT = 50

WEAKENED_CHECK = Rule(
    id="HS002",
    name="check-weakened-by-change",
    short_description="This change weakens hullscan's check",
    full_description=(
        "In pull-request mode hullscan reads its configuration, the baseline file and the "
        "wrapped tools' configuration files from the base commit, so the change under review "
        "cannot switch the check off. This change edits one of them in a way that would "
        "suppress, skip or downgrade findings; it is not applied to this scan."
    ),
    help_text=(
        "Have the change to the policy reviewed by the people who own it (protect "
        ".hullscan.yaml, the baseline and tool configuration files with CODEOWNERS), or "
        "merge it on its own first: once merged it applies to later pull requests."
    ),
    default_severity=Severity.HIGH,
    help_uri=f"{RULES_DOCS}#hs002",
    tags=("security", "configuration"),
)

# The tool configuration files hullscan lets tools read, by tool (paths from the root).
TOOL_CONFIGS: dict[str, tuple[str, ...]] = {
    "hadolint": (".hadolint.yaml", ".hadolint.yml"),
    "zizmor": (".github/zizmor.yml", ".github/zizmor.yaml", "zizmor.yml", "zizmor.yaml"),
    # compose-lint also reads one beside each Compose file: those are compared too
    # (`_nested_configs`), and in pull-request mode only the base's root one is given to it
    "compose-lint": (".compose-lint.yml", ".compose-lint.yaml"),
}
NESTED_CONFIGS = {"compose-lint": (".compose-lint.yml", ".compose-lint.yaml")}

_INLINE_ORDER = {"block": 0, "require-reason": 1, "allow": 2}


@dataclass(frozen=True)
class Weakening:
    """One change to the policy that would weaken the check."""

    path: str  # the file changed, relative to the root
    line: int
    what: str  # "ignores every rule in Dockerfile"
    hides: Callable[[Finding], bool] | None = None


@dataclass(frozen=True)
class TrustedPolicy:
    """The policy of a pull-request scan, and what the change under review would change."""

    config: Config  # from the base commit: the one applied
    known: frozenset[str] = frozenset()  # fingerprints of the base commit's baseline file
    weakenings: tuple[Weakening, ...] = ()
    notes: tuple[str, ...] = ()
    policy_files: tuple[str, ...] = field(default=())  # what was read from the base


def _inside(path: Path, root: Path) -> str | None:
    """`path` relative to `root` with `/`, or None when it lies outside."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(root)
    except ValueError:
        return None
    return rel.as_posix()


def load(
    root: Path, tree: Path, config_path: str | None, baseline: str | None
) -> TrustedPolicy:
    """The base commit's policy (its worktree is `tree`), compared with the head's."""
    notes: list[str] = []
    weakenings: list[Weakening] = []
    files: list[str] = []
    # the configuration
    given = Path(config_path) if config_path is not None else None
    rel = _inside(given, root) if given is not None else CONFIG_NAME
    if given is not None and rel is None:
        # outside the repository: not part of the change, so it is used as it is
        if not given.is_file():
            raise UsageError(f"{config_path}: configuration file not found")
        config = load_config(given, config_path)
        head = config
    else:
        assert rel is not None
        head_file = root / rel
        if given is not None and not head_file.is_file():
            raise UsageError(f"{config_path}: configuration file not found")
        head = load_config(head_file, rel) if head_file.is_file() else Config()
        base_file = tree / rel
        if base_file.is_file():
            try:
                config = load_config(base_file, rel)
            except ConfigError as exc:
                raise ConfigError(f"{rel} (base commit)", str(exc)) from exc
            files.append(rel)
        else:
            config = Config()
            if head_file.is_file():
                notes.append(f"{rel} is new in this change: the defaults apply until it is "
                             "merged")
        if head.source != config.source:
            found = config_weakenings(config, head, rel, root)
            weakenings.extend(found)
            if not found:
                notes.append(f"the changes to {rel} do not weaken the check; they are not "
                             "applied in pull-request mode and take effect once merged")
    # the baseline file
    known: frozenset[str] = frozenset()
    if baseline is not None:
        from hullscan.policy.baseline import load_baseline

        brel = _inside(Path(baseline), root)
        if brel is None:
            known = load_baseline(baseline)
        else:
            base_copy = tree / brel
            head_known = load_baseline(str(root / brel)) if (root / brel).is_file() else None
            if head_known is None and not base_copy.is_file():
                raise UsageError(f"{baseline}: baseline file not found (create it with "
                                 "`hullscan baseline write`)")
            if base_copy.is_file():
                known = load_baseline(str(base_copy))
                files.append(brel)
            else:
                notes.append(f"{brel} is new in this change: it is not applied until merged")
            added = (head_known or frozenset()) - known
            if added:
                text = _read_lines(root / brel)
                line = next((i for i, t in enumerate(text, 1) if any(a in t for a in added)), 1)
                weakenings.append(Weakening(
                    brel, line, f"accepts {len(added)} more finding(s) in the baseline",
                    lambda f, added=added: f.fingerprint in added,  # type: ignore[misc]
                ))
    # the tools' own configuration files
    for tool, names in TOOL_CONFIGS.items():
        nested = _nested_configs(root, tree, NESTED_CONFIGS.get(tool, ()))
        for name in (*names, *(n for n in nested if n not in names)):
            head_bytes = _read_bytes(root / name)
            base_bytes = _read_bytes(tree / name)
            if base_bytes is not None:
                files.append(name)
            if head_bytes == base_bytes:
                continue
            found = tool_weakenings(tool, name, base_bytes, head_bytes)
            weakenings.extend(found)
            if not found:
                notes.append(f"the changes to {name} ({tool}) do not weaken the check; they are "
                             "not applied in pull-request mode")
    weakenings.extend(semgrep_weakenings(config, root, tree))
    return TrustedPolicy(config, known, tuple(weakenings), tuple(notes), tuple(files))


@contextmanager
def config_args(
    context: CheckContext, tool: str, empty: str, flag: str = "--config"
) -> Iterator[list[str]]:
    """The arguments that point `tool` at its configuration file in pull-request mode: the
    base commit's (`context.tool_config`), else a temporary file holding `empty` (a
    configuration that changes nothing), never one the change under review adds or edits.
    Outside pull-request mode: no arguments (the tool reads the repository's own)."""
    if not context.pull_request:
        yield []
        return
    for name in TOOL_CONFIGS[tool]:
        path = context.tool_config(name)
        if path is not None:
            yield [flag, str(path)]
            return
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"hullscan-{tool}-") as folder:
        blank = Path(folder) / TOOL_CONFIGS[tool][0].rsplit("/", 1)[-1]
        blank.write_text(empty, "utf-8")
        yield [flag, str(blank)]


def _nested_configs(root: Path, tree: Path, names: Sequence[str]) -> list[str]:
    """Files with one of `names` in any folder, as git tracks them at the head or the base."""
    if not names:
        return []
    from hullscan.core.errors import ToolError
    from hullscan.core.tools import run_tool

    found: set[str] = set()
    for folder in (root, tree):
        try:
            listed = run_tool("git", ["git", "ls-files", "-z", "--", *(
                f":(glob)**/{name}" for name in names)], cwd=folder, timeout=60).stdout
        except ToolError:
            continue
        found.update(p for p in listed.split("\0") if p)
    return sorted(found)


def policy_files_present(
    root: Path, config_path: str | None, baseline: str | None
) -> list[str]:
    """The policy files of the tree at `root` that pull-request mode would read from the base
    commit: the configuration, an in-repository baseline, the tools' configuration files."""
    found = []
    for given in (config_path or CONFIG_NAME, baseline):
        rel = _inside(Path(given), root) if given is not None else None
        if rel is not None and (root / rel).is_file():
            found.append(rel)
    found.extend(name for names in TOOL_CONFIGS.values() for name in names
                 if (root / name).is_file())
    return found


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _read_lines(path: Path) -> list[str]:
    data = _read_bytes(path) or b""
    return data.decode("utf-8", "replace").splitlines()


# --- .hullscan.yaml ---------------------------------------------------------------------------


def config_weakenings(
    base: Config, head: Config, rel: str, root: Path | None = None
) -> list[Weakening]:
    """The changes from `base` to `head` that would suppress, skip or downgrade findings."""
    from hullscan.core.globs import match_any

    out: list[Weakening] = []

    def add(line: int, what: str, hides: Callable[[Finding], bool] | None) -> None:
        out.append(Weakening(rel, line, what, hides))

    base_threshold, head_threshold = base.threshold, head.threshold
    if head_threshold is None and base_threshold is not None:
        add(head.line("fail_on"), "sets fail_on to never: nothing blocks", lambda f: True)
    elif (head_threshold is not None and base_threshold is not None
          and head_threshold.rank > base_threshold.rank):
        limit = head_threshold
        add(head.line("fail_on"),
            f"raises fail_on from {base.fail_on} to {head.fail_on}: findings below "
            f"{head.fail_on} no longer block", lambda f: f.severity.rank < limit.rank)
    for index, glob in enumerate(head.exclude):
        if glob not in base.exclude:
            add(head.line("exclude", index), f"excludes {glob!r} from every checker",
                lambda f, g=glob: match_any([g], f.location.path))  # type: ignore[misc]
    if head.max_file_size < base.max_file_size:
        size = head.max_file_size
        add(head.line("max_file_size"),
            f"lowers max_file_size from {base.max_file_size} to {size} bytes: larger files "
            "are skipped", _larger_than(size, root or Path(".")))
    names = sorted(set(head.checkers) | set(base.checkers))
    for name in names:
        before, after = base.checker(name), head.checker(name)
        if before.enabled and not after.enabled:
            add(head.line("checkers", name, "enabled"), f"disables the {name} checker",
                lambda f, n=name: f.checker == n)  # type: ignore[misc]
        added = sorted(after.disable_rules - before.disable_rules)
        if added:
            add(head.line("checkers", name, "disable_rules"),
                f"disables rule(s) {', '.join(added)} of the {name} checker",
                lambda f, n=name, a=frozenset(added): (  # type: ignore[misc]
                    f.checker == n and f.rule.id in a))
        out.extend(_option_weakenings(rel, head, name, before.options, after.options))
    threshold = base_threshold
    for rule_id, severity in head.severity.items():
        earlier = base.severity.get(rule_id)
        if earlier is not None and severity.rank >= earlier.rank:
            continue
        if earlier is None and (threshold is None or severity.rank >= threshold.rank):
            continue
        add(head.line("severity", rule_id), f"lowers the severity of {rule_id} to "
            f"{severity.value}", lambda f, r=rule_id, s=severity: (  # type: ignore[misc]
                f.rule.id == r and f.severity.rank > s.rank))
    if base.trusted_registries is not None:
        if head.trusted_registries is None:
            add(head.line("trusted_registries") if "trusted_registries" in head.lines else 1,
                "removes trusted_registries: images from any registry pass",
                lambda f: f.rule.id == "HS103")
        else:
            for index, registry in enumerate(head.trusted_registries):
                if registry not in base.trusted_registries:
                    add(head.line("trusted_registries", index), f"trusts registry {registry!r}",
                        lambda f, r=registry: (  # type: ignore[misc]
                            f.rule.id == "HS103" and r.split("/")[0].replace("*", "")
                            in f.message))
    before_entries: dict[tuple[object, ...], list[IgnoreEntry]] = {}
    for entry in base.ignore:
        before_entries.setdefault(_ignore_key(entry), []).append(entry)
    for index, entry in enumerate(head.ignore):
        previous = before_entries.get(_ignore_key(entry))
        if previous is None:
            add(head.line("ignore", index), _describe_ignore(entry),
                lambda f, e=entry: _ignore_hides(e, f))  # type: ignore[misc]
        elif not any(_lasts_as_long(e, entry) for e in previous):
            until = entry.expires.isoformat() if entry.expires else "never expire"
            add(head.line("ignore", index, "expires") if entry.expires else
                head.line("ignore", index),
                f"extends the {entry.describe()} ({until})",
                lambda f, e=entry: _ignore_hides(e, f))  # type: ignore[misc]
    if _INLINE_ORDER.get(head.inline_ignores, 1) > _INLINE_ORDER.get(base.inline_ignores, 1):
        add(head.line("inline_ignores"),
            f"relaxes inline_ignores from {base.inline_ignores} to {head.inline_ignores}", None)
    return out


def _larger_than(size: int, root: Path) -> Callable[[Finding], bool]:
    cache: dict[str, bool] = {}

    def hides(finding: Finding) -> bool:
        path = finding.location.path
        if path not in cache:
            try:
                cache[path] = (root / path).stat().st_size > size
            except OSError:
                cache[path] = False
        return cache[path]

    return hides


def _ignore_key(entry: IgnoreEntry) -> tuple[object, ...]:
    # an entry whose reason or expiry changed is the same exception (a later expiry is
    # checked on its own)
    return (entry.rule, entry.fingerprint, entry.paths)


def _lasts_as_long(base: IgnoreEntry, head: IgnoreEntry) -> bool:
    """Whether the base entry suppresses at least as long as the head's."""
    if base.expires is None:
        return True
    return head.expires is not None and head.expires <= base.expires


def _describe_ignore(entry: IgnoreEntry) -> str:
    if entry.rule is not None and entry.rule.strip() in ("*", "**"):
        what = "ignores every rule"
    elif entry.rule is not None:
        what = f"ignores rule {entry.rule}"
    else:
        what = f"ignores the finding with fingerprint {entry.fingerprint}"
    if entry.paths:
        what += f" in {', '.join(entry.paths)}"
    elif entry.rule is not None:
        what += " everywhere"
    return what


def _ignore_hides(entry: IgnoreEntry, finding: Finding) -> bool:
    from hullscan.core.globs import match_any

    if entry.rule is not None and not fnmatch.fnmatchcase(
        finding.rule.id.upper(), entry.rule.upper()
    ):
        return False
    if entry.fingerprint is not None and finding.fingerprint.split(":")[0] != entry.fingerprint \
            and finding.fingerprint != entry.fingerprint:
        return False
    return not entry.paths or match_any(entry.paths, finding.location.path)


def _option_weakenings(
    rel: str, head: Config, checker: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Weakening]:
    out: list[Weakening] = []
    if checker == "code":
        old_tests = before.get("exclude_tests")
        new_tests = after.get("exclude_tests")
        if new_tests is not None and new_tests != old_tests:
            default = ("tests/**", "test_*.py", "*_test.py", "**/tests/**", "conftest.py")
            earlier = set(old_tests if old_tests is not None else default)
            added = [g for g in new_tests if g not in earlier]
            if added:
                out.append(Weakening(
                    rel, head.line("checkers", "code", "exclude_tests"),
                    f"skips more files as tests in the code checker ({', '.join(added)})",
                    lambda f, a=tuple(added): (  # type: ignore[misc]
                        f.checker == "code" and _matches(a, f.location.path)),
                ))
        dropped = [r for r in before.get("semgrep_rules", ()) if r not in
                   after.get("semgrep_rules", ())]
        if dropped:
            out.append(Weakening(
                rel, head.line("checkers", "code", "semgrep_rules"),
                f"drops semgrep rules {', '.join(dropped)}",
                lambda f: f.checker == "code" and "semgrep" in f.rule.tags,
            ))
    if checker == "image" and before.get("show_unimportant") and not after.get(
            "show_unimportant"):
        out.append(Weakening(rel, head.line("checkers", "image", "show_unimportant"),
                             "hides advisories Debian rates unimportant", None))
    return out


def _matches(globs: Sequence[str], path: str) -> bool:
    from hullscan.core.globs import match_any

    return match_any(list(globs), path)


# --- the tools' configuration files -----------------------------------------------------------


def _yaml(data: bytes | None) -> Any:
    if not data:
        return None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(data.decode("utf-8", "replace"))
    except YAMLError:
        return None


def _first_changed_line(base: bytes | None, head: bytes | None) -> int:
    old = (base or b"").decode("utf-8", "replace").splitlines()
    new = (head or b"").decode("utf-8", "replace").splitlines()
    for number, line in enumerate(new, 1):
        if number > len(old) or old[number - 1] != line:
            return number
    return max(1, len(new))


def _line_with(head: bytes | None, needle: str, default: int) -> int:
    for number, line in enumerate((head or b"").decode("utf-8", "replace").splitlines(), 1):
        if needle in line:
            return number
    return default


def tool_weakenings(
    tool: str, rel: str, base: bytes | None, head: bytes | None
) -> list[Weakening]:
    """What a change to a tool's configuration file would weaken."""
    if head is None:
        return []  # deleting the file brings back the tool's defaults
    line = _first_changed_line(base, head)
    if tool == "hadolint":
        before, after = _yaml(base) or {}, _yaml(head)
        if not isinstance(after, dict):
            return [Weakening(rel, line, f"replaces hadolint's configuration ({rel}) with one "
                              "hullscan cannot read", lambda f: f.rule.id.startswith("DL"))]
        before = before if isinstance(before, dict) else {}
        out: list[Weakening] = []
        ignored = _strings(after.get("ignored")) - _strings(before.get("ignored"))
        if ignored:
            first = sorted(ignored)[0]
            out.append(Weakening(
                rel, _line_with(head, first, line),
                f"makes hadolint ignore {', '.join(sorted(ignored))}",
                lambda f, i=frozenset(ignored): f.rule.id in i,  # type: ignore[misc]
            ))
        overrides_after: dict[str, Any] = _mapping(after.get("override"))
        overrides_before: dict[str, Any] = _mapping(before.get("override"))
        lowered: set[str] = set()
        for level in ("info", "style"):
            lowered |= _strings(overrides_after.get(level)) - _strings(
                overrides_before.get(level))
        if lowered:
            out.append(Weakening(
                rel, _line_with(head, sorted(lowered)[0], line),
                f"lowers hadolint's severity of {', '.join(sorted(lowered))}",
                lambda f, i=frozenset(lowered): f.rule.id in i,  # type: ignore[misc]
            ))
        trusted = _strings(after.get("trustedRegistries")) - _strings(
            before.get("trustedRegistries"))
        if trusted and before.get("trustedRegistries"):
            out.append(Weakening(rel, _line_with(head, sorted(trusted)[0], line),
                                 f"trusts registries {', '.join(sorted(trusted))} in hadolint",
                                 lambda f: f.rule.id == "DL3026"))
        return out
    # zizmor and anything else: its rules can be disabled or ignored in many ways; any change
    # is for the owners of the policy to review
    return [Weakening(rel, line, f"changes {tool}'s configuration ({rel}), which can disable "
                      f"or ignore {tool}'s rules",
                      lambda f, t=tool: t in f.rule.tags or  # type: ignore[misc]
                      f.rule.id.startswith(f"{t}/"))]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    if isinstance(value, str):
        return {value}
    return set()


def semgrep_weakenings(config: Config, root: Path, tree: Path) -> list[Weakening]:
    """Rules of the base configuration's semgrep rule files that the change removes or edits
    (semgrep reads those files from the base commit in pull-request mode)."""
    out: list[Weakening] = []
    for entry in config.checker("code").options.get("semgrep_rules", ()):
        for rel in _rule_files(tree, str(entry)):
            base_rules = _semgrep_rules(_read_bytes(tree / rel))
            head_bytes = _read_bytes(root / rel)
            head_rules = _semgrep_rules(head_bytes)
            changed = sorted(rid for rid, body in base_rules.items()
                             if head_rules.get(rid) != body)
            if not changed:
                continue
            hides = _semgrep_hides(frozenset(changed))
            if head_bytes is None:  # deleted: the finding goes on the configuration's line
                out.append(Weakening(config.path or CONFIG_NAME,
                                     config.line("checkers", "code", "semgrep_rules"),
                                     f"deletes semgrep rule file {rel}", hides))
            else:
                out.append(Weakening(rel, _line_with(head_bytes, changed[0], 1),
                                     f"removes or edits semgrep rule(s) {', '.join(changed)}",
                                     hides))
    return out


def _semgrep_hides(ids: frozenset[str]) -> Callable[[Finding], bool]:
    return lambda f: f.checker == "code" and any(f.rule.id.endswith(i) for i in ids)


def _rule_files(tree: Path, entry: str) -> Iterable[str]:
    path = tree / entry
    if path.is_file():
        yield Path(entry).as_posix()
    elif path.is_dir():
        for file in sorted(path.rglob("*")):
            if file.suffix in (".yml", ".yaml") and file.is_file():
                yield file.relative_to(tree).as_posix()


def _semgrep_rules(data: bytes | None) -> dict[str, str]:
    import json

    loaded = _yaml(data)
    rules = loaded.get("rules") if isinstance(loaded, dict) else None
    if not isinstance(rules, list):
        return {}
    return {str(r.get("id")): json.dumps(r, sort_keys=True, default=str)
            for r in rules if isinstance(r, dict)}


# --- findings ---------------------------------------------------------------------------------


def weakening_findings(
    weakenings: Sequence[Weakening], findings: Sequence[Finding]
) -> list[Finding]:
    """One HS002 finding per weakening, with what it would have hidden of `findings`."""
    out = []
    for weakening in weakenings:
        hidden = [f for f in findings if weakening.hides is not None and weakening.hides(f)]
        listed = [f"{f.rule.id} {f.location.path}:{f.location.start_line}"
                  for f in hidden[:HIDE_LIMIT]]
        message = (f"this change weakens the check: {weakening.what}; not applied in "
                   "pull-request mode (review it, or merge it on its own first)")
        if hidden:
            message += f"; it would hide {len(hidden)} finding(s) of this scan"
        out.append(Finding(
            rule=WEAKENED_CHECK,
            checker=POLICY_CHECKER,
            severity=WEAKENED_CHECK.default_severity,
            message=message,
            location=Location(weakening.path, max(1, weakening.line)),
            fingerprint_basis=f"{weakening.path}|{weakening.what}",
            properties={WOULD_HIDE: listed, WOULD_HIDE_COUNT: len(hidden)} if hidden else {},
        ))
    return out

"""Version orderings against the real tools.

* RPM: thousands of generated `[epoch:]version[-release]` pairs compared by
  `hullscan.vuln.versions.compare("Rocky Linux:9", ...)` and by rpm itself (Debian's
  python3-rpm for /usr/bin/python3: `rpm.ver` splits the string as rpm does, `rpm.labelCompare`
  orders), all pairs in ONE subprocess.
* Debian: thousands of generated pairs compared by `compare("Debian:12", ...)` and by apt's
  `apt_pkg.version_compare` (python3-apt, one subprocess), or by batched `dpkg
  --compare-versions` calls when python3-apt is missing; a sample is always checked against
  dpkg itself when dpkg is there.
* Alpine: no apk tool is packaged for Debian, so a table of apk-tools' own orderings (rows of
  its test/version.data, and the suffix order of its src/version.c).

Without the reference tool a test is skipped, except under CI (the CI variable set), where it
fails.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from hullscan.vuln.versions import VersionError, compare

SYSTEM_PYTHON = "/usr/bin/python3"
RPM_PAIRS = 5000
DEB_PAIRS = 5000
DPKG_SAMPLE = 300  # pairs also checked with dpkg --compare-versions (about 3 ms per call)
DPKG_FALLBACK_PAIRS = 2000  # when python3-apt is missing: dpkg alone, under ~20 s


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available")


def _system_python_has(module: str) -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", f"import {module}"], capture_output=True,
                           check=False, timeout=60)
    return probe.returncode == 0


def _run_json(script: str, payload: object) -> list[object]:
    done = subprocess.run([SYSTEM_PYTHON, "-c", script], input=json.dumps(payload), text=True,
                          capture_output=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert isinstance(result, list)
    return result


def _ours(ecosystem: str, a: str, b: str) -> int | str:
    try:
        return compare(ecosystem, a, b)
    except VersionError:
        return "invalid"


def _pairs(make: Callable[[random.Random], str], mutate: Callable[[random.Random, str], str],
           count: int, seed: int) -> list[tuple[str, str]]:
    """Deterministic pairs: most are a version and a near neighbour of it (so comparisons get
    past the first segment), some are two independent versions, some are equal."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    while len(out) < count:
        a = make(rng)
        roll = rng.random()
        b = a if roll < 0.05 else mutate(rng, a) if roll < 0.75 else make(rng)
        if a and b and not any(c.isspace() for c in a + b):
            out.append((a, b) if rng.random() < 0.5 else (b, a))
    return out


def _report(mismatches: Sequence[str], total: int) -> str:
    return f"{len(mismatches)} of {total} pairs differ, e.g.:\n" + "\n".join(mismatches[:25])


# --- RPM -------------------------------------------------------------------------------------

_RPM_WORDS = ["el9", "el9_3", "el8_10", "fc39", "rc", "rc1", "beta", "alpha", "git", "svn",
              "module+el8.6.0+1234+abcdef12", "mga9", "oe2203sp1", "azl3", "ph5", "a", "b", "Z",
              "p", "pre", "post", "x86", "dev", "snap20230101", "20231201git1a2b3c"]
_RPM_SEPARATORS = [".", ".", ".", ".", "", "_", "+", "~", "^", "~~", "^^", ".~", "~.", "^.", "%",
                   "", "é"]


def _rpm_segment(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        number = str(rng.choice([0, 1, 2, 3, 9, 10, 11, 99, 100, 2023, 20231231])
                     if rng.random() < 0.7 else rng.randrange(10 ** rng.randint(1, 20)))
        return "0" * rng.randint(1, 3) + number if rng.random() < 0.12 else number
    if roll < 0.8:
        return "".join(rng.choice("abcdefgxyzABZ") for _ in range(rng.randint(1, 4)))
    return rng.choice(_RPM_WORDS)


def _rpm_part(rng: random.Random, segments: int) -> str:
    out = []
    for i in range(rng.randint(1, segments)):
        out.append(_rpm_segment(rng))
        if i + 1 < segments or rng.random() < 0.15:
            out.append(rng.choice(_RPM_SEPARATORS))
    return "".join(out)


def _rpm_version(rng: random.Random) -> str:
    text = _rpm_part(rng, 5)
    if rng.random() < 0.8:
        text += "-" + _rpm_part(rng, 3)
    if rng.random() < 0.05:
        text += "-" + _rpm_part(rng, 2)  # a second hyphen: rpm splits at the last one
    if rng.random() < 0.3:
        text = rng.choice(["0", "1", "2", "10", "01", "00", ""]) + ":" + text
    return text


def _rpm_mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 2)):
        at = rng.randrange(len(text) + 1)
        roll = rng.random()
        if roll < 0.3:
            piece = rng.choice(["~", "^", ".", "a", "0", "1", "_", "~rc1", "^git1", ".0", "00",
                                ":", "-"])
            text = text[:at] + piece + text[at:]
        elif roll < 0.45 and len(text) > 1:
            text = text[:at] + text[at + 1:]
        elif roll < 0.7:
            text += rng.choice(["", ".1", "~", "^", "a", ".0", "_1", "-1", "-2", "~~", "^1"])
        else:
            text = text.replace(rng.choice("0123456789.abc~^"), rng.choice("0123456789.abc~^"),
                                1)
    return text


_RPM_SCRIPT = r"""
import json, sys, rpm
out = []
for a, b in json.load(sys.stdin):
    try:
        x, y = rpm.ver(a), rpm.ver(b)
        out.append(rpm.labelCompare((x.e, x.v, x.r), (y.e, y.v, y.r)))
    except (ValueError, TypeError):
        out.append("invalid")
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def rpm_pairs() -> list[tuple[str, str]]:
    return _pairs(_rpm_version, _rpm_mutate, RPM_PAIRS, seed=20240501)


def test_rpm_pairs_are_varied(rpm_pairs: list[tuple[str, str]]) -> None:
    joined = "".join(a + b for a, b in rpm_pairs)
    for feature in ("~", "^", ":", "-", "_", "+", "00"):
        assert feature in joined
    assert len(set(rpm_pairs)) > RPM_PAIRS * 0.9
    ours = [_ours("Rocky Linux:9", a, b) for a, b in rpm_pairs]
    assert {-1, 0, 1} <= set(ours)


def test_rpm_ordering_matches_rpm(rpm_pairs: list[tuple[str, str]]) -> None:
    if not _system_python_has("rpm"):
        _missing("python3-rpm for /usr/bin/python3")
    reference = _run_json(_RPM_SCRIPT, rpm_pairs)
    assert len(reference) == len(rpm_pairs)
    mismatches = []
    for (a, b), want in zip(rpm_pairs, reference, strict=True):
        got = _ours("Rocky Linux:9", a, b)
        if got != want:
            mismatches.append(f"{a!r} vs {b!r}: hullscan {got}, rpm {want}")
    assert not mismatches, _report(mismatches, len(rpm_pairs))
    # The same ordering for every RPM ecosystem name.
    for ecosystem in ("AlmaLinux:8", "Red Hat:enterprise_linux:9::appstream", "openSUSE:Leap 15.5",
                      "SUSE:Linux Enterprise Server 15 SP5", "Mageia:9", "openEuler:22.03-LTS",
                      "Azure Linux:3", "Photon OS:5.0"):
        assert compare(ecosystem, "1:1.0-1", "2.0-1") == 1


# Rows of rpm's own tests/rpmvercmp.at (rpm.vercmp of two strings), so the ordering is checked
# even where python3-rpm is missing.
RPMVERCMP_AT = [
    ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0.1", "2.0", 1), ("2.0.1a", "2.0.1", 1),
    ("5.5p1", "5.5p2", -1), ("5.5p1", "5.5p10", -1), ("10xyz", "10.1xyz", -1),
    ("xyz10", "xyz10.1", -1), ("xyz.4", "8", -1), ("2", "xyz.4", 1), ("5.5p2", "5.6p1", -1),
    ("6.0.rc1", "6.0", 1), ("10b2", "10a1", 1), ("1.0a", "1.0aa", -1), ("10.0001", "10.1", 0),
    ("10.0001", "10.0039", -1), ("4.999.9", "5.0", -1), ("20101121", "20101122", -1),
    ("2.0", "2_0", 0), ("a+", "a_", 0), ("+a", "_a", 0), ("_+", "+_", 0), ("+", "_", 0),
    ("1.0~rc1", "1.0", -1), ("1.0~rc1", "1.0~rc2", -1), ("1.0~rc1~git123", "1.0~rc1", -1),
]


@pytest.mark.parametrize(("a", "b", "expected"), RPMVERCMP_AT)
def test_rpm_rpmvercmp_table(a: str, b: str, expected: int) -> None:
    assert compare("Rocky Linux:9", a, b) == expected
    assert compare("Rocky Linux:9", b, a) == -expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("1.0-1.el9", "1.0-1.el9_1", -1),  # release compared with rpmvercmp
    ("0:1.0-1", "1.0-1", 0),  # a missing epoch is 0
    ("1:1.0-1", "9.9-9", 1),
    ("1.0", "1.0-1", -1),  # a missing release sorts below any release
    ("1.0-1-2", "1.0-1-1", 1),  # the release follows the LAST hyphen: "2" vs "1"
    ("1.0-2-1", "1.0-1.9", 1),  # versions "1.0-2" > "1.0-1"
    ("a:1.0", "a.1.0", 0),  # no epoch unless digits come before the colon
    ("1.0^git1", "1.0", 1), ("1.0^git1", "1.0.1", -1), ("1.0~rc1^git1", "1.0~rc1", 1),
])
def test_rpm_evr_rules(a: str, b: str, expected: int) -> None:
    assert compare("AlmaLinux:9", a, b) == expected


@pytest.mark.parametrize("text", ["1:", "-1", "2:-1", ""])
def test_rpm_without_a_version_part(text: str) -> None:
    with pytest.raises(VersionError):
        compare("Rocky Linux:9", text, "1.0")


# --- Debian ----------------------------------------------------------------------------------

_DEB_WORDS = ["a", "b", "rc", "beta", "dfsg", "git", "ds", "really", "Z", "~", "ubuntu",
              "deb12u1", "build", "nmu", "bpo"]


def _deb_upstream(rng: random.Random) -> str:
    first = rng.choice([0, 1, 2, 3, 9, 10, 20231201]) if rng.random() < 0.7 else \
        rng.randrange(10 ** rng.randint(1, 12))
    out = [str(first)]
    for _ in range(rng.randint(0, 4)):
        sep = rng.choice([".", ".", ".", "+", "~", "", "-", "~~"])
        roll = rng.random()
        part = str(rng.randrange(300)) if roll < 0.5 else rng.choice(_DEB_WORDS) \
            if roll < 0.8 else rng.choice(["0", "00", "007", "1a", "a1", "1~", "1+"])
        out.append(sep + part)
    return "".join(out)


def _deb_version(rng: random.Random) -> str:
    text = _deb_upstream(rng)
    if rng.random() < 0.7:
        text += "-" + rng.choice(["1", "2", "0ubuntu1", "1+deb12u1", "1~bpo11+1", "3build1",
                                  "1.1", "0+b1", "1ubuntu0.22.04.1", "10~", "a", "1~"])
    if rng.random() < 0.25:
        text = rng.choice(["0", "1", "2", "10", "01"]) + ":" + text
    return text


def _deb_mutate(rng: random.Random, text: str) -> str:
    at = rng.randrange(1, len(text) + 1)
    roll = rng.random()
    if roll < 0.3:
        return text[:at] + rng.choice(["~", "+", ".", "a", "0", "1", "~rc1", "+b1", "00"]) + \
            text[at:]
    if roll < 0.55:
        return text + rng.choice(["~", "+b1", ".0", "-1", "a", "~~", "+", "0", "-0"])
    if roll < 0.7 and len(text) > 2:
        return text[:at] + text[at + 1:]
    return text.replace(rng.choice("0123456789.~+a"), rng.choice("0123456789.~+a"), 1)


_APT_SCRIPT = r"""
import json, sys, apt_pkg
apt_pkg.init_system()
out = []
for a, b in json.load(sys.stdin):
    r = apt_pkg.version_compare(a, b)
    out.append((r > 0) - (r < 0))
print(json.dumps(out))
"""

# One shell, one dpkg call per question: -1/0/1, or "invalid" when dpkg refuses a version.
_DPKG_COMPARE = r"""
while read -r a b; do
  dpkg --compare-versions "$a" lt "$b" 2>/dev/null; r=$?
  if [ $r -eq 0 ]; then echo -1
  elif [ $r -eq 1 ]; then
    if dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0; else echo 1; fi
  else echo invalid; fi
done
"""
# 0: valid; otherwise dpkg warns about or refuses the version.
_DPKG_VALIDATE = r"""
while read -r v; do
  if dpkg --validate-version "$v" >/dev/null 2>&1; then echo 0; else echo 1; fi
done
"""


def _dpkg(script: str, lines: Sequence[str]) -> list[str]:
    done = subprocess.run(["sh", "-c", script], input="".join(f"{line}\n" for line in lines),
                          text=True, capture_output=True, check=True, timeout=120)
    out = done.stdout.split()
    assert len(out) == len(lines)
    return out


@pytest.fixture(scope="module")
def deb_pairs() -> list[tuple[str, str]]:
    return _pairs(_deb_version, _deb_mutate, DEB_PAIRS, seed=20240502)


def test_debian_ordering_matches_dpkg(deb_pairs: list[tuple[str, str]]) -> None:
    dpkg = shutil.which("dpkg")
    pairs = deb_pairs
    reference: list[object]
    if _system_python_has("apt_pkg"):
        reference = _run_json(_APT_SCRIPT, pairs)
        if dpkg:  # apt's answer is dpkg's answer on a sample (of versions hullscan reads)
            readable = [i for i, (a, b) in enumerate(pairs)
                        if _ours("Debian:12", a, b) != "invalid"]
            sample = random.Random(7).sample(readable, DPKG_SAMPLE)
            answers = _dpkg(_DPKG_COMPARE, [" ".join(pairs[i]) for i in sample])
            disagree = [f"{pairs[i]}: apt {reference[i]}, dpkg {ans}"
                        for i, ans in zip(sample, answers, strict=True)
                        if ans != "invalid" and int(ans) != reference[i]]
            assert not disagree, disagree[:10]
    elif dpkg:
        pairs = pairs[:DPKG_FALLBACK_PAIRS]
        reference = [a if a == "invalid" else int(a)
                     for a in _dpkg(_DPKG_COMPARE, [" ".join(p) for p in pairs])]
    else:
        _missing("python3-apt for /usr/bin/python3 or dpkg")
        return
    mismatches = []
    refused: set[str] = set()
    for (a, b), want in zip(pairs, reference, strict=True):
        got = _ours("Debian:12", a, b)
        if got == "invalid":
            refused.update(v for v in (a, b) if _ours("Debian:12", v, v) == "invalid")
            continue
        if want != "invalid" and got != want:
            mismatches.append(f"{a!r} vs {b!r}: hullscan {got}, dpkg {want}")
    assert not mismatches, _report(mismatches, len(pairs))
    assert len(refused) < len(pairs) * 0.05
    # hullscan refuses only versions dpkg itself warns about or refuses. Known exception: dpkg
    # reads the epoch with strtol, so it takes a sign (`+1:2.0` is epoch 1); hullscan refuses it.
    refused = {v for v in refused if not v.startswith("+")}
    if dpkg and refused:
        checked = sorted(refused)[:300]
        verdicts = _dpkg(_DPKG_VALIDATE, checked)
        accepted = [v for v, ok in zip(checked, verdicts, strict=True) if ok == "0"]
        assert not accepted, f"dpkg accepts versions hullscan refuses: {accepted[:10]}"


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("1.0~rc1-1", "1.0-1", -1), ("1.0-1", "1.0+b1-1", -1), ("1:0.9", "2.0", 1),
    ("1.0", "1.0-0", 0), ("1.0a", "1.0+", -1), ("1.0~~", "1.0~", -1),
    ("2.30-1ubuntu1", "2.30-1", 1),
])
def test_debian_policy_examples(a: str, b: str, expected: int) -> None:
    assert compare("Debian:12", a, b) == expected


# --- Alpine ------------------------------------------------------------------------------------

# Rows of apk-tools' test/version.data (alpinelinux/apk-tools): `a op b` as apk orders them.
APK_VERSION_DATA = """
2.34 > 0.1.0_alpha
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
1.0.4-r3 < 1.0.4-r4
1.0.2 > 0.7-r1
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.3_alpha < 1.3_alpha2
0.8_beta1 < 0.8_beta2
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
0.12.3 > 0.12
0.13_beta4 < 0.13_beta5
1.2.12.1 < 1.2.13
3.1_p16 < 3.1_p17
1.06-r6 < 006
006 > 1.0.0
1.2.2-r1 > 1.2.2
9.3.4-r2 > 9.3.4
2.59 < 20050718-r1
2.01.01_alpha10 > 0.94
1.0 > 0.99.3.20040818
1.00_beta2 > 0.9.2
4.2.52_p2-r1 < 4.2.52_p4-r2
1.02.07 < 1.02.10-r1
2.18.3-r10 > 1.05-r18
1.05-r18 < 1.05-r19
20060720 > 3.0.20060720
2.5.1-r8 < 2.5.1a-r1
1.3.5-r10 > 1.3.5-r8
20040401 > 2.0.0_rc3-r1
021109-r3 < 20060512
3.9_pre20060124 > 0.01
1.1.7 < 6b-r7
0.10.0 < 0.10.1_rc1
0.9.11 < 394
1.1a < 1.3a
1.0-r1 > 0.15.1b
0.15.1b-r2 > 0.15.1b
22.7.3-r1 > 22.7
2.1_pre20 < 2.1_pre26
2.10.1 > 02.08.01b
02.08.01b < 4.77
8.1.2.20050715-r1 < 20030215
3.81 > 1.6d
1.6d > 1.2.07.8
1.2.07.8 < 1.2.12.04
1.2.12.04 < 1.2.12.05
1.07-r1 < 1.07.5
1.07.5 > 1.07
0.1_pre20060810 < 0.1_pre20060817
3.3.17 > 0.59s-r11
0.59s-r11 < 0.65
4.20 > 0.20070118
0.20070118 < 0.20070207_rc1
0.20070207_rc1 < 1.0
3.7_p1 > 1.3
4.5_p1-r1 > 4.5_p1
0.9.8c-r1 < 0.9.8d
2.2.3-r2 < 013
013 < 014-r1
1.7 < 1.7b
1.8.5 < 1.8.5_p2
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.6.8_p12-r1 > 1.6.8_p9-r2
0.9.28.1 > 0.9.28
0.9.28.1 < 087-r1
104-r11 > 104-r9
1.2.5_rc2 > 0.1
20040406-r1 > 2.12r-r4
2.12r-r4 < 2.12r-r5
7.0.17 < 7.0.174
0.3.4_pre20061029 < 0.4.0
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
6.0_pre1 < 6.0
6.1_pre1 < 6.1
6.0_p1 > 6.0
6.1_p1 > 6.1
"""

# From apk-tools' src/version.c: the suffix order (alpha < beta < pre < rc < none < cvs < svn
# < git < hg < p), a component with a leading zero compares as a string, `~hash` compares as a
# string; where the versions stop agreeing on the kind of token, the one whose next token comes
# earlier in the order digit, letter, suffix, suffix number, ~hash, -rN, end is the newer.
APK_VERSION_C = """
1.0_alpha < 1.0_beta
1.0_beta < 1.0_pre
1.0_pre < 1.0_rc
1.0_rc < 1.0
1.0 < 1.0_cvs
1.0_cvs < 1.0_svn
1.0_svn < 1.0_git
1.0_git < 1.0_hg
1.0_hg < 1.0_p
0_git20230101-r0 < 0_git20230102-r0
1.0_git20230101 > 1.0
1.0_rc1 < 1.0_rc10
8.2.0015 < 8.2.002
1.05 < 1.5
1.0~abc123 < 1.0~abc124
1.0~abc123 > 1.0
1.0~abc123 > 1.0-r1
1.0-r1 < 1.0.1
1.0a < 1.0.1
1.0-r9 < 1.0-r10
"""


def _rows(text: str) -> list[tuple[str, str, int]]:
    rows = []
    for line in text.strip().splitlines():
        a, op, b = line.split()
        rows.append((a, b, {"<": -1, "=": 0, ">": 1}[op]))
    return rows


@pytest.mark.parametrize(("a", "b", "expected"),
                         _rows(APK_VERSION_DATA) + _rows(APK_VERSION_C))
def test_apk_ordering(a: str, b: str, expected: int) -> None:
    for ecosystem in ("Alpine:v3.19", "Wolfi", "Chainguard"):
        assert compare(ecosystem, a, b) == expected
        assert compare(ecosystem, b, a) == -expected


# apk-tools' version.data marks `1.0bc` and `23_foo` invalid; version.c refuses the others.
@pytest.mark.parametrize("text", ["1.0bc", "23_foo", "1.0-1", "1.0-r1_p1", "1.0_p1.2", "a1",
                                  "1.0~", "1.0~xyz", "1..0", "1.0b1", "1.0-r", "1.0_"])
def test_apk_invalid_versions(text: str) -> None:
    with pytest.raises(VersionError):
        compare("Alpine:v3.19", text, "1.0")

"""Validate the SARIF hullscan writes for examples/ with Microsoft's SARIF Multitool.

Installs @microsoft/sarif-multitool from npm into a temporary folder, calls its Linux binary
directly (the npx wrapper runs through a shell and splits "Gh;Sarif" at the semicolon), and
fails on any error-level result. A deliberately broken SARIF is checked first, so this check is
known to be able to fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def install(folder: Path) -> Path:
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder),
         "@microsoft/sarif-multitool"],
        check=True,
    )
    binary = folder / "node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
    binary.chmod(binary.stat().st_mode | 0o100)  # npm 11 skips the postinstall that does this
    return binary


def errors(binary: Path, sarif: Path, work: Path) -> list[str]:
    out = work / f"{sarif.stem}.validation.sarif"  # must not exist yet
    out.unlink(missing_ok=True)
    subprocess.run(
        [str(binary), "validate", "--rule-kind", "Gh;Sarif", "-o", str(out), str(sarif)],
        check=False, stdout=subprocess.DEVNULL,
    )
    log = json.loads(out.read_text("utf-8-sig"))
    found = []
    for run in log.get("runs", []):
        for result in run.get("results", []):
            if result.get("level", "warning") == "error":
                message = result.get("message", {})
                found.append(f"{result.get('ruleId')}: {json.dumps(message)}")
    return found


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        binary = install(work / "npm")
        # Offline, with the examples' demo OSV data, as the README's main job runs.
        env = dict(os.environ, HULLSCAN_OFFLINE="1", HULLSCAN_OSV_DB=str(work / "demo.sqlite3"))
        subprocess.run([sys.executable, "-m", "hullscan", "db", "import", "examples/osv-demo"],
                       cwd=PROJECT, check=True, env=env, stdout=subprocess.DEVNULL)
        produced = []
        for name, target in (("insecure", "examples/insecure-app"),
                             ("hardened", "examples/hardened-app"),
                             ("examples", "examples")):
            sarif = work / f"{name}.sarif"
            proc = subprocess.run(
                [sys.executable, "-m", "hullscan", "scan", target, "--sarif", str(sarif), "-q"],
                cwd=PROJECT, check=False, stdout=subprocess.DEVNULL, env=env,
            )
            if proc.returncode not in (0, 1):
                print(f"hullscan scan {target} exited {proc.returncode}")
                return 1
            produced.append(sarif)
        # the other writers: shards combined by `hullscan merge`, and a baseline comparison
        # (results with baselineState)
        shards = []
        for index in (1, 2):
            shard = work / f"shard{index}.sarif"
            subprocess.run(
                [sys.executable, "-m", "hullscan", "scan", "examples", "--shard", f"{index}/2",
                 "--sarif", str(shard), "-q"],
                cwd=PROJECT, check=False, stdout=subprocess.DEVNULL, env=env,
            )
            shards.append(str(shard))
        merged = work / "merged.sarif"
        subprocess.run([sys.executable, "-m", "hullscan", "merge", *shards, "-o", str(merged),
                        "-q"], cwd=PROJECT, check=True, env=env)
        produced.append(merged)
        baseline = work / "baseline.json"
        subprocess.run([sys.executable, "-m", "hullscan", "baseline", "write",
                        "examples/insecure-app/Dockerfile", "-o", str(baseline), "-q"],
                       cwd=PROJECT, check=True, env=env)
        compared = work / "compared.sarif"
        subprocess.run([sys.executable, "-m", "hullscan", "scan", "examples/insecure-app",
                        "--baseline", str(baseline), "--sarif", str(compared), "-q"],
                       cwd=PROJECT, check=False, stdout=subprocess.DEVNULL, env=env)
        produced.append(compared)
        # the image checker, on the examples' demo image
        demo_image = work / "demo-image.tar"
        subprocess.run([sys.executable, "examples/demo-image/build.py", str(demo_image)],
                       cwd=PROJECT, check=True, stdout=subprocess.DEVNULL)
        image_sarif = work / "image.sarif"
        subprocess.run([sys.executable, "-m", "hullscan", "image",
                        f"docker-archive:{demo_image}", "--dockerfile",
                        "examples/insecure-app/Dockerfile", "--sarif", str(image_sarif), "-q"],
                       cwd=PROJECT, check=False, stdout=subprocess.DEVNULL, env=env)
        produced.append(image_sarif)

        broken = json.loads(produced[0].read_text())
        broken["runs"][0]["results"][0]["locations"] = []
        broken_path = work / "broken.sarif"
        broken_path.write_text(json.dumps(broken))
        if not errors(binary, broken_path, work):
            print("the Multitool reported nothing on a broken SARIF: the check cannot fail")
            return 1

        failed = False
        for sarif in produced:
            found = errors(binary, sarif, work)
            results = sum(len(r["results"]) for r in json.loads(sarif.read_text())["runs"])
            print(f"{sarif.name}: {results} results, {len(found)} Multitool errors")
            for line in found:
                print(f"  {line}")
            failed = failed or bool(found)
        return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

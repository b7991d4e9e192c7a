"""hullscan iac against raw checkov on the same generated tree, in the same run.

Generates a tree of a few hundred Terraform and Kubernetes files (half of them with problems),
then times, alternating:
  - raw `checkov -d TREE --framework terraform kubernetes --skip-download -o json --quiet`
  - `hullscan iac TREE`
  - raw `checkov -f ONE.yaml --framework kubernetes --skip-download -o json --quiet`
  - the pre-commit hook `hullscan-hook-iac ONE.yaml` (one changed Kubernetes file)
and prints medians and ratios. Targets: full tree <= 1.1x raw checkov; one changed Kubernetes
file <= 0.5x raw `checkov -f`.

Usage: python benchmarks/iac.py [--files N] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

K8S = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{n}
spec:
  selector:
    matchLabels: {{app: app{n}}}
  template:
    metadata:
      labels: {{app: app{n}}}
    spec:
      hostNetwork: {bad}
      containers:
        - name: app
          image: registry.example.com/app{n}:1.{n}
          securityContext:
            privileged: {bad}
"""
TF = """resource "aws_security_group" "sg{n}" {{
  name        = "sg{n}"
  description = "sg{n}"
  ingress {{
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["{cidr}"]
  }}
}}

resource "aws_s3_bucket_public_access_block" "b{n}" {{
  bucket            = "b{n}"
  block_public_acls = {acl}
}}
"""


def generate(root: Path, count: int) -> Path:
    for n in range(count):
        bad = n % 2 == 0
        k8s = root / f"k8s/team{n % 10}/app{n}.yaml"
        k8s.parent.mkdir(parents=True, exist_ok=True)
        k8s.write_text(K8S.format(n=n, bad=str(bad).lower()))
        tf = root / f"tf/module{n % 20}/main{n}.tf"
        tf.parent.mkdir(parents=True, exist_ok=True)
        tf.write_text(TF.format(n=n, cidr="0.0.0.0/0" if bad else "10.0.0.0/8",
                                acl=str(not bad).lower()))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root / "k8s/team0/app0.yaml"


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=150, help="files per kind")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scripts = Path(sysconfig.get_path("scripts"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one = generate(root, args.files)
        common = ["--skip-download", "-o", "json", "--quiet", "--compact"]
        commands = {
            "checkov -d (tree)": [str(scripts / "checkov"), "-d", ".", "--framework",
                                  "terraform", "kubernetes", *common],
            "hullscan iac (tree)": [str(scripts / "hullscan"), "iac", "."],
            "checkov -f (one file)": [str(scripts / "checkov"), "-f", str(one), "--framework",
                                      "kubernetes", *common],
            "hullscan-hook-iac (one file)": [str(scripts / "hullscan-hook-iac"), str(one)],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                samples[name].append(timed(argv, root))
        med = {name: statistics.median(values) for name, values in samples.items()}
        print(f"{args.files} Terraform + {args.files} Kubernetes files, {args.runs} runs each")
        for name, value in med.items():
            print(f"  {name:30s} median {value:6.2f} s")
        tree = med["hullscan iac (tree)"] / med["checkov -d (tree)"]
        single = med["hullscan-hook-iac (one file)"] / med["checkov -f (one file)"]
        print(f"tree ratio {tree:.2f}x (target <= 1.1x); "
              f"one-file hook ratio {single:.2f}x (target <= 0.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

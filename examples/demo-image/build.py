"""Build the demo image of examples/insecure-app as a `docker save` archive, without Docker.

The layers mirror the final stage of examples/insecure-app/Dockerfile (an Ubuntu 22.04 base,
`apt-get install` of openssh-server, sudo and curl, a copied SSH key, the app), so that
`hullscan image` shows findings on that Dockerfile's lines. Package versions are real Ubuntu
ones; the advisories they match are the DEMO DATA in examples/osv-demo.

    python examples/demo-image/build.py OUT.tar
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

OS_RELEASE = (
    'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
    'VERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\n'
    "ID_LIKE=debian\n"
)
BASE_PACKAGES = [
    ("bash", "5.1-6ubuntu1.1", None),
    ("libc6", "2.35-0ubuntu3.6", "glibc"),
    ("libssl3", "3.0.2-0ubuntu1.14", "openssl"),
    ("zlib1g", "1:1.2.11.dfsg-2ubuntu9.2", "zlib"),
]
INSTALLED = [
    ("openssh-server", "1:8.9p1-3ubuntu0.6", "openssh"),
    ("openssh-client", "1:8.9p1-3ubuntu0.6", "openssh"),
    ("sudo", "1.9.9-1ubuntu2.3", None),
    ("curl", "7.81.0-1ubuntu1.15", None),
    ("libcurl4", "7.81.0-1ubuntu1.15", "curl"),
]
DEMO_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "DEMO-KEY-NOT-A-REAL-KEY-hullscan-example\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def status(packages: list[tuple[str, str, str | None]]) -> str:
    stanzas = []
    for name, version, source in packages:
        lines = [f"Package: {name}", "Status: install ok installed", "Architecture: amd64"]
        if source:
            lines.append(f"Source: {source}")
        lines.append(f"Version: {version}")
        stanzas.append("\n".join(lines))
    return "\n\n".join(stanzas) + "\n"


def layer(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def build(target: Path) -> Path:
    app = Path(__file__).resolve().parents[1] / "insecure-app"
    layers = [
        ("/bin/sh -c #(nop) ADD file:0b4aa6bd3e3e29ad in / ", layer({
            "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": status(BASE_PACKAGES)})),
        ("RUN |1 GITHUB_TOKEN=ghp_EXAMPLEexampleEXAMPLEexample0123456 /bin/sh -c apt-get update "
         "&& apt-get install -y openssh-server sudo curl # buildkit",
         layer({"var/lib/dpkg/status": status(BASE_PACKAGES + INSTALLED)})),
        ("COPY id_rsa /root/.ssh/id_rsa # buildkit", layer({"root/.ssh/id_rsa": DEMO_KEY})),
        ("COPY . /app # buildkit", layer({
            "app/app.py": (app / "app.py").read_text(),
            "app/requirements.txt": (app / "requirements.txt").read_text()})),
        ("RUN /bin/sh -c chmod -R 777 /app # buildkit", layer({})),
    ]
    empty = {1: '/bin/sh -c #(nop)  CMD ["/bin/bash"]',
             2: "ENV DB_PASSWORD=hunter2-prod-2024 APP_ENV=production",
             3: "ARG GITHUB_TOKEN=ghp_EXAMPLEexampleEXAMPLEexample0123456"}
    history: list[dict[str, object]] = [{"created_by": created} for created, _ in layers]
    for position in sorted(empty):
        history.insert(position, {"created_by": empty[position], "empty_layer": True})
    history += [{"created_by": "EXPOSE map[22/tcp:{} 8080/tcp:{}]", "empty_layer": True},
                {"created_by": 'CMD ["python3" "/app/app.py"]', "empty_layer": True}]
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "DB_PASSWORD=hunter2-prod-2024", "APP_ENV=production"],
                   "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}},
                   "Cmd": ["python3", "/app/app.py"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(d).hexdigest() for _, d in layers]},
        "history": history,
    }, sort_keys=True).encode()
    members: list[tuple[str, bytes]] = []
    paths = []
    for _, data in layers:
        name = f"{hashlib.sha256(data).hexdigest()}/layer.tar"
        paths.append(name)
        members.append((name, data))
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    members.append((config_name, config))
    members.append(("manifest.json", json.dumps([{
        "Config": config_name, "RepoTags": ["hullscan-demo/insecure-app:latest"],
        "Layers": paths}]).encode()))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/demo-image.tar")))

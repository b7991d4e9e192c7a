"""`hullscan image REF`: the scan pipeline with the image checker alone."""

from __future__ import annotations

import argparse
from typing import Any

from hullscan.cli.common import EPILOG
from hullscan.cli.options import add_common_options, add_image_options
from hullscan.cli.scan import run_scan


def register(sub: Any) -> None:
    image = sub.add_parser(
        "image", help="check a container image: packages against OSV, configuration, layers",
        description="Inventory the OS packages (dpkg, apk, rpm) and language packages "
        "(Python, Node, Go, Java) of a container image without a Docker daemon, match them "
        "against OSV data, and audit the image (root user, secrets in Env, SSH, key files in "
        "any layer). REF: docker-archive:PATH (docker save output), oci:PATH[:TAG] (an OCI "
        "layout folder or tar), dir:PATH (an unpacked root filesystem), "
        "registry:NAME[:TAG|@DIGEST] (Registry API v2), docker:NAME (the local daemon), or a "
        "bare NAME[:TAG] (the daemon when one runs, else the registry).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    image.add_argument("reference", metavar="REF", help="the image")
    add_common_options(image)
    add_image_options(image, with_reference=False)
    image.set_defaults(checkers=("image",), paths=["."], handler=run_scan)

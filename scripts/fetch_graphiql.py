"""Fetch the GraphiQL IDE's browser assets from the npm registry into api/web/static/graphiql/.

Wenming serves GraphiQL from its own files, so /graphql works offline and on intranets that
block public CDNs. The versions are the ones strawberry's own page loads from unpkg; each file
is checked against the Subresource Integrity hash strawberry pins, so what is committed is
byte for byte what that page would have run. Run it again only to move to new versions (then
update PINS from strawberry's static/graphiql.html):

    .venv/bin/python scripts/fetch_graphiql.py
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
TARGET = Path(__file__).resolve().parents[1] / "api" / "web" / "static" / "graphiql"

# (package, version, file inside the package tarball, local name, sha384 SRI)
PINS = [
    ("react", "18.2.0", "umd/react.production.min.js", "react.production.min.js",
     "tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"),
    ("react-dom", "18.2.0", "umd/react-dom.production.min.js", "react-dom.production.min.js",
     "bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"),
    ("js-cookie", "3.0.5", "dist/js.cookie.min.js", "js.cookie.min.js",
     "/vxhYfM1LENRhdpZ8dwEsQn/X4VhpbEZSiU4m/FwR+PVpzar4fkEOw8FP9Y+OfQN"),
    ("graphiql", "3.8.3", "graphiql.min.css", "graphiql.min.css",
     "Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"),
    ("graphiql", "3.8.3", "graphiql.min.js", "graphiql.min.js",
     "HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"),
    ("@graphiql/plugin-explorer", "1.0.2", "dist/style.css", "plugin-explorer.css",
     "5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"),
    ("@graphiql/plugin-explorer", "1.0.2", "dist/index.umd.js", "plugin-explorer.umd.js",
     "2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"),
]


def tarball_url(package: str, version: str) -> str:
    short = package.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{package}/-/{short}-{version}.tgz"


def sri(data: bytes) -> str:
    return base64.b64encode(hashlib.sha384(data).digest()).decode()


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    tarballs: dict[str, tarfile.TarFile] = {}
    manifest = {}
    for package, version, inner, local, expected in PINS:
        url = tarball_url(package, version)
        if url not in tarballs:
            print(f"fetching {url}", file=sys.stderr)
            with urllib.request.urlopen(url, timeout=60) as response:
                tarballs[url] = tarfile.open(fileobj=io.BytesIO(response.read()), mode="r:gz")
        member = tarballs[url].extractfile(f"package/{inner}")
        assert member is not None, f"{package}@{version} has no {inner}"
        data = member.read()
        if sri(data) != expected:
            print(f"{package}@{version}/{inner}: sha384 {sri(data)} is not the pinned {expected}", file=sys.stderr)
            return 1
        (TARGET / local).write_bytes(data)
        manifest[local] = {"package": package, "version": version, "file": inner, "sha384": expected}
    (TARGET / "VERSIONS.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(PINS)} files to {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

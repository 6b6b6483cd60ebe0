"""What a report photo costs: upload-to-renditions time and peak memory for a 12-megapixel
phone photo, and a served rendition as a ratio to a plain static response of the same bytes.

    .venv/bin/python bench/bench_images.py [--photos 3] [--repeat 200]

1. **Processing** (`api/content/images.py: process`, what every upload runs in a worker thread):
   a 4000x3000 JPEG with EXIF orientation and GPS, made with Pillow (gradients and noise, so it
   compresses like a photo, 3-5 MB), processed `--photos` times in a fresh child process; the
   median seconds per photo and the child's peak RSS above its RSS after imports.
2. **Upload over HTTP**: the same photo posted to `POST /uploads/images` of the real app under
   uvicorn (a subprocess, SQLite, a temporary media folder): median seconds per upload, end to end.
3. **Serving**: `GET /images/<digest>/750.webp` against a bench-only plain route returning the same
   bytes from memory on the same server, over one keep-alive connection: medians and the ratio,
   and the `304` with `If-None-Match`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, median_ms, serving, timed  # noqa: E402


def photo(width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP JPEG that compresses like a photo, with EXIF orientation and a GPS position."""
    from PIL import ExifTags, Image

    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)
    picture = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: (24.0, 56.0, 10.0), 3: "E", 4: (118.0, 35.0, 20.0)})
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def child(path: str, photos: int) -> None:
    """Process the photo `photos` times; print seconds per photo and memory, as JSON."""
    from api.content import images

    data = Path(path).read_bytes()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = []
    for _ in range(photos):
        started = time.perf_counter()
        images.process(data)
        seconds.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rss_after_imports_mb": base / 1024, "peak_rss_mb": peak / 1024}))


def serve(url: str, port: int, media: str) -> None:
    import contextlib

    import uvicorn
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from api import db
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(database_url=url, public_url="https://wenming.example.org", graphiql=False, storage_dir=media,
                        rate_limit_per_minute=0, feed_rate_limit_per_minute=0)
    app = create_app(settings, manage_db=False)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await db.migrate(url)
        async with db.connected(url):
            yield

    app.router.lifespan_context = lifespan
    plain: dict[str, bytes] = {}

    async def plain_route(request: Request) -> Response:
        if request.method == "POST":
            plain["file"] = await request.body()
            return Response("stored")
        return Response(plain["file"], media_type="image/webp")

    async def token(request: Request) -> Response:
        from api.domain import accounts
        from api.domain.sites import create_site
        from api.models.accounts import Role
        from api.models.sites import SiteKind

        site = await create_site(kind=SiteKind.CENTER, name="基准中心")
        return Response((await accounts.create_token("bench", site=site, role=Role.EDITOR))[1])

    app.router.routes[:0] = [Route("/bench/plain", plain_route, methods=["GET", "POST"]),
                             Route("/bench/token", token, methods=["POST"])]
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "MEDIA"))
    parser.add_argument("--child", nargs=2, metavar=("PATH", "PHOTOS"))
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve[0], int(args.serve[1]), args.serve[2])
    if args.child:
        return child(args.child[0], int(args.child[1]))

    with tempfile.TemporaryDirectory() as tmp:
        data = photo()
        path = Path(tmp) / "photo.jpg"
        path.write_bytes(data)
        print(f"photo: 4000x3000 JPEG, {len(data) / 2**20:.1f} MiB, EXIF orientation 6 and GPS")
        out = subprocess.run([sys.executable, __file__, "--child", str(path), str(args.photos)], cwd=ROOT,
                             env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"process(): median {statistics.median(figures['seconds']):.2f} s per photo over {args.photos} "
              f"(all: {', '.join(f'{s:.2f}' for s in figures['seconds'])}); peak RSS {figures['peak_rss_mb']:.0f} MB, "
              f"{figures['peak_rss_mb'] - figures['rss_after_imports_mb']:.0f} MB above the {figures['rss_after_imports_mb']:.0f} MB after imports")

        url = f"sqlite://{tmp}/bench.sqlite3"
        with serving(__file__, url, str(Path(tmp) / "media")) as client:
            bearer = {"Authorization": "Bearer " + client.post("/bench/token").text}
            uploads = []
            for i in range(args.photos):
                started = time.perf_counter()
                response = client.post("/uploads/images", headers=bearer, files={"file": ("p.jpg", data, "image/jpeg")})
                uploads.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text
            image = response.json()["image"]
            print(f"POST /uploads/images: median {statistics.median(uploads):.2f} s per 12 MP photo over {args.photos}, "
                  f"end to end (the same photo: every upload processes it again)")
            rendition = image["renditions"]["750.webp"].replace("https://wenming.example.org", "")
            body = client.get(rendition).content
            client.post("/bench/plain", content=body)
            served, plain, not_modified = [], [], []
            etag = client.get(rendition).headers["etag"]
            for _ in range(args.repeat):
                served.append(timed(client, rendition)[0])
                plain.append(timed(client, "/bench/plain")[0])
                not_modified.append(timed(client, rendition, headers={"If-None-Match": etag})[0])
            s, p, n = median_ms(served), median_ms(plain), median_ms(not_modified)
            print(f"GET 750.webp ({len(body) / 1024:.0f} KiB): median {s:.2f} ms; plain route with the same bytes "
                  f"{p:.2f} ms; ratio {s / p:.2f}; 304 {n:.2f} ms ({n / p:.2f} x plain); {args.repeat} requests each")


if __name__ == "__main__":
    main()

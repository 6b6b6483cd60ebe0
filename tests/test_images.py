"""Images of reports, with real photo files over real HTTP: the mini-program upload, GraphQL's
multipart upload, EXIF and GPS gone from every stored file, the orientation applied, the
renditions, hostile files refused, served with a long cache and ETags; S3 storage against a
real S3-compatible server (moto) that the test starts."""

from __future__ import annotations

import base64
import io
import socket

import httpx
import pytest
from PIL import Image

from api.app import create_app
from api.models.audit import AuditEntry
from api.models.content import Image as ImageRow
from tests.auth_support import make_callers, mutate, post, upload
from tests.images_support import has_gps, metadata_of, phone_photo, png_bomb, stored_files
from tests.network import build, gid
from tests.reports_support import publish

UPLOAD_IMAGE = """mutation($input: UploadImageInput!) { uploadImage(input: $input) {
  image { id width height blurhash url webp: url(width: 700, format: WEBP) small: url(width: 100) }
  errors { field message code } } }"""


async def wx_upload(client, token: str | None, data: bytes, filename: str = "wxfile://tmp_3f2a.jpg", **form) -> httpx.Response:
    """What wx.uploadFile sends: multipart/form-data, the file in the field `file`, a header."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/uploads/images", files={"file": (filename, data, "image/jpeg")}, data=form, headers=headers)


def _digest(url: str) -> str:
    return url.split("/images/")[1].split("/")[0]


async def test_a_phone_photo_loses_its_gps_and_stands_upright(client, settings):
    net = await build()
    callers = await make_callers(net)
    response = await wx_upload(client, callers.editor, phone_photo(), site=gid("Site", net.station.id))
    assert response.status_code == 201, response.text
    image = response.json()["image"]
    # Stored sideways (1600x1200) with Orientation 6: upright it is 1200 wide and 1600 high.
    assert (image["width"], image["height"]) == (1200, 1600)
    assert len(image["blurhash"]) >= 6
    files = stored_files(settings.storage_dir, _digest(image["url"]))
    assert set(files) == {"original.jpg", *(f"{w}.{f}" for w in (320, 750, 1080) for f in ("webp", "jpg"))}
    for name, data in files.items():
        assert not has_gps(data), name
        assert metadata_of(data) == {"exif": {}, "gps": {}, "blocks": set()}, name
        assert b"PhoneMaker" not in data and b"Exif" not in data, name
        picture = Image.open(io.BytesIO(data))
        width = 1200 if name.startswith("original") else int(name.split(".")[0])
        assert picture.size == (width, round(width * 4 / 3)), (name, picture.size)
        # Upright: what was the top (red) is now on the right, the bottom (blue) on the left.
        rgb = picture.convert("RGB")
        left, right = rgb.getpixel((width // 8, picture.height // 2)), rgb.getpixel((width * 7 // 8, picture.height // 2))
        assert left[2] > 200 and left[0] < 60 and right[0] > 200 and right[2] < 60, (name, left, right)
    # One row, in the audit log, at the site named.
    row = await ImageRow.get()
    assert row.site_id == net.station.id and row.digest == _digest(image["url"])
    assert await AuditEntry.filter(object_type="Image", action="UPLOAD").count() == 1
    # The same photo again is the same image (content-addressed), not a second row.
    again = await wx_upload(client, callers.editor, phone_photo())
    assert again.json()["image"]["id"] == image["id"] and await ImageRow.all().count() == 1


async def test_files_are_served_with_a_long_cache_and_etags(client):
    net = await build()
    callers = await make_callers(net)
    image = (await wx_upload(client, callers.editor, phone_photo())).json()["image"]
    url = image["renditions"]["750.webp"].replace("https://wenming.example.org", "")
    served = await client.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.content)).size == (750, 1000)
    again = await client.get(url, headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = await client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(served.content))
    for wrong in ("/images/" + "0" * 64 + "/750.webp", url.replace("750.webp", "751.webp"), "/images/x/../../etc/passwd"):
        assert (await client.get(wrong)).status_code == 404, wrong


async def test_hostile_files_are_refused_with_a_clear_error_and_nothing_stored(client, settings):
    net = await build()
    callers = await make_callers(net)
    html = b"<html><script>alert(1)</script></html>"
    gif = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
    cases = [
        (png_bomb(), "bomb.png", 422, "TOO_MANY_PIXELS"),
        (html, "photo.jpg", 415, "UNSUPPORTED_TYPE"),  # a fake extension: judged by content
        (gif, "photo.jpg", 415, "UNSUPPORTED_TYPE"),
        (phone_photo()[:2000], "cut.jpg", 422, "BROKEN_IMAGE"),
        (b"", "empty.jpg", 422, "EMPTY_FILE"),
    ]
    for data, name, status, code in cases:
        response = await wx_upload(client, callers.editor, data, filename=name)
        assert response.status_code == status, (name, response.text)
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == code and error["extensions"]["field"] == "file", (name, error)
    assert (await wx_upload(client, None, phone_photo())).status_code == 401
    viewer = await wx_upload(client, callers.viewer, phone_photo())
    assert viewer.status_code == 403 and viewer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    outside = await wx_upload(client, callers.editor, phone_photo(), site=gid("Site", net.other_station.id))
    assert outside.status_code == 403 and outside.json()["errors"][0]["extensions"]["code"] == "OUT_OF_SCOPE"
    assert await ImageRow.all().count() == 0


async def test_an_oversize_file_is_refused(db, settings):
    small = settings.model_copy(update={"max_upload_bytes": 20_000})
    app = create_app(small, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        net = await build()
        callers = await make_callers(net)
        noise = Image.effect_noise((200, 200), 80).convert("RGB")
        out = io.BytesIO()
        noise.save(out, "JPEG", quality=95)
        assert 20_000 < len(out.getvalue()) < 20_000 + 64 * 1024  # past the file limit, within the form's
        response = await wx_upload(client, callers.editor, out.getvalue())
        assert response.status_code == 413 and response.json()["errors"][0]["extensions"]["code"] == "FILE_TOO_LARGE"
        huge = await wx_upload(client, callers.editor, out.getvalue() * 8)  # past the body limit itself
        assert huge.status_code == 413 and huge.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"
    assert await ImageRow.all().count() == 0


async def test_a_report_shows_its_photos(client):
    net = await build()
    callers = await make_callers(net)
    images = []
    for shade in (0, 120):
        response = await upload(client, callers.editor, UPLOAD_IMAGE, {}, {"file": phone_photo(orientation=1, shade=shade)})
        payload = response.json()["data"]["uploadImage"]
        assert payload["errors"] == [], payload
        images.append(payload["image"])
    cover, other = images
    assert (cover["width"], cover["height"]) == (1600, 1200)
    assert cover["webp"].endswith("/750.webp") and cover["small"].endswith("/320.jpg") and cover["url"].endswith("/original.jpg")
    create = """mutation($input: CreateReportInput!) { createReport(input: $input) { report { id version } errors { code field } } }"""
    made = await mutate(client, callers.editor, create, input={
        "siteId": gid("Site", net.station.id), "title": "图片报道", "coverId": cover["id"], "galleryIds": [other["id"], cover["id"]],
        "body": f'<p>现场</p><img src="{cover["webp"]}" alt="现场">'})
    assert made["errors"] == [], made
    await publish(client, callers.editor, callers.admin, {"id": made["report"]["id"], "version": made["report"]["version"]})
    shown = await post(client, None, """{ reports { edges { node { body cover { url(width: 320) blurhash }
      gallery { id width } } } } }""")
    node = shown.json()["data"]["reports"]["edges"][0]["node"]
    assert node["cover"]["url"].endswith("/320.jpg") and node["cover"]["blurhash"] == cover["blurhash"]
    assert [g["id"] for g in node["gallery"]] == [other["id"], cover["id"]]
    assert f'<img src="{cover["webp"]}" alt="现场">' in node["body"]  # our own image stays in the body
    wrong = await mutate(client, callers.editor, create, input={
        "siteId": gid("Site", net.station.id), "title": "错图", "coverId": gid("Image", 999)})
    assert wrong["errors"] == [{"code": "NOT_FOUND", "field": ["input", "coverId"]}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    boto3 = pytest.importorskip("boto3", reason="boto3 (with moto) is not installed")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    s3.create_bucket(Bucket="wenming-media")
    yield endpoint, s3
    server.stop()


async def test_images_live_on_an_s3_compatible_store(db, settings, s3_server):
    endpoint, s3 = s3_server
    on_s3 = settings.model_copy(update={"storage_s3_bucket": "wenming-media", "storage_s3_endpoint": endpoint,
                                        "storage_s3_access_key_id": "test", "storage_s3_secret_access_key": "test"})
    app = create_app(on_s3, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        net = await build()
        callers = await make_callers(net)
        response = await wx_upload(client, callers.editor, phone_photo(shade=77))
        assert response.status_code == 201, response.text
        image = response.json()["image"]
        digest = _digest(image["url"])
        listed = s3.list_objects_v2(Bucket="wenming-media", Prefix=f"images/{digest}/")
        names = {o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", [])}
        assert names == {"original.jpg", *(f"{w}.{f}" for w in (320, 750, 1080) for f in ("webp", "jpg"))}
        for name in names:
            data = s3.get_object(Bucket="wenming-media", Key=f"images/{digest}/{name}")["Body"].read()
            assert not has_gps(data) and b"Exif" not in data, name
        served = await client.get(f"/images/{digest}/1080.jpg")
        assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).size == (1080, 1440)

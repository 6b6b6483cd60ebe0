"""Where image files live: one interface over a local folder (the default) or any S3-compatible
store (MinIO, Aliyun OSS, Tencent COS, AWS S3), through obstore, chosen by settings.

Names are content-addressed (images/<sha256>/<file>), so a file never changes once written:
writing it again is harmless, and it can be served with a year-long cache."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import LocalStore, S3Store

from api.settings import Settings


@dataclass
class ImageStore:
    store: LocalStore | S3Store
    where: str  # for logs and errors: the folder or s3://bucket

    async def put(self, key: str, data: bytes) -> None:
        await obstore.put_async(self.store, key, data)

    async def get(self, key: str) -> bytes | None:
        try:
            result = await obstore.get_async(self.store, key)
        except (NotFoundError, FileNotFoundError):
            return None
        return bytes(await result.bytes_async())

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self.store, key)
        except (NotFoundError, FileNotFoundError):
            return False
        return True


def key(digest: str, name: str) -> str:
    return f"images/{digest}/{name}"


STORAGE_SETTINGS = ("storage_dir", "storage_s3_bucket", "storage_s3_endpoint", "storage_s3_region",
                    "storage_s3_access_key_id", "storage_s3_secret_access_key")


def open_store(settings: Settings) -> ImageStore:
    """S3 when WENMING_STORAGE_S3_BUCKET is set, else the local folder WENMING_STORAGE_DIR."""
    return _open(tuple(getattr(settings, name) for name in STORAGE_SETTINGS))


@lru_cache(maxsize=8)
def _open(values: tuple) -> ImageStore:
    # One store (one connection pool) per configuration, shared by the GraphQL view and the routes.
    folder, bucket, endpoint, region, key_id, secret = values
    if bucket:
        options = {"allow_http": True} if endpoint and endpoint.startswith("http://") else {}  # MinIO on a LAN
        credentials = {k: v for k, v in (("endpoint", endpoint), ("access_key_id", key_id),
                                         ("secret_access_key", secret)) if v}
        store = S3Store(bucket, region=region, virtual_hosted_style_request=False, client_options=options, **credentials)
        return ImageStore(store, f"s3://{bucket}")
    path = Path(folder).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return ImageStore(LocalStore(prefix=path), str(path))

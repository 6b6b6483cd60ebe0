"""Real photos for the image tests, made with Pillow: a phone-style JPEG with an EXIF
orientation and a GPS position, and hostile files (a decompression bomb, a fake extension)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import ExifTags, Image

GPS_LATITUDE = (24.0, 56.0, 10.0)  # somebody's home in 泉州


def phone_photo(width: int = 1600, height: int = 1200, *, orientation: int = 6, shade: int = 0) -> bytes:
    """Top half red, bottom half blue, stored sideways with EXIF Orientation (6: turn 90° clockwise
    to view) and a GPS position, as a phone writes it."""
    image = Image.new("RGB", (width, height), (255, shade, 0))
    image.paste((0, shade, 255), (0, height // 2, width, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (118.0, 35.0, 20.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    assert has_gps(data)  # the test photo really carries what must be removed
    return data


def has_gps(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    return bool(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def metadata_of(data: bytes) -> dict:
    """Every EXIF tag and metadata block Pillow finds in a file."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {"exif": dict(exif), "gps": dict(exif.get_ifd(ExifTags.IFD.GPSInfo)),
            "blocks": {k for k in image.info if k in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile")}}


def png_bomb(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header claims 1.6 billion pixels: refused before anything is decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 8)  # a few rows; the rest would come from zeros
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def stored_files(folder: str | Path, digest: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (Path(folder) / "images" / digest).iterdir()}

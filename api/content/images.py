"""Turning an uploaded photo into what screens and phones need, safely.

The type is read from the bytes, never from the name; a decompression bomb is refused from
its header, before a pixel is decoded; the EXIF orientation is applied and every metadata
block (EXIF with its GPS position, XMP, comments) is dropped by re-encoding, so no stored
file carries where a phone took it. Renditions are made at fixed widths in WebP and JPEG,
with a BlurHash placeholder. Everything here is CPU work: callers run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field

import blurhash
from PIL import Image, ImageOps

from api.domain.errors import DomainError

WIDTHS = (320, 750, 1080)  # phone list, phone full width, tablet/kiosk
FORMATS = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
ORIGINAL_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a phone photo is 2-8 MB
MAX_PIXELS = 50_000_000  # 12 MP phone photos and 48 MP sensors pass; a bomb does not
QUALITY = {"JPEG": 85, "WEBP": 80}
ORIGINAL_QUALITY = 95


def sniff(data: bytes) -> str | None:
    """JPEG, PNG or WEBP from the file's first bytes; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


@dataclass
class Processed:
    digest: str  # SHA-256 of the stored original: the name of every file of this image
    format: str  # JPEG, PNG or WEBP
    width: int
    height: int
    blurhash: str
    files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes: original.jpg, 320.webp, ...

    @property
    def original_name(self) -> str:
        return f"original.{ORIGINAL_EXT[self.format]}"


def _refuse(message: str, code: str) -> DomainError:
    return DomainError(message, field="file", code=code)


def _open(data: bytes, max_bytes: int, max_pixels: int) -> tuple[Image.Image, str]:
    if not data:
        raise _refuse("the file is empty", "EMPTY_FILE")
    if len(data) > max_bytes:
        raise _refuse(f"the file is {len(data)} bytes; at most {max_bytes} are accepted", "FILE_TOO_LARGE")
    kind = sniff(data)
    if kind is None:
        raise _refuse("the file is not a JPEG, PNG or WebP image (judged by its content, not its name)",
                      "UNSUPPORTED_TYPE")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > max_pixels:
                raise _refuse(f"the image is {width}x{height} pixels ({width * height:,}); at most {max_pixels:,} "
                              "are accepted (a small file that unpacks to a huge picture is refused)", "TOO_MANY_PIXELS")
            image.load()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(f"the image unpacks to too many pixels ({exc})", "TOO_MANY_PIXELS") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _refuse(f"the {kind} file is damaged or truncated and cannot be read", "BROKEN_IMAGE") from exc
    return image, kind


def _encode(image: Image.Image, fmt: str, quality: int | None = None) -> bytes:
    """Encoded without any metadata: no exif, no xmp, no comment is passed on."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image = image.convert("RGB") if image.mode != "RGB" else image
        image.save(out, "JPEG", quality=quality or QUALITY["JPEG"], optimize=True, progressive=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=quality or QUALITY["WEBP"], method=4)
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue()


def _upright(image: Image.Image) -> Image.Image:
    """The EXIF orientation applied to the pixels; the mode made one every encoder takes."""
    oriented = ImageOps.exif_transpose(image) or image
    if oriented.mode not in ("RGB", "RGBA"):
        oriented = oriented.convert("RGBA" if "A" in oriented.getbands() or "transparency" in oriented.info else "RGB")
    oriented.info.clear()  # exif, xmp, icc, comments: nothing travels to the encoders
    return oriented


def _placeholder(image: Image.Image) -> str:
    small = image.convert("RGB")
    small.thumbnail((64, 64))
    return blurhash.encode(small, 4, 3)


def process(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS) -> Processed:
    """The stripped original, the renditions and the facts about an uploaded image."""
    image, kind = _open(data, max_bytes, max_pixels)
    upright = _upright(image)
    original = _encode(upright, kind, ORIGINAL_QUALITY if kind != "PNG" else None)
    width, height = upright.size
    result = Processed(digest=hashlib.sha256(original).hexdigest(), format=kind, width=width, height=height,
                       blurhash=_placeholder(upright))
    result.files[result.original_name] = original
    source = upright
    for target in sorted(WIDTHS, reverse=True):  # each from the next larger one: less to resample
        w = min(target, width)  # never enlarged: a narrow photo's renditions are its own size
        h = max(1, round(height * w / width))
        if w != source.width:
            source = source.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
        result.files[f"{target}.webp"] = _encode(source, "WEBP")
        result.files[f"{target}.jpg"] = _encode(source, "JPEG")
    return result


def rendition_name(width: int | None, fmt: str) -> str:
    """The file name for the rendition nearest above `width` (the largest when none is)."""
    target = next((w for w in WIDTHS if width is not None and w >= width), WIDTHS[-1])
    return f"{target}.{fmt}"

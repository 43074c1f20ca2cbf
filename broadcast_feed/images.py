"""Feed images for the TV: fetched with the same caps, verified, at most 1 megapixel, JPEG.

``prepare_image(data)`` checks the declared pixel count *before* decoding
(a decompression bomb never gets decoded), decodes only JPEG/PNG/GIF/WebP,
applies the EXIF orientation, flattens transparency onto white, downscales to
at most ``max_pixels`` and re-encodes as baseline JPEG.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from broadcast_feed.errors import ImageRefused
from broadcast_feed.fetch import DEFAULT_POLICY, FetchPolicy, fetch

TV_MAX_PIXELS = 1_000_000
MAX_SOURCE_PIXELS = 24_000_000  # 6000 x 4000 photos; bigger is refused undecoded
MAX_IMAGE_BYTES = 8 * 1024 * 1024
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
IMAGE_ACCEPT = "image/jpeg, image/png, image/webp, image/gif;q=0.8"


@dataclass
class TvImage:
    data: bytes  # JPEG
    width: int
    height: int
    content_type: str = "image/jpeg"

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def prepare_image(
    data: bytes,
    *,
    max_pixels: int = TV_MAX_PIXELS,
    max_source_pixels: int = MAX_SOURCE_PIXELS,
    max_bytes: int = MAX_IMAGE_BYTES,
    quality: int = 85,
) -> TvImage:
    """Verify and convert image bytes; ImageRefused with a reason otherwise."""
    if len(data) > max_bytes:
        raise ImageRefused("이미지가 너무 큽니다 (image over %d bytes)" % max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns/raises on its global limit; ours is stricter
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = im.size
            if width <= 0 or height <= 0 or width * height > max_source_pixels:
                raise ImageRefused(
                    "이미지 화소가 너무 많습니다 (%dx%d over %d pixels)"
                    % (width, height, max_source_pixels)
                )
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)  # first frame of an animation
            scale = min(1.0, math.sqrt(max_pixels / (width * height)))
            target = (max(1, int(width * scale)), max(1, int(height * scale)))
            if im.format == "JPEG":
                im.draft("RGB", target)  # decode at reduced size when possible
            im.load()
            im = ImageOps.exif_transpose(im)
            im = _flatten(im)
            if im.width * im.height > max_pixels:
                scale = math.sqrt(max_pixels / (im.width * im.height))
                size = (max(1, int(im.width * scale)), max(1, int(im.height * scale)))
                while size[0] * size[1] > max_pixels:
                    size = (max(1, size[0] - 1), max(1, size[1] - 1))
                im = im.resize(size, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            im.save(out, "JPEG", quality=quality, optimize=True)
    except ImageRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRefused("이미지 화소가 너무 많습니다 (decompression bomb)") from exc
    except UnidentifiedImageError as exc:
        raise ImageRefused(
            "이미지가 아니거나 지원하지 않는 형식입니다 (not a JPEG/PNG/GIF/WebP image)"
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRefused(
            "이미지가 손상되었습니다 (broken image: %s)" % type(exc).__name__
        ) from exc
    return TvImage(data=out.getvalue(), width=im.width, height=im.height)


def _flatten(im: Image.Image) -> Image.Image:
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if im.mode != "RGB":
        return im.convert("RGB")
    return im


def fetch_image(
    url: str,
    *,
    policy: FetchPolicy | None = None,
    session=None,
    max_pixels: int = TV_MAX_PIXELS,
) -> TvImage:
    """Fetch an image URL from a feed and prepare it for the TV.

    Image URLs come from feed content, so by default private and loopback
    addresses are refused (``block_private=True``) and the byte cap is
    ``MAX_IMAGE_BYTES``.
    """
    if policy is None:
        policy = FetchPolicy(
            max_bytes=MAX_IMAGE_BYTES,
            block_private=True,
            connect_timeout=DEFAULT_POLICY.connect_timeout,
            read_timeout=DEFAULT_POLICY.read_timeout,
        )
    got = fetch(url, policy=policy, session=session, accept=IMAGE_ACCEPT)
    return prepare_image(got.content, max_pixels=max_pixels, max_bytes=policy.max_bytes)

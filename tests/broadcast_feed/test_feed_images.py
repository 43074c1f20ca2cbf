"""Images: verified with Pillow, bombs refused undecoded, at most 1 megapixel, JPEG."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from feed_testlib import peak_rss_growth, send
from PIL import Image

from broadcast_feed.errors import FeedRefused, ImageRefused
from broadcast_feed.fetch import FetchPolicy
from broadcast_feed.images import fetch_image, prepare_image


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height but carries almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )


def test_large_jpeg_downscaled_to_one_megapixel():
    src = _encode(Image.new("RGB", (3000, 2000), (200, 30, 30)), "JPEG")
    tv = prepare_image(src)
    assert tv.width * tv.height <= 1_000_000
    assert abs(tv.width / tv.height - 1.5) < 0.01
    assert tv.content_type == "image/jpeg" and tv.data[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(tv.data)) as im:
        assert im.format == "JPEG" and im.size == tv.size


def test_transparent_png_flattened_and_small_images_kept():
    im = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    tv = prepare_image(_encode(im, "PNG"))
    assert tv.size == (400, 300)
    with Image.open(io.BytesIO(tv.data)) as out:
        assert out.mode == "RGB"
        assert out.getpixel((10, 10))[0] > 240  # white background, not black


def test_palette_gif_and_webp():
    gif = _encode(Image.new("P", (1600, 1600)), "GIF")
    assert prepare_image(gif).width * prepare_image(gif).height <= 1_000_000
    webp = _encode(Image.new("RGB", (100, 50), "blue"), "WEBP")
    assert prepare_image(webp).size == (100, 50)


def test_exif_orientation_applied():
    im = Image.new("RGB", (200, 100), "green")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees
    tv = prepare_image(_encode(im, "JPEG", exif=exif))
    assert tv.size == (100, 200)


@pytest.mark.parametrize(
    "size, reason",
    [((8000, 8000), "8000x8000 over 24000000 pixels"), ((100_000, 100_000), "decompression bomb")],
)
def test_decompression_bomb_refused_before_decoding(size, reason):
    bomb = _png_header_only(*size)
    assert len(bomb) < 200
    with peak_rss_growth() as mem:
        with pytest.raises(ImageRefused, match=reason):
            prepare_image(bomb)
    assert mem["growth_mb"] < 32


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a JPEG/PNG/GIF/WebP"),
        (b"GIF89a" + b"\x00" * 5, "not a JPEG/PNG/GIF/WebP"),
        (b"", "not a JPEG/PNG/GIF/WebP"),
    ],
)
def test_not_images(data, reason):
    with pytest.raises(ImageRefused, match=reason):
        prepare_image(data)


def test_truncated_jpeg_and_byte_cap():
    src = _encode(Image.effect_noise((800, 600), 50).convert("RGB"), "JPEG")
    with pytest.raises(ImageRefused, match="broken image"):
        prepare_image(src[: len(src) // 2])
    with pytest.raises(ImageRefused, match="image over 1000 bytes"):
        prepare_image(src, max_bytes=1000)


def test_bmp_and_other_decoders_are_not_used():
    bmp = _encode(Image.new("RGB", (10, 10)), "BMP")
    with pytest.raises(ImageRefused, match="not a JPEG"):
        prepare_image(bmp)


def test_fetch_image_over_http(http_server, listener):
    src = _encode(Image.new("RGB", (2000, 2000), "navy"), "JPEG")
    http_server.routes["/photo.jpg"] = lambda h: send(
        h, src, headers={"Content-Type": "image/jpeg"}
    )
    tv = fetch_image(http_server.url("/photo.jpg"), policy=FetchPolicy(trust_env=False))
    assert tv.size == (1000, 1000)
    assert http_server.requests[0][1]["Accept"].startswith("image/")
    # by default, image URLs from feeds may not point into the internal network
    with pytest.raises(FeedRefused, match="non-public address"):
        fetch_image("http://127.0.0.1:%d/photo.jpg" % listener.port)
    assert listener.connections() == 0


def test_fetch_image_byte_cap(http_server):
    http_server.routes["/big.jpg"] = lambda h: send(h, b"\xff\xd8" + b"\x00" * 300_000)
    with pytest.raises(FeedRefused, match="body over 100000 bytes"):
        fetch_image(
            http_server.url("/big.jpg"), policy=FetchPolicy(max_bytes=100_000, trust_env=False)
        )

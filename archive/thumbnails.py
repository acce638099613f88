"""Small previews of image documents for the client file page (the original is never changed)."""

import io

from PIL import Image, ImageDraw, UnidentifiedImageError

THUMBNAIL_SIZE = (160, 160)


def thumbnail_png(handle, *, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    """A PNG no larger than `size` of the image in `handle`; a grey placeholder if it cannot be decoded."""
    try:
        with Image.open(handle) as image:
            image.draft("RGB", size)  # JPEG: decode at a reduced scale, cheaper for large scans
            image = image.convert("RGB")
            image.thumbnail(size)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        image = Image.new("RGB", (size[0], size[1] * 3 // 4), "#e5e7eb")
        ImageDraw.Draw(image).line([(0, 0), image.size], fill="#9ca3af", width=2)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

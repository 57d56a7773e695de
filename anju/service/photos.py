"""Reading an uploaded photo as what it is (SVC-1 ticket photos, SVC-7 defect photos, the
public form): the bytes Pillow can open and verify, in an allowed format, not too large in
bytes or in pixels (a decompression bomb is refused, not decoded) — never the name or the
type the browser claims. Each caller words the refusal for its own page.
"""

import io
import warnings
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024  # 5 MB per photo
MAX_PIXELS = 50_000_000  # well past a phone camera (12–50 MP), far below a decompression bomb
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")  # what a phone camera or a screenshot gives


class PhotoRefused(Exception):  # noqa: N818 – a refusal, not an error of ours
    """Why an upload is not kept: ``reason`` is "empty", "too_large" or "not_a_photo"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Photo:
    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def size(self) -> int:
        return len(self.data)


def read_photo(upload, *, formats=PHOTO_FORMATS, max_bytes=MAX_BYTES) -> Photo:
    """The upload's bytes as a checked photo, or ``PhotoRefused``."""
    from PIL import Image

    if (getattr(upload, "size", None) or 0) > max_bytes:
        raise PhotoRefused("too_large")
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(data) > max_bytes:
        raise PhotoRefused("too_large")
    if not data:
        raise PhotoRefused("empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in formats or width * height > MAX_PIXELS:
                    raise PhotoRefused("not_a_photo")
                image.verify()  # reads the whole file: a truncated or forged one fails here
    except PhotoRefused:
        raise
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, ValueError …)
        raise PhotoRefused("not_a_photo") from exc
    return Photo(data=data, format=kind, width=width, height=height)

"""Image sizes from file headers: the pixels are never decoded.

Pillow's ``Image.open`` reads only the header. The size returned is the size a viewer (and a
training pipeline that applies EXIF orientation) shows: for EXIF orientations 5-8 (rotated by
90 or 270 degrees) width and height are swapped. Units: pixels.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import InputPathError, ParseError

IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_EXIF_ORIENTATION = 0x0112
_TRANSPOSED = {5, 6, 7, 8}  # orientations that rotate by a quarter turn

Image.MAX_IMAGE_PIXELS = None  # a header is not a decompression bomb: nothing is decoded


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of the image at ``path`` as displayed (EXIF orientation applied).

    Raises InputPathError when the file is missing or unreadable, ParseError when it is not an image.
    """
    p = Path(path)
    try:
        with Image.open(p) as image:
            width, height = image.size
            orientation = _orientation(image)
    except FileNotFoundError:
        raise InputPathError("image file not found (its size is needed)", file=p) from None
    except UnidentifiedImageError:
        raise ParseError("not an image file Pillow can read (its size is needed)", file=p) from None
    except OSError as exc:
        raise InputPathError(f"cannot read image header: {exc.strerror or exc}", file=p) from None
    if orientation in _TRANSPOSED:
        return height, width
    return width, height


def _orientation(image: Image.Image) -> int | None:
    """EXIF orientation without decoding pixels: ``getexif()`` reads JPEG/TIFF/WebP headers, but for
    a PNG it loads the whole image, so there only an eXIf chunk met in the header is used."""
    try:
        if image.format == "TIFF" or (image.format in ("JPEG", "MPO", "WEBP")
                                      and ("exif" in image.info or "xmp" in image.info)):
            return image.getexif().get(_EXIF_ORIENTATION)  # (a third of the header's cost: skipped when absent)
        raw = image.info.get("exif")
        if raw:
            exif = Image.Exif()
            exif.load(raw)
            return exif.get(_EXIF_ORIENTATION)
    except Exception:  # a broken EXIF block does not make the size unknown
        return None
    return None


def find_image(folder: Path, stem: str) -> Path | None:
    """The image in ``folder`` named ``stem`` plus any known extension (either case), or None."""
    for extension in IMAGE_EXTENSIONS:
        for candidate in (folder / (stem + extension), folder / (stem + extension.upper())):
            if candidate.is_file():
                return candidate
    return None

"""Image facts the analyzer needs without keeping a decoded image around."""

from __future__ import annotations

import io

from PIL import Image

from analyzer.domain.geometry import Size


def image_size(data: bytes) -> Size:
    with Image.open(io.BytesIO(data)) as image:
        return Size(image.width, image.height)

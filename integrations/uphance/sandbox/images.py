"""Small SVG product pictures in the product's colour: the board has images offline."""

from __future__ import annotations

from .catalogue import COLOURS, Organisation

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="200" viewBox="0 0 160 200">'
    '<rect width="160" height="200" fill="#f3f1ec"/>'
    '<path d="M55 20 L30 32 L10 70 L32 80 L40 66 L40 185 L120 185 L120 66 L128 80 L150 70 '
    'L130 32 L105 20 Q80 40 55 20 Z" fill="{fill}" '
    'stroke="#000" stroke-opacity="0.25" stroke-width="2"/>'
    "</svg>"
)


def image_svg(organisations: dict[int, Organisation], kind: str, record_id: int) -> bytes | None:
    """`product/<product id>` (cover, first colour) or `product_image/<variation id>`."""
    for org in organisations.values():
        if kind == "product":
            product = org.product_by_id.get(record_id)
            if product is not None:
                return _SVG.replace("{fill}", COLOURS[product.colours[0]][2]).encode()
        elif kind == "product_image":
            found = org.decode_variation(record_id)
            if found is not None:
                product, slot = found
                return _SVG.replace("{fill}", COLOURS[product.colours[slot]][2]).encode()
    return None

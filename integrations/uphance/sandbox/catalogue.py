"""Static, seed-derived reference data of the sandbox: organisations, stages, products, people."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

NORTHWIND = 35802
SOUTHPAW = 35803

LOGINS: dict[str, tuple[str, tuple[int, ...]]] = {
    # e-mail -> (password, organisations the user can see)
    "solo@sandbox.test": ("sandbox", (NORTHWIND,)),
    "multi@sandbox.test": ("sandbox", (NORTHWIND, SOUTHPAW)),
}

SIZE_RUNS: tuple[tuple[str, ...], ...] = (
    ("XS", "S", "M", "L", "XL"),
    ("36", "38", "40", "42", "44"),
    ("S/N", "M/N"),
)

# (name, sku code, hex) - the hex only colours the sandbox's own SVG images.
COLOURS: tuple[tuple[str, str, str], ...] = (
    ("Black", "BL", "#1f1f1f"),
    ("White", "WH", "#f4f4f0"),
    ("Blue", "BLUE_FOR_SHIRT3", "#2f5fa7"),
    ("Lt. Peach", "LT", "#f4c3a5"),
    ("Beige", "BEI", "#d8c3a0"),
    ("Navy", "NV", "#1d2a4d"),
    ("Olive", "OL", "#6b7035"),
    ("Burgundy", "BG", "#6d1f2f"),
    ("Grey Marl", "GM", "#9a9a9a"),
    ("Ecru", "EC", "#efe6d2"),
    ("Rust", "RU", "#b0502c"),
    ("Sage", "SG", "#9caf88"),
)

GARMENTS = (
    "Tank Dress",
    "Knit L/S Sweater",
    "Tie Frt V Neck Blouse",
    "Wrap Skirt",
    "Denim Jacket",
    "Linen Shirt",
    "Cargo Trouser",
    "Rib Tee",
    "Hoodie",
    "Slip Dress",
    "Puffer Vest",
    "Pleated Skirt",
    "Chino Short",
    "Trench Coat",
    "Polo",
    "Cardigan",
    "Jumpsuit",
    "Blazer",
)
FIRST_NAMES = (
    "Tia",
    "Mara",
    "Juno",
    "Otto",
    "Bea",
    "Iris",
    "Lola",
    "Nova",
    "Remy",
    "Sage",
    "Wren",
    "Ada",
    "Cleo",
    "Nico",
    "Elio",
    "Ines",
    "Kai",
    "Lena",
    "Milo",
    "Rosa",
)
LAST_NAMES = (
    "Stork",
    "Fischer",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Costa",
    "Novak",
    "Byrne",
    "Haddad",
    "Kowalski",
    "Silva",
    "Brennan",
    "Sato",
    "Dubois",
    "Meyer",
)
SHOP_WORDS_A = (
    "Blue",
    "Heron",
    "Copper",
    "Little",
    "North",
    "Velvet",
    "Harbour",
    "Maple",
    "Juniper",
    "Atlas",
)
SHOP_WORDS_B = (
    "Boutique",
    "Store",
    "Collective",
    "Supply",
    "House",
    "Studio",
    "Outfitters",
    "& Co",
)
CITIES = (
    ("DE", "Düsseldorf", "NW"),
    ("US", "New York", "NY"),
    ("US", "Miami", "FL"),
    ("GB", "London", ""),
    ("FR", "Paris", ""),
    ("IT", "Milano", "MI"),
    ("AU", "Sydney", "NSW"),
    ("CA", "Toronto", "ON"),
    ("NL", "Amsterdam", ""),
    ("JP", "Tokyo", ""),
)
BRANDS = ("Brand Twelve", "M Made in Italy", "Tribal", "Northwind", "Field Notes", "Southpaw")


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    colour: str
    min_hours: int
    max_hours: int
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Manufacturer:
    id: int
    name: str
    currency: str
    country: str


@dataclass(frozen=True, slots=True)
class Product:
    index: int
    id: int
    name: str
    identifier: str
    brand: str | None
    country: str
    unit_cost: int  # cents
    sizes: tuple[str, ...]
    colours: tuple[int, ...]  # indexes into COLOURS
    has_cover: bool
    has_variation_images: bool
    has_upc: bool
    uses_optional_stage: bool
    slug: str


@dataclass(frozen=True, slots=True)
class Variant:
    variation_id: int
    colour: str
    colour_code: str
    hex: str
    cover_path: str | None
    image_path: str | None
    skus: tuple[
        tuple[str, int, str, int, str], ...
    ]  # (size, sku_id, sku_number, inventory_id, upc)


@dataclass(frozen=True, slots=True)
class Ids:
    """Id ranges of one organisation; ids are unique across organisations, as in Uphance."""

    production_order: int
    line_item: int  # + order_index * 10 + line
    line_quantity: int  # + (order_index * 10 + line) * 10 + size
    sales_order: int
    sales_line_item: int  # + sales_index * 4 + line
    sales_line_quantity: int  # + (sales_index * 4 + line) * 8 + size
    customer: int
    person: int  # + customer_index * 4 + k; created ones from + 5_000_000
    address: int
    invoice: int
    product: int
    variation: int  # + product_index * 16 + colour
    sku: int  # + product_index * 100 + colour * 10 + size
    inventory: int


@dataclass(slots=True)
class Organisation:
    id: int
    name: str
    slot: int
    order_count: int
    customer_count: int
    sales_order_count: int
    offsets: tuple[str, ...]  # timestamp offsets used for this organisation's order timestamps
    ids: Ids
    stages: tuple[Stage, ...]
    seasons: tuple[tuple[int, str], ...]
    warehouses: tuple[tuple[int, str], ...]
    manufacturers: tuple[Manufacturer, ...]
    channels: tuple[tuple[int, str, str], ...]  # (id, name, currency)
    agents: tuple[dict, ...]
    products: tuple[Product, ...]
    product_by_id: dict[int, Product] = field(default_factory=dict)
    product_by_identifier: dict[str, Product] = field(default_factory=dict)
    _variants: dict[tuple[int, int], Variant] = field(default_factory=dict)
    _required_stages: tuple[Stage, ...] | None = None

    def stage_sequence(self, with_optional: bool) -> tuple[Stage, ...]:
        if with_optional:
            return self.stages
        if self._required_stages is None:
            self._required_stages = tuple(s for s in self.stages if not s.optional)
        return self._required_stages

    def variant(self, product: Product, colour_slot: int) -> Variant:
        """Per product colour: everything about it that never changes (cached, a few hundred)."""
        key = (product.index, colour_slot)
        found = self._variants.get(key)
        if found is None:
            name, code, hex_colour = COLOURS[product.colours[colour_slot]]
            ident = product.identifier.upper() if product.index % 7 else product.identifier
            variation_id = self.variation_id(product, colour_slot)
            skus = []
            for size_slot, size in enumerate(product.sizes):
                sku_id = self.sku_id(product, colour_slot, size_slot)
                skus.append(
                    (
                        size,
                        sku_id,
                        f"{ident}-{code}-{size}",
                        self.ids.inventory + (sku_id - self.ids.sku) * 4,
                        f"11236{sku_id % 10**8:08d}" if product.has_upc else "",
                    )
                )
            found = Variant(
                variation_id=variation_id,
                colour=name,
                colour_code=code,
                hex=hex_colour,
                cover_path=f"/images/product/{product.id}/{product.slug}.svg"
                if product.has_cover
                else None,
                image_path=f"/images/product_image/{variation_id}/{product.slug}-{slugify(name)}.svg"
                if product.has_variation_images
                else None,
                skus=tuple(skus),
            )
            self._variants[key] = found
        return found

    def sku_id(self, product: Product, colour_slot: int, size_slot: int) -> int:
        return self.ids.sku + product.index * 100 + colour_slot * 10 + size_slot

    def variation_id(self, product: Product, colour_slot: int) -> int:
        return self.ids.variation + product.index * 16 + colour_slot

    def decode_sku(self, sku_id: int) -> tuple[Product, int, int] | None:
        local = sku_id - self.ids.sku
        if local < 0:
            return None
        p, rest = divmod(local, 100)
        c, s = divmod(rest, 10)
        if p >= len(self.products):
            return None
        product = self.products[p]
        if c >= len(product.colours) or s >= len(product.sizes):
            return None
        return product, c, s

    def decode_variation(self, variation_id: int) -> tuple[Product, int] | None:
        local = variation_id - self.ids.variation
        if local < 0:
            return None
        p, c = divmod(local, 16)
        if p >= len(self.products) or c >= len(self.products[p].colours):
            return None
        return self.products[p], c


NORTHWIND_STAGES = (
    Stage("Cutting", "#b86f6f", 18, 96),
    Stage("Sewing", "#973094", 72, 360),
    Stage("Washing", "#80c0d6", 24, 96, optional=True),
    Stage("Finishing", "#e0a458", 24, 120),
    Stage("Packing", "#89d7ca", 8, 48),
)
SOUTHPAW_STAGES = (
    Stage("Pattern", "#6d597a", 24, 120),
    Stage("Cutting", "#e56b6f", 12, 72),
    Stage("Stitching", "#355070", 96, 400),
    Stage("Embroidery", "#e96", 24, 120, optional=True),
    Stage("Quality Check", "#2A9D8F", 8, 48),
    Stage("Packing", "#b5838d", 8, 36),
)

NORTHWIND_MANUFACTURERS = (
    ("Adine Undone", "AUD", "AU"),
    ("Bolide", "EUR", "IT"),
    ("Tribal Sportswear Inc.", "CAD", "CN"),
    ("Porto Knitwear Lda", "EUR", "PT"),
    ("Dhaka Denim Works", "USD", "BD"),
    ("Atelier Lumière", "EUR", "FR"),
    ("Saigon Garment Co.", "USD", "VN"),
    ("Istanbul Tekstil A.Ş.", "EUR", "TR"),
    ('Marchetti & Figli "Sartoria"', "EUR", "IT"),
    ("Shenzhen Bright Apparel", "USD", "CN"),
    ("Kowloon Stitch Ltd", "GBP", "HK"),
    ("Fábrica Ñandú <Norte>", "EUR", "ES"),
)
SOUTHPAW_MANUFACTURERS = (
    ("Jaipur Block Prints", "USD", "IN"),
    ("Tiruppur Knits Pvt Ltd", "USD", "IN"),
    ("Bolide", "EUR", "IT"),
    ("Brooklyn Cut & Sew", "USD", "US"),
    ("Lima Pima Cotton SAC", "USD", "PE"),
    ("Hanoi Outerwear JSC", "USD", "VN"),
)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def _products(
    rng: random.Random, org: int, ids: Ids, count: int, countries: list[str]
) -> tuple[Product, ...]:
    products = []
    used_identifiers: set[str] = set()
    for p in range(count):
        garment = rng.choice(GARMENTS)
        if rng.random() < 0.6:
            code = f"{rng.randint(10, 99)}-{rng.randint(1000, 9999)}{rng.choice('OABX')}"
            name, identifier = f"{code} - {garment}", code
        else:
            name = f"{rng.choice(FIRST_NAMES)} {garment}"
            identifier = name
        while identifier in used_identifiers:
            identifier += " Copy"
            name += " Copy"
        used_identifiers.add(identifier)
        sizes = SIZE_RUNS[rng.choices((0, 1, 2), weights=(6, 3, 1))[0]]
        colours = tuple(rng.sample(range(len(COLOURS)), rng.randint(2, 4)))
        products.append(
            Product(
                index=p,
                id=ids.product + p,
                name=name,
                identifier=identifier,
                brand=None if rng.random() < 0.3 else rng.choice(BRANDS),
                country="" if rng.random() < 0.35 else rng.choice(countries),
                unit_cost=0
                if rng.random() < 0.05
                else rng.randint(8, 60) * 100 + rng.choice((0, 0, 50, 38, 99)),
                sizes=sizes,
                colours=colours,
                has_cover=rng.random() < 0.75,
                has_variation_images=rng.random() < 0.7,
                has_upc=rng.random() < 0.6,
                uses_optional_stage=rng.random() < 0.5,
                slug=slugify(identifier),
            )
        )
    return tuple(products)


def _agents(rng: random.Random, base: int) -> tuple[dict, ...]:
    agents = []
    for k, (name, city, postal, country, currency) in enumerate(
        (
            ("Cora Agencies", "NY", "10001", "US", "USD"),
            ("An agent", "DC", "12345", "US", "USD"),
            ("Maison Rep Paris", "Paris", "75003", "FR", "EUR"),
            ("Nordic Showroom", "Stockholm", "11434", "SE", "EUR"),
        )
    ):
        agents.append(
            {
                "id": base + k,
                "name": name,
                "email": f"{slugify(name)}@agents.example",
                "phone": f"1202555{rng.randint(1000, 9999)}",
                "address": rng.choice(("", None, f"{rng.randint(1, 99)} Market Street")),
                "city": city,
                "postal_code": postal,
                "country": country,
                "currency": currency,
            }
        )
    return tuple(agents)


def build_organisations(*, seed: int, orders: int, epoch_year: int) -> dict[int, Organisation]:
    """Both organisations; the second holds about a quarter of the first's data."""
    orgs: dict[int, Organisation] = {}
    y = epoch_year % 100
    specs = (
        (
            NORTHWIND,
            "Northwind Apparel",
            0,
            max(1, orders),
            120,
            NORTHWIND_STAGES,
            ((12328, f"AW{y - 1:02d}"), (12864, f"SS{y:02d}"), (13105, f"AW{y:02d}")),
            ((3201, "Primary warehouse"), (3202, "Leeds DC"), (3203, "Porto Hub")),
            NORTHWIND_MANUFACTURERS,
            59576,
            (
                (10869, "Wholesale", "USD"),
                (11953, "Wholesale(CAD)", "CAD"),
                (10870, "Retail", "GBP"),
                (10871, "Marketplace", "EUR"),
            ),
            ("+01:00", "+01:00", "+01:00", "Z"),
        ),
        (
            SOUTHPAW,
            "Southpaw Studio",
            1,
            max(1, orders // 4),
            40,
            SOUTHPAW_STAGES,
            (
                (18301, f"Resort {y - 1:02d}"),
                (18317, f"Spring {y:02d}"),
                (18342, f"Holiday {y:02d}"),
            ),
            ((4101, "Main warehouse"), (4102, "Brooklyn Studio")),
            SOUTHPAW_MANUFACTURERS,
            61200,
            ((12001, "Wholesale", "USD"), (12002, "Direct", "USD")),
            ("Z", "Z", "+05:30"),
        ),
    )
    for (
        org_id,
        name,
        slot,
        n_orders,
        n_products,
        stages,
        seasons,
        warehouses,
        makers,
        maker_base,
        channels,
        offsets,
    ) in specs:
        rng = random.Random(f"{seed}:{org_id}:catalogue")
        ids = Ids(
            production_order=20001 + slot * 2_000_000,
            line_item=140_001 + slot * 40_000_000,
            line_quantity=740_001 + slot * 400_000_000,
            sales_order=862_001 + slot * 5_000_000,
            sales_line_item=3_662_001 + slot * 40_000_000,
            sales_line_quantity=17_606_001 + slot * 400_000_000,
            customer=985_001 + slot * 1_000_000,
            person=1_090_001 + slot * 10_000_000,
            address=794_001 + slot * 10_000_000,
            invoice=824_001 + slot * 10_000_000,
            product=111_001 + slot * 1_000_000,
            variation=235_001 + slot * 1_000_000,
            sku=1_208_001 + slot * 10_000_000,
            inventory=1_243_901 + slot * 10_000_000,
        )
        manufacturers = tuple(
            Manufacturer(maker_base + k, m_name, currency, country)
            for k, (m_name, currency, country) in enumerate(makers)
        )
        products = _products(rng, org_id, ids, n_products, [m.country for m in manufacturers])
        org = Organisation(
            id=org_id,
            name=name,
            slot=slot,
            order_count=n_orders,
            customer_count=max(12 if slot == 0 else 6, n_orders // 10),
            sales_order_count=max(20 if slot == 0 else 8, n_orders // 2),
            offsets=offsets,
            ids=ids,
            stages=stages,
            seasons=seasons,
            warehouses=warehouses,
            manufacturers=manufacturers,
            channels=channels,
            agents=_agents(rng, 9171 + slot * 1000),
            products=products,
        )
        org.product_by_id = {p.id: p for p in products}
        org.product_by_identifier = {p.identifier.lower(): p for p in products}
        orgs[org_id] = org
    return orgs

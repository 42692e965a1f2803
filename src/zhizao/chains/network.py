"""The supply network (供应链网络) of one year, as arrays: firms and supplier → buyer links.

Every kernel of ``zhizao.chains`` (the measures, the chain leaders, resilience, and the shock model
of ``zhizao.chains.shock``) takes a :class:`Network`. :func:`build_network` makes one from the
warehouse: the year's ``links`` are aggregated per (supplier, buyer, product) in one Ibis
expression run on the backend (DuckDB or PySpark), the firms per USCC in a second one
(``enterprises`` ⋈ that year's ``indicators``, outer-joined to the link ends); only the aggregated
tables come back to Arrow and are turned into integer indices with NumPy.

A link's supplier or buyer need not be in ``enterprises`` (a firm outside the province, as from a
VAT e-invoice): it becomes an *outside node* keyed by its USCC, with the region code the link
gives (``supplier_region_code`` / ``buyer_region_code``), ``inside = False`` and, as its sector,
the product it sells most (by amount), or its region's code when it only buys.

Codes: ``sectors`` and ``products`` are the same sorted tuple of GB/T 4754-2017 codes at the
network's level (``class`` 小类, 4 digits; ``group`` 中类, 3; ``division`` 大类, 2) — the firms' own
codes and the links' product codes together — so ``sector`` and ``product`` indices compare
directly (a firm of sector ``s`` makes product ``s``).

Output (产出, yuan/year): an inside firm's revenue (营业收入; its gross output when revenue is
missing) that year, raised to its sales on the links when these are larger (so that the part of
output not sold on links, the final demand of the shock model, is never negative); an outside node's
(or a firm with no figure's) sales on the links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import ibis
import numpy as np
import pyarrow as pa

__all__ = ["LEVELS", "Network", "build_network", "network_from_arrays"]

Level = Literal["class", "group", "division"]
LEVELS: dict[str, int] = {"class": 4, "group": 3, "division": 2}


@dataclass(frozen=True)
class Network:
    """A year's supply network: ``N`` firms and ``L`` supplier → buyer links (one per supplier,
    buyer and product; amounts summed).

    Attributes
    ----------
    firms : (N,) str — USCC (统一社会信用代码), or the id an outside node has on the links.
    region : (N,) str — GB/T 2260 county code (``""`` unknown).
    sector : (N,) int — index into ``sectors``: the firm's own industry code at the network's level.
    sectors : tuple of str — codes (from :func:`build_network`: the same tuple as ``products``).
    inside : (N,) bool — in the province's ``enterprises`` table.
    output : (N,) float64 — yuan/year (see the module docstring).
    supplier, buyer : (L,) int64 — indices into ``firms``.
    product : (L,) int — index into ``products``: the link's product class at the network's level.
    products : tuple of str — codes.
    amount : (L,) float64 — yuan/year.
    year : int.
    """

    firms: np.ndarray
    region: np.ndarray
    sector: np.ndarray
    sectors: tuple[str, ...]
    inside: np.ndarray
    output: np.ndarray
    supplier: np.ndarray
    buyer: np.ndarray
    product: np.ndarray
    products: tuple[str, ...]
    amount: np.ndarray
    year: int
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        n, m = len(self.firms), len(self.supplier)
        for name in ("region", "sector", "inside", "output"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, firms {n}")
        for name in ("buyer", "product", "amount"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, supplier {m}")
        if m and (min(self.supplier.min(), self.buyer.min()) < 0 or max(self.supplier.max(), self.buyer.max()) >= n):
            raise ValueError("supplier/buyer index out of range of firms")
        if m and (self.product.min() < 0 or self.product.max() >= len(self.products)):
            raise ValueError("product index out of range of products")
        if n and (self.sector.min() < 0 or self.sector.max() >= len(self.sectors)):
            raise ValueError("sector index out of range of sectors")
        if m and (np.any(self.amount < 0) or not np.all(np.isfinite(self.amount))):
            raise ValueError("amounts must be finite and ≥ 0")

    @property
    def n_firms(self) -> int:
        return len(self.firms)

    @property
    def n_links(self) -> int:
        return len(self.supplier)

    def sales(self) -> np.ndarray:
        """(N,) Σ amount sold on the links per firm."""
        return np.bincount(self.supplier, weights=self.amount, minlength=self.n_firms)

    def purchases(self) -> np.ndarray:
        """(N,) Σ amount bought on the links per firm."""
        return np.bincount(self.buyer, weights=self.amount, minlength=self.n_firms)

    def index(self, ids) -> np.ndarray:
        """Indices of firm ids (USCC); ``-1`` where an id is not a node.

        >>> net = network_from_arrays([0], [1], [5.0], firms=["A", "B"])
        >>> net.index(["B", "Z"]).tolist()
        [1, -1]
        """
        ids = np.asarray(ids, dtype=object).astype(str)
        key = self._cache.get("sorted_firms")
        if key is None:
            order = np.argsort(self.firms, kind="stable")
            key = self._cache.setdefault("sorted_firms", (order, self.firms[order]))
        order, sorted_ids = key
        pos = np.searchsorted(sorted_ids, ids)
        pos = np.minimum(pos, max(len(sorted_ids) - 1, 0))
        found = (len(sorted_ids) > 0) & (sorted_ids[pos] == ids) if len(sorted_ids) else np.zeros(len(ids), bool)
        return np.where(found, order[pos], -1).astype(np.int64)

    def sector_codes(self) -> np.ndarray:
        """(N,) the firms' codes as strings."""
        return np.asarray(self.sectors, dtype=object)[self.sector].astype(str) if self.n_firms else np.array([], str)

    def product_codes(self) -> np.ndarray:
        """(L,) the links' product codes as strings."""
        return np.asarray(self.products, dtype=object)[self.product].astype(str) if self.n_links else np.array([], str)


def network_from_arrays(supplier, buyer, amount, *, firms=None, n: int | None = None, region=None, sector=None,
                        sectors=None, inside=None, output=None, product=None, products=None,
                        year: int = 0) -> Network:
    """A :class:`Network` from plain arrays (tests, benchmarks, other data sources).

    Parameters
    ----------
    supplier, buyer, amount
        (L,) link ends (indices into the firms) and amounts (yuan/year).
    firms
        (N,) ids; default ``F0``, ``F1``, … (``n`` of them: default the largest index + 1).
    region
        (N,) county codes; default ``""`` (unknown).
    sector, sectors
        (N,) indices and their codes; default every firm in sector ``"0"``.
    inside
        (N,) bool; default all True.
    output
        (N,) yuan/year; default the larger of the firm's sales and purchases on the links (final
        demand and value added then never negative).
    product, products
        (L,) indices and codes; default each link's product is its supplier's sector
        (``products = sectors``).
    year
        The year the network describes.

    >>> net = network_from_arrays([0, 1], [1, 2], [10.0, 4.0])
    >>> net.firms.tolist(), net.output.tolist(), net.product.tolist()
    (['F0', 'F1', 'F2'], [10.0, 10.0, 4.0], [0, 0])
    """
    supplier = np.asarray(supplier, dtype=np.int64).reshape(-1)
    buyer = np.asarray(buyer, dtype=np.int64).reshape(-1)
    amount = np.asarray(amount, dtype=np.float64).reshape(-1)
    if firms is not None:
        firms = np.asarray(firms, dtype=object).astype(str)
        n = len(firms)
    else:
        if n is None:
            n = int(max(supplier.max(initial=-1), buyer.max(initial=-1)) + 1)
        firms = np.char.add("F", np.arange(n).astype(str)) if n else np.array([], dtype=str)
    if len(supplier) and (min(supplier.min(), buyer.min()) < 0 or max(supplier.max(), buyer.max()) >= n):
        raise ValueError("supplier/buyer index out of range of firms")
    region = np.full(n, "", dtype=object).astype(str) if region is None else np.asarray(region, dtype=object).astype(str)
    if sector is None:
        sector = np.zeros(n, dtype=np.int64)
        sectors = ("0",) if sectors is None else tuple(sectors)
    else:
        sector = np.asarray(sector, dtype=np.int64)
        if sectors is None:
            sectors = tuple(str(i) for i in range(int(sector.max(initial=-1)) + 1)) or ("0",)
        sectors = tuple(str(s) for s in sectors)
    inside = np.ones(n, dtype=bool) if inside is None else np.asarray(inside, dtype=bool)
    if product is None:
        product = sector[supplier] if len(supplier) else np.zeros(0, dtype=np.int64)
        products = sectors if products is None else tuple(products)
    else:
        product = np.asarray(product, dtype=np.int64)
        if products is None:
            products = tuple(str(i) for i in range(int(product.max(initial=-1)) + 1)) or ("0",)
        products = tuple(str(p) for p in products)
    if output is None:
        sales = np.bincount(supplier, weights=amount, minlength=n)
        purchases = np.bincount(buyer, weights=amount, minlength=n)
        output = np.maximum(sales, purchases)
    output = np.asarray(output, dtype=np.float64)
    return Network(firms=firms, region=region, sector=sector, sectors=sectors, inside=inside, output=output,
                   supplier=supplier, buyer=buyer, product=product, products=products, amount=amount,
                   year=int(year))


def _link_expr(tables: dict, year: int, digits: int):
    """One row per (supplier, buyer, product) of the year: amount summed, the region codes."""
    lk = tables["links"]
    lk = lk.filter((lk.year == int(year)) & (lk.supplier_uscc != lk.buyer_uscc) & lk.amount.notnull())
    lk = lk.mutate(product=lk.product_class.substr(0, digits))
    return lk.group_by(["supplier_uscc", "buyer_uscc", "product"]).aggregate(
        amount=lk.amount.cast("float64").sum(),
        supplier_region=lk.supplier_region_code.max(),
        buyer_region=lk.buyer_region_code.max(),
    )


def _node_expr(tables: dict, year: int, digits: int):
    """One row per node: the year's link ends outer-joined to the enterprises with indicators."""
    lk = tables["links"]
    lk = lk.filter((lk.year == int(year)) & (lk.supplier_uscc != lk.buyer_uscc) & lk.amount.notnull())
    amt = lk.amount.cast("float64")
    ends = lk.select(uscc=lk.supplier_uscc, link_region=lk.supplier_region_code, sold=amt).union(
        lk.select(uscc=lk.buyer_uscc, link_region=lk.buyer_region_code, sold=ibis.literal(0.0)), distinct=False)
    ends = ends.group_by("uscc").aggregate(link_region=ends.link_region.max(), sales=ends.sold.sum(),
                                           on_links=ends.uscc.count())
    ent, ind = tables["enterprises"], tables["indicators"]
    ind = ind.filter(ind.year == int(year))
    fig = ind.revenue.cast("float64").fill_null(ind.gross_output.cast("float64"))
    ind = ind.group_by("uscc").aggregate(revenue=fig.max(), reported=ind.uscc.count())
    e = ent.select("uscc", "region_code", "industry_code").left_join(ind, "uscc")
    e = e.select(uscc=e.uscc, region_code=e.region_code, industry=e.industry_code.substr(0, digits),
                 revenue=e.revenue, reported=e.reported.fill_null(0))
    j = ends.outer_join(e, ends.uscc == e.uscc)
    j = j.select(uscc=j.uscc.fill_null(j.uscc_right), link_region=j.link_region, sales=j.sales.fill_null(0.0),
                 region_code=j.region_code, industry=j.industry, revenue=j.revenue,
                 inside=j.uscc_right.notnull(), reported=j.reported.fill_null(0),
                 on_links=j.on_links.fill_null(0))
    # a firm of the province counts when it reported that year or trades on the links
    return j.filter((j.on_links > 0) | (j.reported > 0))


def build_network(tables: dict, *, year: int, level: Level = "class") -> Network:
    """The supply network of ``year`` from the warehouse tables.

    Parameters
    ----------
    tables
        Ibis tables by name (``Warehouse.tables()``): reads ``links``, ``enterprises`` and
        ``indicators``.
    year
        The links' year; firms are the link ends plus the enterprises with indicators that year.
    level
        Code level of sectors and products: ``class`` (小类), ``group`` (中类) or ``division`` (大类).

    Returns
    -------
    Network
        Firms sorted by id; links in (supplier, buyer, product) order; self-links dropped.

    >>> import ibis
    >>> ent = ibis.memtable({"uscc": ["a", "b"], "region_code": ["330681", "330102"],
    ...                      "industry_code": ["1763", "3451"]})
    >>> ind = ibis.memtable({"uscc": ["a", "b"], "year": [2024, 2024], "revenue": [100.0, 50.0],
    ...                      "gross_output": [None, None]})
    >>> lk = ibis.memtable({"supplier_uscc": ["b", "x"], "buyer_uscc": ["a", "a"], "year": [2024, 2024],
    ...                     "product_class": ["3451", "3973"], "amount": [20.0, 5.0],
    ...                     "supplier_region_code": ["330102", "310115"],
    ...                     "buyer_region_code": ["330681", "330681"]})
    >>> net = build_network({"enterprises": ent, "indicators": ind, "links": lk}, year=2024)
    >>> net.firms.tolist(), net.inside.tolist(), net.region.tolist(), net.output.tolist()
    (['a', 'b', 'x'], [True, True, False], ['330681', '330102', '310115'], [100.0, 50.0, 5.0])
    >>> net.sector_codes().tolist(), net.product_codes().tolist()
    (['1763', '3451', '3973'], ['3451', '3973'])
    """
    if level not in LEVELS:
        raise ValueError(f"level: {level!r} is not one of {tuple(LEVELS)}")
    digits = LEVELS[level]
    links = _link_expr(tables, year, digits).to_pyarrow()
    nodes = _node_expr(tables, year, digits).to_pyarrow()
    return _assemble(links, nodes, year)


def _strings(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(col.fill_null("").to_numpy(zero_copy_only=False), dtype=object).astype(str)


def _assemble(links: pa.Table, nodes: pa.Table, year: int) -> Network:
    uscc = _strings(nodes.column("uscc"))
    order = np.argsort(uscc, kind="stable")
    uscc = uscc[order]
    nodes = nodes.take(pa.array(order))
    n = len(uscc)
    if len(np.unique(uscc)) != n:
        raise ValueError("enterprises repeat a USCC")
    inside = nodes.column("inside").fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    region_ent = _strings(nodes.column("region_code"))
    region_lk = _strings(nodes.column("link_region"))
    region = np.where(inside & (region_ent != ""), region_ent, region_lk)
    industry = _strings(nodes.column("industry"))
    revenue = nodes.column("revenue").to_numpy(zero_copy_only=False).astype(np.float64)

    # links → indices (a link end is always a node: the node expression holds every end)
    lk_order = np.lexsort((_strings(links.column("product")), _strings(links.column("buyer_uscc")),
                           _strings(links.column("supplier_uscc"))))
    links = links.take(pa.array(lk_order))
    s_id, b_id = _strings(links.column("supplier_uscc")), _strings(links.column("buyer_uscc"))
    supplier = np.searchsorted(uscc, s_id).astype(np.int64)
    buyer = np.searchsorted(uscc, b_id).astype(np.int64)
    amount = links.column("amount").to_numpy(zero_copy_only=False).astype(np.float64)
    prod_codes = _strings(links.column("product"))

    # outside nodes: the product they sell most, else their region-less "" code
    sales = np.bincount(supplier, weights=amount, minlength=n)
    main_product = np.full(n, "", dtype=object)
    if len(supplier):
        o = np.lexsort((-amount, supplier))               # per supplier, largest link first
        first = o[np.r_[True, supplier[o][1:] != supplier[o][:-1]]]
        main_product[supplier[first]] = prod_codes[first]
    firm_code = np.where(industry != "", industry, main_product.astype(str))
    codes = np.unique(np.concatenate([firm_code, prod_codes]))
    sector = np.searchsorted(codes, firm_code).astype(np.int64)
    product = np.searchsorted(codes, prod_codes).astype(np.int64)
    output = np.maximum(np.where(np.isfinite(revenue) & (revenue > 0), revenue, 0.0), sales)
    return Network(firms=uscc, region=region, sector=sector, sectors=tuple(codes.tolist()), inside=inside,
                   output=output, supplier=supplier, buyer=buyer, product=product, products=tuple(codes.tolist()),
                   amount=amount, year=int(year))

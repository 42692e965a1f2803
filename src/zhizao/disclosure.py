"""Statistical disclosure control (统计披露控制): cell suppression (单元格抑制) of published tables.

Every aggregate the platform shows to someone who may not see the enterprises behind it goes
through :func:`suppress` (or its conveniences :func:`protect_1d`, :func:`protect_2d`,
:func:`protect_hierarchy`). Pure NumPy/SciPy, no IO; the thresholds come from
``Settings.disclosure_k`` / ``Settings.disclosure_p`` (``ZHIZAO_DISCLOSURE_K`` / ``_P``).

The model. A published table is one vector ``x`` of cells, interior cells and margins (合计)
alike, tied by additivity constraints ``A @ x == 0`` (每个合计减去其组成部分之和). The builders
:func:`table_1d`, :func:`table_2d` and :func:`table_hierarchy` make ``A`` for the usual shapes;
any other linear structure can be passed as its own ``A``.

1. **Primary suppression (首次抑制).** A cell that needs control is *sensitive* (敏感单元格) when
   it has 1 to ``k - 1`` contributing enterprises (threshold rule, 门槛规则; reason ``'k'``) or
   when its largest contributor holds more than ``p`` % of the cell (dominance rule, 优势规则 —
   the (1, p) dominance rule; reason ``'p'``). Contributions count by absolute value, so the rule
   also works for profits (利润), which can be negative. A cell with no enterprise is an *empty
   cell* (空单元格): not sensitive, published as count 0, value 0.
2. **Secondary suppression (二次抑制 / 补充抑制).** More cells are suppressed (reason
   ``'secondary'``) until no suppressed cell can be recomputed exactly from the published cells
   and the totals (:func:`derivable`).

Cells that do not need control (inside the viewer's own jurisdiction, 辖区内) are known to the
viewer: they are never suppressed, and the analysis treats them as published constants.

>>> A = table_1d(3)                       # cells 0, 1, 2 and their total (index 3)
>>> s = suppress(A, counts=[2, 5, 9, 16], values=[10.0, 40.0, 50.0, 100.0], top1=[6.0, 9.0, 9.0, 9.0])
>>> s.reason                              # cell 0 has 2 firms; cell 1 (cheapest) hides it
('k', 'secondary', '', '')
>>> s.publish([10.0, 40.0, 50.0, 100.0])
[None, None, 50.0, 100.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import dijkstra

from zhizao.errors import InvalidInput

__all__ = [
    "Protected",
    "Suppression",
    "derivable",
    "is_network",
    "protect_1d",
    "protect_2d",
    "protect_hierarchy",
    "suppress",
    "table_1d",
    "table_2d",
    "table_hierarchy",
]

#: ``1 - leverage`` below this counts as "in the row space" in the floating-point test. For a
#: network matrix (every builder here) a cell that is not derivable has ``1 - leverage`` of at
#: least ``1 / (number of suppressed cells)``, far above this.
LEVERAGE_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# Table structures (表结构)
# --------------------------------------------------------------------------------------------

def table_1d(n: int) -> np.ndarray:
    """Constraints of a one-dimensional table (一维表): ``n`` cells and their total.

    Parameters
    ----------
    n : int
        Number of cells (at least 1).

    Returns
    -------
    numpy.ndarray
        ``(1, n + 1)`` int8: the cells are ``x[0] … x[n - 1]``, the total is ``x[n]``; the one row
        says ``sum(cells) - total == 0``.

    Examples
    --------
    >>> table_1d(3)
    array([[ 1,  1,  1, -1]], dtype=int8)
    """
    if n < 1:
        raise InvalidInput("一维表至少需要 1 个单元格", "a 1-D table needs at least 1 cell", where="n")
    A = np.ones((1, n + 1), dtype=np.int8)
    A[0, n] = -1
    return A


def table_2d(r: int, c: int) -> np.ndarray:
    """Constraints of a two-dimensional table (二维表) with row totals, column totals and the
    grand total (总计).

    Flattening order: the table is the ``(r + 1, c + 1)`` grid in row-major (C) order, so cell
    ``(i, j)`` is ``x[i * (c + 1) + j]``. Row ``r`` (the last) holds the column totals, column
    ``c`` (the last) holds the row totals, and ``x[-1]`` is the grand total; ``x.reshape(r + 1,
    c + 1)`` gives the grid back.

    Parameters
    ----------
    r, c : int
        Numbers of interior rows and columns (at least 1 each).

    Returns
    -------
    numpy.ndarray
        ``(r + c + 2, (r + 1) * (c + 1))`` int8: first the ``r + 1`` row constraints (each grid
        row, the column-totals row included, sums to its last entry), then the ``c + 1`` column
        constraints. One constraint is redundant; that is harmless.

    Examples
    --------
    >>> A = table_2d(1, 2)                # [[a, b, a+b], [a, b, a+b]]
    >>> A
    array([[ 1,  1, -1,  0,  0,  0],
           [ 0,  0,  0,  1,  1, -1],
           [ 1,  0,  0, -1,  0,  0],
           [ 0,  1,  0,  0, -1,  0],
           [ 0,  0,  1,  0,  0, -1]], dtype=int8)
    >>> x = np.array([[2, 3, 5], [2, 3, 5]]).ravel()
    >>> (A @ x == 0).all()
    np.True_
    """
    if r < 1 or c < 1:
        raise InvalidInput("二维表至少需要 1 行 1 列", "a 2-D table needs at least 1 row and 1 column",
                           where="shape")
    n = (r + 1) * (c + 1)
    idx = np.arange(n).reshape(r + 1, c + 1)
    A = np.zeros((r + c + 2, n), dtype=np.int8)
    for i in range(r + 1):
        A[i, idx[i, :c]] = 1
        A[i, idx[i, c]] = -1
    for j in range(c + 1):
        A[r + 1 + j, idx[:r, j]] = 1
        A[r + 1 + j, idx[r, j]] = -1
    return A


def _children(parent_of) -> list[list[int]]:
    """Children of each node; raises on a parent out of range or a cycle."""
    n = len(parent_of)
    kids: list[list[int]] = [[] for _ in range(n)]
    for v, p in enumerate(parent_of):
        if p is None:
            continue
        if not (isinstance(p, (int, np.integer)) and 0 <= p < n) or p == v:
            raise InvalidInput(f"节点 {v} 的上级 {p!r} 无效", f"node {v}: invalid parent {p!r}",
                               where=f"parent_of[{v}]")
        kids[int(p)].append(v)
    state = [0] * n                              # 0 unseen, 1 on the current walk, 2 done
    for start in range(n):
        walk, v = [], start
        while v is not None and state[v] == 0:
            state[v] = 1
            walk.append(v)
            v = parent_of[v]
        if v is not None and state[v] == 1:
            raise InvalidInput(f"层级中有环（经过节点 {v}）", f"the hierarchy has a cycle through node {v}",
                               where="parent_of")
        for w in walk:
            state[w] = 2
    return kids


def table_hierarchy(parent_of) -> np.ndarray:
    """Constraints of a hierarchical one-dimensional table (层级表), e.g. counties (区县) within
    prefectures (地级市) within the province (省).

    Parameters
    ----------
    parent_of : sequence of int or None
        ``parent_of[v]`` is the index of node ``v``'s parent, ``None`` for a root. Every node is
        one cell of ``x`` (in this order); a node with children is the total of its children. A
        forest (several roots) is allowed. Every enterprise sits in exactly one leaf: model
        enterprises that belong to a prefecture but to none of its counties as one more leaf.

    Returns
    -------
    numpy.ndarray
        ``(number of nodes with children, len(parent_of))`` int8, one row per such node in
        increasing node order: ``sum(children) - node == 0``.

    Examples
    --------
    >>> table_hierarchy([None, 0, 0, 1, 1])  # province 0; prefectures 1, 2; counties 3, 4 in 1
    array([[-1,  1,  1,  0,  0],
           [ 0, -1,  0,  1,  1]], dtype=int8)
    """
    kids = _children(parent_of)
    inner = [v for v in range(len(parent_of)) if kids[v]]
    A = np.zeros((len(inner), len(parent_of)), dtype=np.int8)
    for row, v in enumerate(inner):
        A[row, kids[v]] = 1
        A[row, v] = -1
    return A


# --------------------------------------------------------------------------------------------
# Derivability (可推算性)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Network:
    """``A`` as a graph: constraint rows are nodes, node ``m`` is the ground (接地) node, and each
    cell is an edge between the (at most two) constraints it appears in — ground when only one.
    ``has_edge`` is False for a cell in no constraint."""

    n_nodes: int
    u: np.ndarray
    v: np.ndarray
    has_edge: np.ndarray


def _as_csc(A) -> sp.csc_array:
    A = sp.csc_array(A, dtype=np.float64) if sp.issparse(A) else sp.csc_array(np.asarray(A, dtype=np.float64))
    A.eliminate_zeros()
    return A


def _network(A) -> _Network | None:
    """The graph of ``A`` when ``A`` is a network matrix (网络矩阵) up to row signs, else None.

    That holds when every entry is 0 or ±1, every column has at most two non-zeros, and the rows
    can be re-signed so that every two-entry column holds one +1 and one -1 (a 2-colouring of the
    rows, solved by a breadth-first walk). Then ``A`` with a ground row appended is the incidence
    matrix of a graph (关联矩阵), up to row signs, and the ground row lies in the row space.
    """
    A = _as_csc(A)
    m, n = A.shape
    if A.nnz and not np.all(np.abs(A.data) == 1):
        return None
    per_col = np.diff(A.indptr)
    if per_col.size and per_col.max() > 2:
        return None
    u = np.full(n, m, dtype=np.int64)
    v = np.full(n, m, dtype=np.int64)
    has_edge = per_col > 0
    one = per_col == 1
    u[one] = A.indices[A.indptr[:-1][one]]
    two = np.flatnonzero(per_col == 2)
    a = A.indices[A.indptr[two]]
    b = A.indices[A.indptr[two] + 1]
    same = A.data[A.indptr[two]] * A.data[A.indptr[two] + 1]      # +1: the rows need opposite signs
    u[two], v[two] = a, b
    # 2-colour the rows: sign[a] * sign[b] must equal -same for every two-entry column
    adj: list[list[tuple[int, int]]] = [[] for _ in range(m)]
    for x, y, s in zip(a.tolist(), b.tolist(), same.tolist()):
        adj[x].append((y, -int(s)))
        adj[y].append((x, -int(s)))
    sign = [0] * m
    for start in range(m):
        if sign[start]:
            continue
        sign[start] = 1
        stack = [start]
        while stack:
            x = stack.pop()
            for y, rel in adj[x]:
                want = sign[x] * rel
                if sign[y] == 0:
                    sign[y] = want
                    stack.append(y)
                elif sign[y] != want:
                    return None
    return _Network(m + 1, u, v, has_edge)


def is_network(A) -> bool:
    """Whether ``A`` is a network matrix up to row signs, so that :func:`derivable` and
    :func:`suppress` use the exact graph method (see :func:`derivable`).

    The three builders always give network matrices; a three-dimensional table does not.

    Examples
    --------
    >>> is_network(table_2d(3, 4)), is_network(table_hierarchy([None, 0, 0, 1, 1]))
    (True, True)
    >>> is_network(np.array([[1, 1, 1, -1], [1, -1, 0, 0], [0, 1, -1, 0]]))
    False
    """
    return _network(A) is not None


def _bridges(n_nodes: int, u, v) -> np.ndarray:
    """Bridges (桥) of the multigraph with edges ``(u[e], v[e])``: the edges on no cycle.

    Tarjan's low-link method, iterative; parallel edges are distinct edges (two parallel edges
    are a cycle), so only the edge we came in by is skipped, not its endpoint.
    """
    u, v = list(map(int, u)), list(map(int, v))
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n_nodes)]
    for e, (a, b) in enumerate(zip(u, v)):
        adj[a].append((b, e))
        adj[b].append((a, e))
    disc = [-1] * n_nodes
    low = [0] * n_nodes
    bridge = np.zeros(len(u), dtype=bool)
    timer = 0
    for root in range(n_nodes):
        if disc[root] != -1 or not adj[root]:
            continue
        disc[root] = low[root] = timer
        timer += 1
        stack = [(root, -1, iter(adj[root]))]
        while stack:
            x, came_by, it = stack[-1]
            for y, e in it:
                if e == came_by:
                    continue
                if disc[y] == -1:
                    disc[y] = low[y] = timer
                    timer += 1
                    stack.append((y, e, iter(adj[y])))
                    break
                low[x] = min(low[x], disc[y])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[x])
                    if low[x] > disc[parent]:
                        bridge[came_by] = True
    return bridge


def _derivable_graph(net: _Network, mask: np.ndarray) -> np.ndarray:
    out = np.zeros(mask.shape[0], dtype=bool)
    cells = np.flatnonzero(mask & net.has_edge)
    if cells.size:
        out[cells] = _bridges(net.n_nodes, net.u[cells], net.v[cells])
    return out


def _derivable_linalg(A, mask: np.ndarray) -> np.ndarray:
    out = np.zeros(mask.shape[0], dtype=bool)
    cells = np.flatnonzero(mask)
    if cells.size == 0:
        return out
    B = np.asarray(A[:, cells].toarray() if sp.issparse(A) else np.asarray(A)[:, cells], dtype=np.float64)
    B = B[np.any(B != 0, axis=1)]
    if B.shape[0] == 0:
        return out
    _, s, vt = scipy.linalg.svd(B, full_matrices=False, lapack_driver="gesvd")
    rank = int(np.sum(s > max(B.shape) * np.finfo(np.float64).eps * s[0]))
    leverage = np.sum(vt[:rank] ** 2, axis=0)          # squared norm of e_i projected on row(B)
    out[cells] = leverage > 1.0 - LEVERAGE_TOL
    return out


def derivable(A, suppressed_mask, *, method: str = "auto") -> np.ndarray:
    """Which suppressed cells can be recomputed exactly (可精确推算) from the others.

    Everything outside ``suppressed_mask`` counts as known (published, or known to the viewer).
    Suppressed cell ``i`` is derivable when every table that agrees with the known cells and
    satisfies ``A @ x == 0`` has the same ``x[i]`` — equivalently, when the unit vector ``e_i``
    lies in the row space of ``A[:, S]`` (``S`` the suppressed cells), or again when every vector
    of the null space of ``A[:, S]`` is 0 at ``i``. Non-negativity and other bounds are not used:
    this is exact recomputation, not interval estimation (区间估计).

    Parameters
    ----------
    A : array_like or scipy.sparse matrix, shape (m, n)
        Additivity constraints.
    suppressed_mask : array_like of bool, shape (n,)
    method : {'auto', 'graph', 'linalg'}
        ``'graph'`` (exact, integer only; needs a network matrix, :func:`is_network`): the
        suppressed cells are the edges of a graph whose nodes are the constraints plus a ground
        node, and a suppressed cell is derivable exactly when its edge is a bridge — lies on no
        cycle of suppressed cells. Linear time. ``'linalg'`` (any ``A``): the leverage of each
        suppressed column in the row space of ``A[:, S]``, from an SVD (奇异值分解) with the
        usual rank tolerance; derivable when ``1 - leverage < LEVERAGE_TOL``. Cost
        ``O(m · |S| · min(m, |S|))``. For a network matrix a cell that is not derivable has
        ``1 - leverage >= 1 / |S|`` (an effective-resistance argument), many orders above the
        tolerance for any table a web page shows; for matrices with large or fractional
        coefficients (ill-conditioned structures) the floating-point test could in principle
        misjudge near-degenerate cases. ``'auto'``: graph when possible, else linalg.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True at suppressed cells that are derivable; always False outside the mask.

    Examples
    --------
    >>> A = table_1d(3)
    >>> derivable(A, [True, False, False, False])     # cell 0 = total - cells 1, 2
    array([ True, False, False, False])
    >>> derivable(A, [True, True, False, False])
    array([False, False, False, False])
    >>> A2 = table_2d(2, 2)                            # a 2 × 2 rectangle protects itself
    >>> m = np.zeros((3, 3), dtype=bool); m[:2, :2] = True
    >>> derivable(A2, m.ravel()).any(), derivable(A2, m.ravel(), method="linalg").any()
    (np.False_, np.False_)
    """
    A = A if sp.issparse(A) else np.asarray(A)
    mask = np.asarray(suppressed_mask, dtype=bool)
    n = A.shape[1]
    if mask.shape != (n,):
        raise InvalidInput("抑制掩码的长度与表不符", f"suppressed_mask must have shape ({n},)",
                           where="suppressed_mask")
    if method not in ("auto", "graph", "linalg"):
        raise InvalidInput(f"未知方法 {method!r}", f"unknown method {method!r}", where="method")
    if method != "linalg":
        net = _network(A)
        if net is not None:
            return _derivable_graph(net, mask)
        if method == "graph":
            raise InvalidInput("约束矩阵不是网络矩阵，不能用图方法", "A is not a network matrix", where="method")
    return _derivable_linalg(A, mask)


# --------------------------------------------------------------------------------------------
# Suppression (抑制)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Suppression:
    """The suppression pattern (抑制模式) of one table, one entry per cell of ``x``.

    Attributes
    ----------
    primary, secondary : numpy.ndarray of bool
        Cells suppressed by the primary rules and by secondary suppression (disjoint).
    reason : tuple of str
        ``''`` published, ``'k'`` fewer than ``k`` enterprises, ``'p'`` dominated by one
        enterprise, ``'secondary'`` suppressed to protect another cell.
    unprotectable : numpy.ndarray of bool
        Suppressed cells that remain derivable from cells the viewer already knows, whatever is
        suppressed (only when ``needs_control`` is inconsistent, e.g. a total marked as known
        while a part of it needs control; never for the ``protect_*`` helpers).
    k, p : the thresholds used.
    """

    primary: np.ndarray
    secondary: np.ndarray
    reason: tuple[str, ...]
    unprotectable: np.ndarray
    k: int
    p: float

    @property
    def suppressed(self) -> np.ndarray:
        """Cells not shown (primary or secondary)."""
        return self.primary | self.secondary

    def publish(self, values) -> list:
        """``values`` as a list of Python numbers with ``None`` at every suppressed cell.

        Use it for every column shown for the cells (values, counts of enterprises …): the
        same pattern protects them all, as they share the additive structure.

        >>> s = Suppression(np.array([True, False]), np.array([False, False]), ("k", ""),
        ...                 np.array([False, False]), 3, 85.0)
        >>> s.publish(np.array([1.5, 2.0])), s.publish([7, 0])
        ([None, 2.0], [None, 0])
        """
        vals = np.asarray(values).tolist()
        if len(vals) != len(self.reason):
            raise InvalidInput("数值个数与表不符", f"expected {len(self.reason)} values, got {len(vals)}",
                               where="values")
        return [None if s else v for v, s in zip(vals, self.suppressed.tolist())]


def _cells(name: str, a, n: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.shape != (n,):
        raise InvalidInput(f"{name} 的长度应为 {n}", f"{name} must have shape ({n},), got {a.shape}", where=name)
    if not np.isfinite(a).all():
        raise InvalidInput(f"{name} 含缺失值或无穷大", f"{name} has NaN or infinite entries", where=name)
    return a


def _check_thresholds(k, p) -> None:
    if int(k) != k or k < 1:
        raise InvalidInput("披露控制阈值 k 至少为 1", "disclosure k must be an integer of at least 1", where="k")
    if not 0 < p <= 100:
        raise InvalidInput("披露控制阈值 p 须在 (0, 100] 之间", "disclosure p must be in (0, 100]", where="p")


def _primary(counts, values, top1, abs_values, k, p, control):
    """Primary-sensitive cells and their reasons (see :func:`suppress`)."""
    total = np.abs(values) if abs_values is None else abs_values
    occupied = counts >= 1
    few = occupied & (counts < k) & control
    dominated = occupied & (top1 * 100.0 > p * total) & control & ~few
    return few | dominated, few, dominated


class _UnionFind:
    def __init__(self, n: int):
        self.up = list(range(n))

    def find(self, x: int) -> int:
        up = self.up
        while up[x] != x:
            up[x] = up[up[x]]
            x = up[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.up[ra] = rb


def _cheapest_cycle(net: _Network, d: int, graph_cells: np.ndarray, weight: np.ndarray) -> list[int] | None:
    """The cheapest path of cells (``graph_cells`` less ``d``, with ``weight``) joining the two
    ends of cell ``d``: with ``d`` it closes a cycle. None when there is none."""
    keep = graph_cells != d
    cells, w = graph_cells[keep], weight[keep]
    a = np.minimum(net.u[cells], net.v[cells])
    b = np.maximum(net.u[cells], net.v[cells])
    key = a * net.n_nodes + b
    order = np.lexsort((w, key))                        # cheapest cell of each node pair first
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = order[first]
    keys = key[pick]
    G = sp.csr_array((w[pick], (a[pick], b[pick])), shape=(net.n_nodes, net.n_nodes))
    start, goal = int(net.u[d]), int(net.v[d])
    dist, pred = dijkstra(G, directed=False, indices=start, return_predecessors=True)
    if not np.isfinite(dist[goal]):
        return None
    path, y = [], goal
    while y != start:
        x = int(pred[y])
        path.append(int(cells[pick[np.searchsorted(keys, min(x, y) * net.n_nodes + max(x, y))]]))
        y = x
    return path


def _secondary_graph(net: _Network, primary, allowed, weight) -> tuple[np.ndarray, np.ndarray]:
    """Secondary suppression on a network: put every suppressed cell on a cycle of suppressed
    cells, by the cheapest path that closes one (Dijkstra; suppressed cells cost almost 0)."""
    supp = primary.copy()
    unprot = np.zeros_like(supp)
    graph_cells = np.flatnonzero((allowed | supp) & net.has_edge)
    # a suppressed cell costs so little that any number of them is cheaper than one more cell
    finite = weight[graph_cells][np.isfinite(weight[graph_cells])]
    tiny = (finite.min() if finite.size else 1.0) / (10.0 * (weight.size + 1))
    for _ in range(3):                                  # two rounds suffice; see the notes in docs
        cells = np.flatnonzero(supp & net.has_edge)
        is_bridge = _bridges(net.n_nodes, net.u[cells], net.v[cells])
        todo = [int(d) for d in cells[is_bridge] if not unprot[d]]
        if not todo:
            break
        uf = _UnionFind(net.n_nodes)                    # nodes known to share a cycle (2-edge-connected)
        for e in cells[~is_bridge]:
            uf.union(int(net.u[e]), int(net.v[e]))
        todo.sort(key=lambda d: (not primary[d], -weight[d], d))   # primaries first, largest first
        for d in todo:
            if uf.find(int(net.u[d])) == uf.find(int(net.v[d])):
                continue                                # already on a cycle closed this round
            w = np.where(supp[graph_cells], tiny, weight[graph_cells])
            path = _cheapest_cycle(net, d, graph_cells, w)
            if path is None:
                unprot[d] = True
                continue
            supp[path] = True
            for e in path:
                uf.union(int(net.u[e]), int(net.v[e]))
            uf.union(int(net.u[d]), int(net.v[d]))
    return supp & ~primary, unprot


def _secondary_greedy(A, primary, supp, allowed, weight) -> tuple[np.ndarray, np.ndarray]:
    """Fallback: while a suppressed cell is derivable, suppress the candidate with the lowest cost
    per constraint it shares with derivable cells. ``supp`` is the pattern so far."""
    nz = (A != 0).astype(np.float64).tocsr()           # constraint × cell incidence
    supp = supp.copy()
    unprot = np.zeros_like(supp)
    for _ in range(supp.size + 1):
        bad = _derivable_linalg(A, supp) & ~unprot
        if not bad.any():
            break
        exposed = np.asarray(nz[:, np.flatnonzero(bad)].sum(axis=1)).ravel() > 0
        cover = np.asarray(nz[np.flatnonzero(exposed)].sum(axis=0)).ravel()
        cand = allowed & ~supp & (cover > 0)
        if not cand.any():                             # widen: any constraint holding a suppressed cell
            touched = np.asarray(nz[:, np.flatnonzero(supp)].sum(axis=1)).ravel() > 0
            cover = np.asarray(nz[np.flatnonzero(touched)].sum(axis=0)).ravel()
            cand = allowed & ~supp & (cover > 0)
        if not cand.any():
            unprot |= bad
            break
        idx = np.flatnonzero(cand)
        supp[idx[np.argmin(weight[idx] / cover[idx])]] = True
    return supp, unprot


def _secondary_lp(A, primary, allowed, weight) -> tuple[np.ndarray, np.ndarray]:
    """Secondary suppression for any ``A``: for each primary cell ``d`` not yet protected, the
    cheapest vector ``z`` of the null space of ``A`` with ``z[d] = 1`` that is 0 on every cell
    that may not be suppressed (a linear programme: minimise ``sum(weight * |z|)``, already
    suppressed cells costing almost nothing); its support is suppressed. No cell of a support
    is then derivable — ``z`` moves them all while keeping the totals. A final exact check
    hands any cell left derivable (numerical edge cases) to the greedy fallback."""
    A = _as_csc(A)
    supp = primary.copy()
    unprot = np.zeros_like(supp)
    protected = primary & ~_derivable_linalg(A, primary)   # more suppression never undoes this
    free = np.flatnonzero(allowed | supp)               # z may be non-zero here only
    AV = A[:, free]
    AV = AV[np.flatnonzero(np.diff(AV.tocsr().indptr))]   # drop constraints with no free cell
    m, nv = AV.shape
    finite = weight[free][np.isfinite(weight[free])]
    tiny = (finite.min() if finite.size else 1.0) / (10.0 * (weight.size + 1))
    position = {int(c): i for i, c in enumerate(free)}
    for d in sorted(np.flatnonzero(primary).tolist(), key=lambda d: (-weight[d], d)):
        if protected[d]:
            continue
        w = np.where(supp[free] | ~np.isfinite(weight[free]), tiny, weight[free])
        pick = sp.csr_array(([1.0], ([0], [position[d]])), shape=(1, nv))
        A_eq = sp.vstack([sp.hstack([AV, -AV]), sp.hstack([pick, -pick])], format="csc")
        b_eq = np.zeros(m + 1)
        b_eq[m] = 1.0
        res = linprog(np.concatenate([w, w]), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if res.status != 0:
            unprot[d] = True
            continue
        z = res.x[:nv] - res.x[nv:]
        cells = free[np.abs(z) > 1e-7 * max(1.0, np.abs(z).max())]
        supp[cells] = True
        protected[cells] = True
    if (_derivable_linalg(A, supp) & ~unprot).any():
        supp, more = _secondary_greedy(A, primary, supp, allowed, weight)
        unprot |= more
    return supp & ~primary, unprot & supp


def suppress(A, counts, values, top1, *, k: int = 3, p: float = 85.0, needs_control=None, cost=None,
             abs_values=None, method: str = "auto") -> Suppression:
    """Primary and secondary cell suppression (单元格抑制) of one table.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix, shape (m, n)
        Additivity constraints ``A @ x == 0`` of the table (:func:`table_1d`, :func:`table_2d`,
        :func:`table_hierarchy`, or your own).
    counts : array_like, shape (n,)
        Number of contributing enterprises (企业数) per cell, totals included.
    values : array_like, shape (n,)
        The published value per cell (may be negative, e.g. profits).
    top1 : array_like, shape (n,)
        Largest single absolute contribution per cell (最大单户贡献的绝对值).
    k : int
        Threshold rule: a cell with ``1 <= count < k`` enterprises is sensitive.
    p : float
        Dominance rule: a cell whose largest contributor exceeds ``p`` % of the cell is sensitive:
        ``top1 > p / 100 * abs_values``.
    needs_control : array_like of bool, shape (n,), optional
        Cells the viewer cannot see the enterprises of (default: all). The others are published
        as they are, never suppressed, and count as known in the analysis. A total that covers a
        part needing control should need control too (the ``protect_*`` helpers ensure this).
    cost : array_like, shape (n,), optional
        Cost of suppressing a cell as secondary (default ``|values|``: hide as little value as
        possible). ``inf`` forbids it. Ties go to fewer cells, then to cells with fewer
        enterprises; empty cells are used only as a last resort.
    abs_values : array_like, shape (n,), optional
        Sum of absolute contributions per cell, the denominator of the dominance rule. Default
        ``|values|``, which is exact when all contributions have one sign and errs on the safe side
        (suppresses more) when they do not.
    method : {'auto', 'graph', 'lp'}
        Secondary suppression by cheapest cycles (``'graph'``, network matrices only) or by
        linear programmes (``'lp'``, any ``A``); ``'auto'``: graph when possible.

    Returns
    -------
    Suppression

    Notes
    -----
    Secondary suppression makes every suppressed cell non-derivable (:func:`derivable`). On a
    network matrix (every builder here) each derivable cell — a bridge — is put on a cycle of
    suppressed cells by the cheapest path between its two ends (Dijkstra over the cells that need
    control, already suppressed cells costing almost nothing): the classical rectangle of four
    cells in a two-dimensional table. Primaries are handled first, the most valuable first.
    Otherwise a greedy loop adds, while any suppressed cell is derivable, the candidate with the
    lowest cost per constraint it shares with derivable cells. Both stop: every step suppresses
    at least one more cell, and suppressing every cell that needs control protects every cell
    that can be protected at all (see ``unprotectable``). Neither is guaranteed to find the
    cheapest pattern (that is an integer programme).

    Examples
    --------
    The classical case: one sensitive cell in a 3 × 3 table costs a rectangle of four.

    >>> c = np.array([[2, 5, 6], [7, 8, 9], [9, 9, 9]])
    >>> v = np.array([[4.0, 9.0, 30.0], [20.0, 10.0, 40.0], [50.0, 60.0, 70.0]])
    >>> t = protect_2d(c, v, v / 3, k=3, p=85)
    >>> t.publish()
    [[None, None, 30.0, 43.0], [None, None, 40.0, 70.0], [50.0, 60.0, 70.0, 180.0], [74.0, 79.0, 140.0, 293.0]]
    """
    A = A if sp.issparse(A) else np.asarray(A)
    if A.ndim != 2:
        raise InvalidInput("约束矩阵须为二维", "A must be 2-dimensional", where="A")
    n = A.shape[1]
    _check_thresholds(k, p)
    counts = _cells("counts", counts, n)
    values = _cells("values", values, n)
    top1 = _cells("top1", top1, n)
    if (counts < 0).any() or (counts != np.round(counts)).any():
        raise InvalidInput("企业数须为非负整数", "counts must be non-negative integers", where="counts")
    if (top1 < 0).any():
        raise InvalidInput("最大单户贡献须为绝对值（非负）", "top1 must be non-negative", where="top1")
    empty = counts == 0
    if ((values != 0) | (top1 != 0))[empty].any():
        raise InvalidInput("没有企业的单元格数值须为 0", "a cell with no enterprise must have value 0 and top1 0",
                           where="values")
    if abs_values is not None:
        abs_values = _cells("abs_values", abs_values, n)
        slack = 1e-9 * np.maximum(1.0, abs_values)
        if (abs_values + slack < np.abs(values)).any() or (top1 > abs_values + slack).any():
            raise InvalidInput("abs_values 须不小于 |values| 与 top1", "abs_values must be at least |values| and top1",
                               where="abs_values")
    control = np.ones(n, dtype=bool) if needs_control is None else np.asarray(needs_control, dtype=bool)
    if control.shape != (n,):
        raise InvalidInput("needs_control 的长度与表不符", f"needs_control must have shape ({n},)",
                           where="needs_control")
    if cost is None:
        cost = np.abs(values)
    else:
        cost = np.asarray(cost, dtype=np.float64)
        if cost.shape != (n,) or np.isnan(cost).any() or (cost < 0).any():
            raise InvalidInput("cost 须为非负数", f"cost must be {n} non-negative numbers", where="cost")

    primary, few, dominated = _primary(counts, values, top1, abs_values, k, p, control)

    # weight of suppressing a cell as secondary: its cost, plus a small step per cell and per
    # enterprise (fewer cells, then fewer enterprises), plus a large step for an empty cell
    finite = np.isfinite(cost)
    scale = float(cost[finite].max(initial=0.0)) + 1.0
    step = scale * 1e-6
    weight = cost + step * (1.0 + counts / (counts.max(initial=0.0) + 1.0))
    weight = np.where(empty, weight + scale * (n + 1), weight)
    allowed = control & finite

    if method not in ("auto", "graph", "lp"):
        raise InvalidInput(f"未知方法 {method!r}", f"unknown method {method!r}", where="method")
    net = None if method == "lp" else _network(A)
    if method == "graph" and net is None:
        raise InvalidInput("约束矩阵不是网络矩阵，不能用图方法", "A is not a network matrix", where="method")
    if net is not None:
        secondary, unprot = _secondary_graph(net, primary, allowed, weight)
    else:
        secondary, unprot = _secondary_lp(A, primary, allowed, weight)

    reason = np.full(n, "", dtype=object)
    reason[few] = "k"
    reason[dominated] = "p"
    reason[secondary] = "secondary"
    return Suppression(_frozen(primary), _frozen(secondary), tuple(reason.tolist()), _frozen(unprot),
                       int(k), float(p))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


# --------------------------------------------------------------------------------------------
# Conveniences for the services: margins computed here
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Protected:
    """A table with its margins and its suppression pattern, ready to publish.

    ``counts``, ``values``, ``top1`` and ``needs_control`` hold the full table, margins
    included, in the builder's shape: ``(n + 1,)`` for :func:`protect_1d`, ``(r + 1, c + 1)``
    for :func:`protect_2d`, one entry per node for :func:`protect_hierarchy`. ``suppression``
    and ``A`` are in the flattened order (``x = values.ravel()``).
    """

    A: np.ndarray
    counts: np.ndarray
    values: np.ndarray
    top1: np.ndarray
    needs_control: np.ndarray
    suppression: Suppression

    @property
    def suppressed(self) -> np.ndarray:
        """The suppressed cells, in the table's shape."""
        return self.suppression.suppressed.reshape(self.values.shape)

    @property
    def reason(self) -> np.ndarray:
        """The reason per cell (``''``, ``'k'``, ``'p'``, ``'secondary'``) in the table's shape."""
        return np.array(self.suppression.reason, dtype=object).reshape(self.values.shape)

    def publish(self, what: str = "values") -> list:
        """``'values'`` or ``'counts'`` as nested lists in the table's shape, ``None`` where
        suppressed (counts of enterprises are hidden with the values, so an intruder cannot
        learn that a hidden cell has, say, 2 enterprises)."""
        if what not in ("values", "counts"):
            raise InvalidInput(f"未知列 {what!r}", f"what must be 'values' or 'counts', not {what!r}", where="what")
        data = self.values if what == "values" else self.counts.astype(np.int64)
        flat = self.suppression.publish(data.ravel())
        if data.ndim == 1:
            return flat
        width = data.shape[1]
        return [flat[i:i + width] for i in range(0, len(flat), width)]


def _finish(A, counts, values, top1, absv, control, k, p, cost) -> Protected:
    s = suppress(A, counts.ravel(), values.ravel(), top1.ravel(), k=k, p=p, needs_control=control.ravel(),
                 cost=None if cost is None else np.asarray(cost, dtype=np.float64).ravel(),
                 abs_values=None if absv is None else absv.ravel())
    return Protected(A, _frozen(counts.astype(np.int64)), _frozen(values), _frozen(top1), _frozen(control), s)


def _interior(name, a, shape) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.shape != shape:
        raise InvalidInput(f"{name} 的形状应为 {shape}", f"{name} must have shape {shape}, got {a.shape}", where=name)
    return a


def protect_1d(counts, values, top1, *, k: int = 3, p: float = 85.0, needs_control=None, abs_values=None,
               cost=None) -> Protected:
    """Suppress a one-dimensional table given its ``n`` cells; the total is computed here.

    The total's count and value are the sums of the cells', its ``top1`` the largest of theirs
    (each enterprise is in exactly one cell). It needs control when any cell does. ``cost``, if
    given, has ``n + 1`` entries (the total last). See :func:`suppress` for the rest.

    Examples
    --------
    >>> t = protect_1d([2, 5, 9], [10.0, 40.0, 50.0], [6.0, 9.0, 9.0])
    >>> t.publish(), t.publish("counts")
    ([None, None, 50.0, 100.0], [None, None, 9, 16])
    >>> t.reason.tolist()
    ['k', 'secondary', '', '']
    """
    counts = np.asarray(counts, dtype=np.float64).ravel()
    n = counts.size
    values, top1 = _interior("values", values, (n,)), _interior("top1", top1, (n,))
    control = np.ones(n, dtype=bool) if needs_control is None else np.asarray(needs_control, dtype=bool)
    control = _interior("needs_control", control, (n,)).astype(bool)
    absv = None if abs_values is None else _interior("abs_values", abs_values, (n,))
    ext = lambda a, total: np.append(a, total)                           # noqa: E731
    return _finish(table_1d(n), ext(counts, counts.sum()), ext(values, values.sum()),
                   ext(top1, top1.max(initial=0.0)), None if absv is None else ext(absv, absv.sum()),
                   ext(control, control.any()), k, p, cost)


def protect_2d(counts, values, top1, *, k: int = 3, p: float = 85.0, needs_control=None, abs_values=None,
               cost=None) -> Protected:
    """Suppress a two-dimensional table given its ``r × c`` interior; row totals, column totals and
    the grand total are computed here (sums of counts and values, maxima of ``top1``).

    A margin needs control when any cell it covers does. The result's arrays are ``(r + 1, c +
    1)``: row totals in the last column, column totals in the last row (the :func:`table_2d`
    order). ``cost``, if given, is ``(r + 1, c + 1)``.

    Examples
    --------
    The viewer sees row 0 (their own county): it is published whatever its counts.

    >>> c = np.array([[1, 4], [2, 5], [6, 7]])
    >>> v = np.array([[5.0, 8.0], [3.0, 9.0], [12.0, 14.0]])
    >>> t = protect_2d(c, v, v / 2, needs_control=[[False, False], [True, True], [True, True]])
    >>> t.publish()
    [[5.0, 8.0, 13.0], [None, None, 12.0], [None, None, 26.0], [20.0, 31.0, 51.0]]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2:
        raise InvalidInput("counts 须为 r × c 矩阵", "counts must be an r × c matrix", where="counts")
    r, c = counts.shape
    values, top1 = _interior("values", values, (r, c)), _interior("top1", top1, (r, c))
    control = np.ones((r, c), dtype=bool) if needs_control is None else np.asarray(needs_control, dtype=bool)
    control = _interior("needs_control", control, (r, c)).astype(bool)
    absv = None if abs_values is None else _interior("abs_values", abs_values, (r, c))

    def margins(a, how):
        out = np.zeros((r + 1, c + 1), dtype=a.dtype)
        out[:r, :c] = a
        out[:r, c] = how(a, axis=1)
        out[r, :c] = how(a, axis=0)
        out[r, c] = how(a, axis=None)
        return out

    return _finish(table_2d(r, c), margins(counts, np.sum), margins(values, np.sum), margins(top1, np.max),
                   None if absv is None else margins(absv, np.sum), margins(control, np.any), k, p, cost)


def protect_hierarchy(parent_of, counts, values, top1, *, k: int = 3, p: float = 85.0, needs_control=None,
                      abs_values=None, cost=None) -> Protected:
    """Suppress a hierarchical table (:func:`table_hierarchy`) given its leaves.

    Arrays have one entry per node; the entries of nodes with children are ignored and computed
    here from the leaves (sums of counts and values, maximum of ``top1``); such a node needs
    control when any leaf below it does.

    Examples
    --------
    Province 0; prefectures 1 and 2; counties 3, 4 in 1 and 5, 6 in 2. County 3 has 2 firms.

    >>> parents = [None, 0, 0, 1, 1, 2, 2]
    >>> t = protect_hierarchy(parents, [0, 0, 0, 2, 6, 4, 5], [0, 0, 0, 7.0, 20.0, 9.0, 11.0],
    ...                       [0, 0, 0, 4.0, 5.0, 3.0, 3.0])
    >>> t.publish()
    [47.0, 27.0, 20.0, None, None, 9.0, 11.0]
    """
    kids = _children(parent_of)
    n = len(parent_of)
    counts = _interior("counts", counts, (n,)).copy()
    values, top1 = _interior("values", values, (n,)).copy(), _interior("top1", top1, (n,)).copy()
    control = np.ones(n, dtype=bool) if needs_control is None else np.asarray(needs_control, dtype=bool).copy()
    control = _interior("needs_control", control, (n,)).astype(bool)
    absv = None if abs_values is None else _interior("abs_values", abs_values, (n,)).copy()
    order: list[int] = []                                  # children before parents
    for root in range(n):
        if parent_of[root] is not None:
            continue
        stack = [(root, False)]
        while stack:
            v, done = stack.pop()
            if done:
                order.append(v)
                continue
            stack.append((v, True))
            stack.extend((w, False) for w in kids[v])
    for v in order:
        if kids[v]:
            counts[v] = counts[kids[v]].sum()
            values[v] = values[kids[v]].sum()
            top1[v] = top1[kids[v]].max()
            control[v] = control[kids[v]].any()
            if absv is not None:
                absv[v] = absv[kids[v]].sum()
    return _finish(table_hierarchy(parent_of), counts, values, top1, absv, control, k, p, cost)

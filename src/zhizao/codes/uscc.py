"""统一社会信用代码 (USCC, unified social credit code) per GB 32100-2015.

Structure (GB 32100-2015 clause 4, 18 characters):

====== ======================================================================
chars  part
====== ======================================================================
1      登记管理部门代码 registration authority (1 机构编制, 5 民政, 9 工商/市场监管, Y 其他 …)
2      机构类别代码 organisation type, defined per authority (for 9: 1 企业, 2 个体工商户,
       3 农民专业合作社)
3–8    登记管理机关行政区划码 region of the registering office, six digits of GB/T 2260
9–17   主体标识码 the organisation code of GB 11714-1997: eight body characters and a check
       character (weights 3, 7, 9, 10, 5, 8, 4, 2; check = 11 − (sum mod 11), 10 → "X", 11 → "0";
       a letter counts as its position in A–Z plus 9, A = 10)
18     校验码 check character (clause 5): weights 3^i mod 31 for i = 0 … 16, i.e.
       1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28; check = (31 − sum mod 31)
       mod 31, written in the code alphabet
====== ======================================================================

The code alphabet is ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (31 characters, no I, O, Z, S, V); a
character's value is its index. Because 31 is prime and no weight is 0 mod 31, changing any one
character to another of the alphabet changes the weighted sum by a non-zero multiple of the weight,
so the check character detects every single-character substitution (tested exhaustively).

The region part is only checked for shape (six digits): registering offices keep their codes
after districts are renamed or abolished, so :func:`parse_uscc` reports ``region_known`` instead
of rejecting codes absent from the current GB/T 2260 table. Some codes issued in early pilots
(e.g. Xiamen ``91350211M00013FA1N``) do not satisfy the check character; they are reported invalid,
as the standard requires.

Authority and type codes: GB 32100-2015 table 1, plus later assignments by the code administrator
as listed by public validators (3 司法行政 6, 5 民政 4/5, 8 工会 2, 9 工商 9, G 公安, J 住房城乡建设,
Q 侨联); see ``docs/codes.md``.

Examples
--------
>>> check_uscc("91350100M000100Y43") is None
True
>>> uscc_check_char("91350100M000100Y4")
'3'
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zhizao.codes._columns import as_arrow, is_missing

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

__all__ = [
    "ALPHABET",
    "AUTHORITIES",
    "InvalidUSCC",
    "USCCParts",
    "check_uscc",
    "check_usccs",
    "generate_uscc",
    "generate_usccs",
    "is_valid_uscc",
    "normalize_uscc",
    "org_code_check_char",
    "parse_uscc",
    "uscc_check_char",
]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # GB 32100-2015 clause 5
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997 clause 5

# 登记管理部门代码 → (name, {机构类别代码: name}). GB 32100-2015 table 1 and later assignments.
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体",
                      "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                      "5": "仲裁委员会", "6": "商事调解组织", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "4": "村民委员会",
                  "5": "居民委员会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
                  "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "2": "非法人工会组织", "9": "其他"}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社", "9": "其他"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "G": ("公安", {"1": "境外非政府组织代表机构", "9": "其他"}),
    "J": ("住房城乡建设", {"1": "业主大会", "9": "其他"}),
    "N": ("农业农村", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织",
                      "9": "其他"}),
    "Q": ("侨联", {"1": "区县级侨联组织", "2": "乡镇级侨联组织", "3": "村级侨联组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}


class InvalidUSCC(ValueError):
    """A string that is not a valid USCC; the message gives the reason (zh / en)."""


@dataclass(frozen=True)
class USCCParts:
    """The parts of a valid USCC (GB 32100-2015 clause 4)."""

    authority: str
    authority_name: str
    org_type: str
    org_type_name: str
    region_code: str
    org_code: str
    check: str
    region_known: bool


# --- scalar ----------------------------------------------------------------------------------


def normalize_uscc(s: object) -> str:
    """Strip, drop inner whitespace, turn full-width characters half-width (NFKC), upper-case.

    >>> normalize_uscc(" ９１３５０１００ｍ０００１００ｙ４３ ")
    '91350100M000100Y43'
    """
    text = s if isinstance(s, str) else str(s)
    for _ in range(8):  # to a fixed point: dropping spaces or upper-casing can un-normalise text
        new = unicodedata.normalize("NFKC", "".join(unicodedata.normalize("NFKC", text).split()).upper())
        if new == text:
            break
        text = new
    return text


def _org_value(c: str) -> int:
    # GB 11714-1997: digits are themselves, letters A–Z are 10–35.
    if "0" <= c <= "9":
        return ord(c) - 48
    if "A" <= c <= "Z":
        return ord(c) - 55
    raise InvalidUSCC(f"'{c}' 不能出现在组织机构代码中 / '{c}' cannot appear in an organisation code")


def org_code_check_char(first8: str) -> str:
    """The GB 11714-1997 check character for an 8-character organisation-code body.

    >>> org_code_check_char("M000100Y")
    '4'
    """
    if len(first8) != 8:
        raise InvalidUSCC(f"组织机构代码本体应为 8 位，实为 {len(first8)} 位 / "
                          f"organisation-code body must be 8 characters, got {len(first8)}")
    r = 11 - sum(_org_value(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True)) % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character (position 18) for the first 17 characters."""
    if len(first17) != 17:
        raise InvalidUSCC(f"应为 17 位，实为 {len(first17)} 位 / expected 17 characters, "
                          f"got {len(first17)}")
    try:
        total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    except KeyError as exc:
        raise InvalidUSCC(f"字符 {exc.args[0]!r} 不在代码字符集内 / character {exc.args[0]!r} is "
                          f"not in the code alphabet") from None
    return ALPHABET[(31 - total % 31) % 31]


# Reason wording, shared by the scalar and the vectorised checks so that both say the same.
def _msg_length(code: str, n: int) -> str:
    return f"'{code}' 长度应为 18 位，实为 {n} 位 / '{code}' must be 18 characters, got {n}"


def _msg_char(code: str, pos: int, c: str) -> str:
    return (f"'{code}' 第 {pos} 位字符 '{c}' 不合法（仅限数字和除 I、O、Z、S、V 外的大写字母） / "
            f"'{code}': character '{c}' at position {pos} is not allowed "
            f"(digits and capital letters except I, O, Z, S, V)")


def _msg_authority(code: str, authority: str) -> str:
    return (f"'{code}' 第 1 位登记管理部门代码 '{authority}' 未定义 / "
            f"'{code}': unknown registration authority '{authority}' (position 1)")


def _msg_type(code: str, authority: str, org_type: str) -> str:
    auth_name, types = AUTHORITIES[authority]
    allowed = ", ".join(types)
    return (f"'{code}' 第 2 位机构类别代码 '{org_type}' 不属于登记管理部门 {authority}（{auth_name}），"
            f"可用 {allowed} / '{code}': organisation type '{org_type}' (position 2) is not "
            f"defined for authority {authority} ({auth_name}); allowed: {allowed}")


def _msg_region(code: str) -> str:
    region = code[2:8]
    return (f"'{code}' 第 3–8 位登记管理机关行政区划码 '{region}' 应为 6 位数字 / "
            f"'{code}': region part '{region}' (positions 3–8) must be 6 digits")


def _msg_org(code: str, expected: str) -> str:
    return (f"'{code}' 组织机构代码 {code[8:17]} 校验码错误：应为 {expected}，实为 {code[16]} / "
            f"'{code}': organisation code {code[8:17]} has a bad check character: "
            f"expected {expected}, got {code[16]}")


def _msg_check(code: str, expected: str) -> str:
    return (f"'{code}' 校验码错误：应为 {expected}，实为 {code[17]} / "
            f"'{code}': bad check character: expected {expected}, got {code[17]}")


def _reason(code: str) -> str | None:
    """Reason why a normalised string is not a valid USCC, or None (checks in clause order)."""
    if len(code) != 18:
        return _msg_length(code, len(code))
    for i, c in enumerate(code, start=1):
        if c not in _VALUE:
            return _msg_char(code, i, c)
    authority, org_type = code[0], code[1]
    if authority not in AUTHORITIES:
        return _msg_authority(code, authority)
    if org_type not in AUTHORITIES[authority][1]:
        return _msg_type(code, authority, org_type)
    if not code[2:8].isdigit():
        return _msg_region(code)
    expected_org = org_code_check_char(code[8:16])
    if code[16] != expected_org:
        return _msg_org(code, expected_org)
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return _msg_check(code, expected)
    return None


def check_uscc(s: object) -> str | None:
    """``None`` if ``s`` is a valid USCC (after :func:`normalize_uscc`), else the reason (zh / en)."""
    if is_missing(s) or (isinstance(s, str) and not s.strip()):
        return "统一社会信用代码为空 / USCC is empty"
    return _reason(normalize_uscc(s))


def is_valid_uscc(s: object) -> bool:
    """True if :func:`check_uscc` finds nothing wrong."""
    return check_uscc(s) is None


def parse_uscc(s: object) -> USCCParts:
    """Split a valid USCC into its parts; raises :class:`InvalidUSCC` with the reason.

    ``region_known`` says whether the region part is in the current GB/T 2260 table.
    """
    reason = check_uscc(s)
    if reason is not None:
        raise InvalidUSCC(reason)
    from zhizao.codes import regions

    code = normalize_uscc(s)
    auth_name, types = AUTHORITIES[code[0]]
    return USCCParts(
        authority=code[0],
        authority_name=auth_name,
        org_type=code[1],
        org_type_name=types[code[1]],
        region_code=code[2:8],
        org_code=code[8:17],
        check=code[17],
        region_known=regions.check_region_code(code[2:8]) is None,
    )


# --- vectorised ------------------------------------------------------------------------------
# Kinds of failure, in the order the scalar check tests them.
_OK, _CHAR, _AUTHORITY, _TYPE, _REGION, _ORG, _CHECK = range(7)


@functools.cache
def _luts() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Byte → code-alphabet value (-1 if not allowed), byte → GB 11714 value, known authority
    bytes, valid (authority, type) byte pairs, and the alphabet as bytes."""
    import numpy as np

    value = np.full(256, -1, np.int8)
    for i, c in enumerate(ALPHABET):
        value[ord(c)] = i
    org = np.zeros(256, np.int8)
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        org[ord(c)] = _org_value(c)
    authority = np.zeros(256, bool)
    pairs = np.zeros((256, 256), bool)
    for a, (_, types) in AUTHORITIES.items():
        authority[ord(a)] = True
        for t in types:
            pairs[ord(a), ord(t)] = True
    alphabet = np.frombuffer(ALPHABET.encode(), np.uint8).copy()
    return value, org, authority, pairs, alphabet


def _org_check_bytes(b: np.ndarray) -> np.ndarray:
    """GB 11714 check character (as a byte) for the bodies in columns 8–15 of ``b``."""
    import numpy as np

    org = _luts()[1]
    total = np.zeros(len(b), np.int32)
    for i, w in enumerate(ORG_WEIGHTS):
        total += org[b[:, 8 + i]].astype(np.int32) * w
    r = 11 - total % 11
    return np.where(r == 10, ord("X"), np.where(r == 11, ord("0"), r + 48)).astype(np.uint8)


def _check_values(v: np.ndarray) -> np.ndarray:
    """GB 32100 check value (0–30) from the alphabet values in columns 0–16 of ``v``."""
    import numpy as np

    total = np.zeros(len(v), np.int32)
    for i, w in enumerate(WEIGHTS):
        total += v[:, i].astype(np.int32) * w
    return (31 - total % 31) % 31


def _diagnose(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Failure kind per row of an (n, 18) array of upper-case ASCII bytes, with the first bad
    position, the expected organisation check byte and the expected check value."""
    import numpy as np

    value, _, authority, pairs, _ = _luts()
    v = value[b]
    illegal = v < 0
    region = b[:, 2:8]
    org_expected = _org_check_bytes(b)
    check_expected = _check_values(v)
    kind = np.select(
        [
            illegal.any(axis=1),
            ~authority[b[:, 0]],
            ~pairs[b[:, 0], b[:, 1]],
            ~((region >= 48) & (region <= 57)).all(axis=1),
            b[:, 16] != org_expected,
            v[:, 17] != check_expected,
        ],
        [_CHAR, _AUTHORITY, _TYPE, _REGION, _ORG, _CHECK],
        _OK,
    )
    return kind, illegal.argmax(axis=1), org_expected, check_expected


def _reasons_for(b: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Row numbers of the invalid codes in ``b`` (upper-case ASCII, (n, 18)) and their reasons."""
    import numpy as np

    kind, pos, org_expected, check_expected = _diagnose(b)
    bad = np.flatnonzero(kind)
    codes = [x.decode("ascii") for x in b[bad].copy().view("S18").ravel().tolist()]
    rows = zip(codes, kind[bad].tolist(), pos[bad].tolist(), org_expected[bad].tolist(),
               check_expected[bad].tolist(), strict=True)
    out: list[str] = []
    for code, k, p, o, c in rows:
        if k == _CHAR:
            out.append(_msg_char(code, p + 1, code[p]))
        elif k == _AUTHORITY:
            out.append(_msg_authority(code, code[0]))
        elif k == _TYPE:
            out.append(_msg_type(code, code[0], code[1]))
        elif k == _REGION:
            out.append(_msg_region(code))
        elif k == _ORG:
            out.append(_msg_org(code, chr(o)))
        else:
            out.append(_msg_check(code, ALPHABET[c]))
    return bad, out


def _fixed_width_bytes(arr: pa.Array, width: int) -> np.ndarray:
    """(n, width) uint8 view of a string array whose values are all ``width`` bytes long."""
    import numpy as np

    n = len(arr)
    if n == 0:
        return np.empty((0, width), np.uint8)
    offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset: arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], np.uint8)
    return data[offsets[0]: offsets[0] + n * width].reshape(n, width)


def _split_fast(values: object) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, list[object]]:
    """Split a column into the rows of exactly 18 ASCII characters — an (m, 18) byte array and
    their row numbers — and the other rows (row numbers and raw values)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind == "U":
        try:
            raw = values.astype("S")  # ASCII only; otherwise take the pyarrow route below
        except UnicodeEncodeError:
            pass
        else:
            fast = np.strings.str_len(values) == 18
            fast_idx, slow_idx = np.flatnonzero(fast), np.flatnonzero(~fast)
            width = raw.dtype.itemsize
            if width >= 18:
                b = raw.view(np.uint8).reshape(len(raw), width)[fast_idx, :18]
            else:
                b = np.empty((0, 18), np.uint8)
            return len(values), b, fast_idx, slow_idx, values[slow_idx].tolist()
    arr = as_arrow(values)
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    fast = pc.and_(pc.equal(pc.binary_length(arr), 18), pc.string_is_ascii(arr)).fill_null(False)
    fast_np = fast.to_numpy(zero_copy_only=False)
    fast_idx, slow_idx = np.flatnonzero(fast_np), np.flatnonzero(~fast_np)
    b = _fixed_width_bytes(arr.filter(fast), 18)
    return len(arr), b, fast_idx, slow_idx, arr.take(slow_idx).to_pylist()


def check_usccs(
    values: pa.Array | pa.ChunkedArray | np.ndarray | Sequence[object],
) -> list[str | None]:
    """Vectorised :func:`check_uscc`: one reason (``None`` = valid) per value, same wording.

    Values of exactly 18 ASCII characters — nearly all of a real column — are upper-cased and
    checked together with numpy (alphabet, authority and type, region shape, the GB 11714 and
    GB 32100 check characters); for such values this is the same as :func:`normalize_uscc`
    followed by the scalar check. Only the other values (wrong length, full-width or spaced text,
    nulls) go through :func:`check_uscc` one by one.
    """
    import numpy as np

    n, b, fast_idx, slow_idx, slow_values = _split_fast(values)
    out: list[str | None] = [None] * n
    upper = np.where((b >= 97) & (b <= 122), b - 32, b).astype(np.uint8)
    bad, reasons = _reasons_for(upper)
    for i, reason in zip(fast_idx[bad].tolist(), reasons, strict=True):
        out[i] = reason
    for i, value in zip(slow_idx.tolist(), slow_values, strict=True):
        out[i] = check_uscc(value)
    return out


def generate_usccs(
    n: int,
    *,
    rng: np.random.Generator,
    region_codes: Sequence[str] | np.ndarray,
    authority: str = "9",
    org_type: str = "1",
) -> np.ndarray:
    """``n`` valid, distinct USCCs as a numpy string array (dtype ``<U18``), vectorised.

    ``region_codes`` has length ``n`` or 1 (or is a single code) and holds six-digit GB/T 2260
    codes (only the shape is checked). Organisation-code bodies are eight random characters of the
    code alphabet, redrawn until all are distinct, so the codes are distinct too. Deterministic for
    a given ``rng`` state.
    """
    import numpy as np

    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if authority not in AUTHORITIES or org_type not in AUTHORITIES[authority][1]:
        raise ValueError(f"unknown authority/org_type {authority!r}/{org_type!r} "
                         f"(GB 32100-2015 table 1)")
    rc = np.asarray(region_codes)
    if rc.ndim == 0:
        rc = rc.reshape(1)
    if rc.dtype.kind in "iuS":
        rc = rc.astype("U")
    if rc.dtype.kind != "U" or rc.ndim != 1:
        raise ValueError("region_codes must be a 1-d sequence of six-digit strings")
    if len(rc) not in (1, n):
        raise ValueError(f"region_codes has {len(rc)} values; need 1 or n={n}")
    if not (np.strings.str_len(rc) == 6).all() or not np.strings.isdigit(rc).all():
        raise ValueError("every region code must be six ASCII digits (GB/T 2260)")
    region = rc.astype("S6").view(np.uint8).reshape(-1, 6)

    space = 31 ** 8
    bodies = rng.integers(0, space, size=n, dtype=np.int64)
    while n:
        ordered = np.sort(bodies)
        if not (ordered[1:] == ordered[:-1]).any():
            break
        _, first = np.unique(bodies, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        bodies[dup] = rng.integers(0, space, size=int(dup.sum()), dtype=np.int64)

    value, _, _, _, alphabet = _luts()
    out = np.empty((n, 18), np.uint8)
    out[:, 0] = ord(authority)
    out[:, 1] = ord(org_type)
    out[:, 2:8] = region
    for i in range(15, 7, -1):
        out[:, i] = alphabet[bodies % 31]
        bodies //= 31
    out[:, 16] = _org_check_bytes(out)
    out[:, 17] = alphabet[_check_values(value[out[:, :17]])]
    return out.view("S18").ravel().astype("U18")


def generate_uscc(
    *, rng: np.random.Generator, region_code: str, authority: str = "9", org_type: str = "1"
) -> str:
    """One valid USCC (see :func:`generate_usccs`)."""
    return str(generate_usccs(1, rng=rng, region_codes=[region_code], authority=authority,
                              org_type=org_type)[0])

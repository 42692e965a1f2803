import pyarrow as pa
import pytest

from zhizao.data import schema, units


def test_every_table_has_its_key_among_its_columns():
    for t in schema.TABLES.values():
        assert set(t.key) <= set(t.column_names), t.name


def test_column_names_are_unique_english_snake_case():
    for t in schema.TABLES.values():
        names = t.column_names
        assert len(names) == len(set(names)), t.name
        assert all(n.isascii() and n == n.lower() and " " not in n for n in names), t.name


def test_no_two_columns_of_a_table_share_a_header_alias():
    for t in schema.TABLES.values():
        seen = {}
        for c in t.columns:
            for alias in {units.normalize_token(a) for a in (c.name, c.zh, c.en, *c.aliases)}:
                assert alias not in seen or seen[alias] == c.name, (t.name, alias, seen.get(alias), c.name)
                seen[alias] = c.name


def test_every_unit_kind_named_by_a_column_exists():
    for t in schema.TABLES.values():
        for c in t.columns:
            assert c.unit is None or c.unit in units.UNIT_KINDS, (t.name, c.name)


@pytest.mark.parametrize(
    ("table", "header", "column", "factor"),
    [
        ("indicators", "营业收入（万元）", "revenue", 1e4),
        ("indicators", "营业收入(万元)", "revenue", 1e4),
        ("indicators", " 营业收入 （ 亿元 ） ", "revenue", 1e8),
        ("indicators", "营业收入/万元", "revenue", 1e4),
        ("indicators", "营业收入", "revenue", 1.0),
        ("indicators", "Revenue", "revenue", 1.0),
        ("indicators", "统一社会信用代码", "uscc", 1.0),
        ("indicators", "综合能耗（等价值）", "energy_tce", 1.0),
        ("indicators", "综合能耗（万吨标准煤）", "energy_tce", 1e4),
        ("indicators", "用电量（万千瓦时）", "electricity_kwh", 1e4),
        ("parcels", "用地面积（公顷）", "area_mu", 15.0),
        ("parcels", "用地面积（亩）", "area_mu", 1.0),
        ("parcels", "已开发比例（%）", "developed_share", 0.01),
        ("monthly_stats", "工业增加值（不变价）（亿元）", "value_added_constant", 1e8),
    ],
)
def test_header_resolves_to_column_and_unit_factor(table, header, column, factor):
    m = schema.resolve_header(table, header)
    assert m is not None
    assert m.column.name == column
    assert m.factor == pytest.approx(factor)


def test_square_metres_convert_to_mu():
    m = schema.resolve_header("parcels", "用地面积（平方米）")
    assert 666.67 * m.factor == pytest.approx(1.0, rel=1e-4)


def test_header_naming_no_column_resolves_to_none():
    assert schema.resolve_header("indicators", "备注") is None


def test_header_with_unit_of_the_wrong_kind_is_an_error_naming_header_and_unit():
    with pytest.raises(schema.UnknownUnit, match="公顷"):
        schema.resolve_header("indicators", "营业收入（公顷）")


@pytest.mark.parametrize(("sheet", "table"), [("企业名录", "enterprises"), ("年度指标", "indicators"),
                                              ("企业年度指标", "indicators"), ("Parcels", "parcels"),
                                              ("月度工业统计", "monthly_stats"), ("Sheet1", None)])
def test_sheet_name_designates_its_table(sheet, table):
    t = schema.table_for_sheet(sheet)
    assert (t.name if t else None) == table


def test_arrow_schema_marks_required_columns_not_nullable():
    s = schema.arrow_schema(schema.INDICATORS)
    assert not s.field("uscc").nullable
    assert s.field("revenue").nullable
    assert s.field("year").type == pa.int64()


def test_header_zh_carries_the_canonical_unit():
    assert schema.INDICATORS.column("revenue").header_zh == "营业收入（元）"
    assert schema.PARCELS.column("area_mu").header_zh == "用地面积（亩）"
    assert schema.ENTERPRISES.column("name").header_zh == "企业名称"

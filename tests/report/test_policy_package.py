"""The enterprise policy service package rendered (``zhizao.report.policy_package``) and the
push-list workbook: the package computed by ``zhizao.services.policy.package`` on a warehouse of
P3's hand-built firms — sections, amounts, gaps, zh/en HTML, the synthetic-data line, the rows of
result_policy_package — and the PDF message when WeasyPrint or a CJK font is missing.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import types

import pytest
from openpyxl import load_workbook

from tests.policy.fixtures_p3 import DIR, YEAR, p3_library, p3_tables, rows, uscc
from zhizao.errors import NotFound, Unavailable
from zhizao.policy import evaluate
from zhizao.report import policy_package
from zhizao.report.policy_package import PdfUnavailable, pdf_unavailable_reason, render_html, write_pdf
from zhizao.report.policy_xlsx import PUSH_SHEET, write_push_xlsx
from zhizao.services import Service
from zhizao.services.policy import package, package_rows


@pytest.fixture(scope="module")
def lib():
    return p3_library()


@pytest.fixture(scope="module")
def tables():
    return p3_tables()


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    """A service on a warehouse of P3's hand-built firms."""
    import pyarrow as pa

    from tests.policy.conftest import tables_from_rows
    from zhizao.data import store

    path = tmp_path_factory.mktemp("p3_pkg") / "warehouse.duckdb"
    with store.open_warehouse(path) as wh:
        for name, t in tables_from_rows(*rows()).items():
            wh.replace(name, t if isinstance(t, pa.Table) else t.to_pyarrow())
    with Service.open(path) as s:
        yield s


@pytest.fixture(scope="module")
def packages(svc):
    return {k: package(svc, uscc(k), year=YEAR, library_path=DIR) for k in ("BASE", "RDGAP", "YOUNG", "NORD")}


def sections(pkg):
    return {s: [e.policy_id for e in pkg.sections[s]] for s in ("qualified", "near", "unknown", "out", "errors")}


def test_a_qualifying_enterprise_gets_both_policies_with_amounts_and_basis(packages):
    pkg = packages["BASE"]
    assert sections(pkg) == {"qualified": ["p3_grant", "p3_topup"], "near": [], "unknown": [], "out": [], "errors": []}
    grant = pkg.qualified[0]
    assert grant.amount_yuan == 300_000 and grant.route == "score" and grant.route_name_zh == "评分认定"
    assert grant.basis[0] == "P3 测试政策（非官方文本）第1条 [U]"
    assert "P3 测试政策 第7条 [U]" in grant.basis            # the score route's clause
    assert "P3 测试政策 第11条 按研发费用20%奖励，最高30万元 [U]" in grant.basis
    assert pkg.total_amount_yuan == 400_000


def test_a_near_miss_carries_its_gap(packages):
    pkg = packages["RDGAP"]
    assert sections(pkg)["near"] == ["p3_grant", "p3_topup"]
    g = pkg.near[0].gap
    assert g["floor"][0]["changes"][0]["hint"]["numerator_delta"] == pytest.approx(630_000)


def test_a_failure_the_enterprise_cannot_change_is_out_of_reach(packages):
    pkg = packages["YOUNG"]
    assert sections(pkg)["out"] == ["p3_grant", "p3_topup"]
    assert [f["rule"] for f in pkg.out[0].fixed] == ["established"]


def test_missing_data_goes_to_the_unknown_section(packages):
    pkg = packages["NORD"]
    assert sections(pkg)["unknown"] == ["p3_grant", "p3_topup"]
    assert list(pkg.unknown[0].missing) == ["rd_expenditure"]
    assert list(pkg.unknown[1].missing) == ["policy:p3_grant"]


def test_the_explanation_and_gap_of_a_package_entry_are_plain_json(packages):
    e = packages["RDGAP"].near[0]
    assert json.loads(json.dumps(e.explanation, ensure_ascii=False)) == e.explanation
    assert json.loads(json.dumps(e.gap, ensure_ascii=False)) == e.gap


def test_an_unknown_enterprise_is_not_found(svc):
    with pytest.raises(NotFound, match="91330000NOPE000000"):
        package(svc, "91330000NOPE000000", year=YEAR, library_path=DIR)


def test_the_html_is_chinese_by_default_with_amounts_and_gaps(packages):
    html = render_html(packages["BASE"])
    assert '<html lang="zh-CN">' in html and "企业政策服务包" in html
    assert "已符合的政策（免申即享）" in html and "30.0万元" in html and "40.0万元" in html
    assert "合成数据" not in html
    near = render_html(packages["RDGAP"])
    assert "接近符合的政策（差距分析）" in near
    assert "rd_ratio 2.10% → 需 ≥ 3.00%：+0.90 个百分点" in near


def test_the_html_names_the_county_not_only_its_code(packages):
    html = render_html(packages["BASE"])
    assert packages["BASE"].region.endswith(packages["BASE"].region_code) and packages["BASE"].region in html


def test_the_html_in_english(packages):
    html = render_html(packages["YOUNG"], lang="en")
    assert '<html lang="en">' in html and "Policy service package" in html
    assert "Policies out of reach for now" in html and "registered at least 2 years ago" in html
    assert "企业政策服务包" not in html


def test_the_html_says_when_the_data_is_synthetic(packages):
    pkg = dataclasses.replace(packages["BASE"], synthetic=True)
    assert render_html(pkg).count("本报告数据为合成数据") == 2
    assert "Synthetic data" in render_html(pkg, lang="en")


def test_names_are_escaped_in_the_html(packages):
    pkg = dataclasses.replace(packages["BASE"], name="<script>x</script>")
    assert "<script>x" not in render_html(pkg) and "&lt;script&gt;" in render_html(pkg)


def test_an_unknown_language_is_refused(packages):
    with pytest.raises(ValueError, match="choose zh or en"):
        render_html(packages["BASE"], lang="fr")


def test_package_rows_are_one_per_policy(packages):
    t = package_rows(packages["RDGAP"])
    assert t.num_rows == 2
    rows_ = t.to_pylist()
    assert [(r["policy_id"], r["section"], r["verdict"]) for r in rows_] == [
        ("p3_grant", "near", "not_eligible"), ("p3_topup", "near", "not_eligible")]
    assert json.loads(rows_[0]["gap_json"])["floor"][0]["rule"] == "rd_min"


def test_pdf_without_weasyprint_is_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    assert "WeasyPrint is not installed" in pdf_unavailable_reason()
    with pytest.raises(PdfUnavailable, match="WeasyPrint is not installed") as e:
        write_pdf("<html></html>", tmp_path / "x.pdf")
    assert isinstance(e.value, Unavailable) and e.value.http_status == 503
    assert not (tmp_path / "x.pdf").exists()


def _fake_weasyprint(written: list):
    mod = types.ModuleType("weasyprint")

    class HTML:
        def __init__(self, string, base_url=None):
            self.string = string

        def write_pdf(self, path):
            written.append((path, self.string))

    mod.HTML = HTML
    return mod


def test_pdf_without_a_cjk_font_is_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "weasyprint", _fake_weasyprint([]))
    monkeypatch.setattr(policy_package, "_cjk_fonts", lambda: [])
    assert "no CJK font found" in pdf_unavailable_reason()
    with pytest.raises(PdfUnavailable, match="fonts-noto-cjk"):
        write_pdf("<html></html>", tmp_path / "x.pdf")


def test_pdf_is_written_with_weasyprint_when_a_cjk_font_exists(monkeypatch, tmp_path):
    written: list = []
    monkeypatch.setitem(sys.modules, "weasyprint", _fake_weasyprint(written))
    monkeypatch.setattr(policy_package, "_cjk_fonts", lambda: ["Noto Sans CJK SC"])
    assert pdf_unavailable_reason() is None
    assert write_pdf("<p>服务包</p>", tmp_path / "x.pdf") == tmp_path / "x.pdf"
    assert written == [(str(tmp_path / "x.pdf"), "<p>服务包</p>")]


def test_push_workbook_has_the_synthetic_line_and_the_rules_sheet(lib, tables, tmp_path):
    ev = evaluate(tables, lib["p3_grant"], year=YEAR, library=lib).to_pyarrow()
    path = write_push_xlsx(ev, tmp_path / "push.xlsx", policy=lib["p3_grant"], year=YEAR, synthetic=True)
    wb = load_workbook(path)
    assert wb.sheetnames == [PUSH_SHEET, "说明"]
    first = [r[0] for r in wb[PUSH_SHEET].iter_rows(values_only=True)]
    assert "本表数据为合成数据 / synthetic data" in first
    assert "2024年度 测试创新奖励 免申即享名单" in first
    notes = [r for r in wb["说明"].iter_rows(values_only=True)]
    assert any(r[0] == "rd_min" and r[4] == "P3 测试政策 第8条(四) [U]" for r in notes)
    assert any(r[0] == "prohibited_catalogue" for r in notes)
    body = [r for r in wb[PUSH_SHEET].iter_rows(values_only=True) if isinstance(r[0], int)]
    assert len(body) == 2 and all(r[-1] == "是" for r in body)            # both within the 50万 budget


@pytest.mark.pdf
def test_a_real_pdf_embeds_a_cjk_font_and_says_the_data_is_synthetic(tmp_path):
    # no fakes: WeasyPrint renders the package HTML (CI installs a CJK font and requires this test)
    with Service.open(tmp_path / "w.duckdb") as s:
        import pyarrow as pa

        from tests.policy.conftest import tables_from_rows

        for name, t in tables_from_rows(*rows()).items():
            s.wh.replace(name, t if isinstance(t, pa.Table) else t.to_pyarrow())
        pkg = dataclasses.replace(package(s, uscc("RDGAP"), year=YEAR, library_path=DIR), synthetic=True)
    html = render_html(pkg, lang="zh")
    assert "合成数据" in html
    path = write_pdf(html, tmp_path / "package.pdf")
    assert path.read_bytes().startswith(b"%PDF") and path.stat().st_size > 10_000
    # the fonts the same HTML embeds (an uncompressed rendering, so the font names are readable)
    import weasyprint

    data = weasyprint.HTML(string=html, base_url=str(policy_package.TEMPLATES)).write_pdf(uncompressed_pdf=True)
    fonts = {f.decode("latin-1") for f in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-_]+)", data)}
    assert any(("WenQuanYi" in f) or ("CJK" in f) or ("Hei" in f) for f in fonts), fonts

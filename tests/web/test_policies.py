"""Policies on the platform (政策): the library, counts and push lists within the caller's scope (with
disclosure control on the amounts of other counties), explanations inside and outside the scope,
the policy calculator for a hypothetical enterprise, and the pages in both languages."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_of

API = "/api/v1/policies"
SMALL = "small_to_above"                         # 规上 candidates: simple rules, no benefit
VOUCHER = "growth_voucher_zhejiang"              # flat 10万元 for first-time 规上 (Zhejiang)
PRICE = "land_differential_price_zhejiang"       # a surcharge by electricity use, reads the land run


@pytest.fixture(scope="module")
def svc(web_app):
    """The app's own warm service (read it only)."""
    return web_app[0].state.platform.svc


# --- the library ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["enterprise", "provider", "county"])
def test_every_role_reads_the_library_with_its_clauses(clients, who):
    got = clients[who].get(API, params={"page_size": 500})
    assert got.status_code == 200, got.text
    body = got.json()
    ids = {r["policy_id"] for r in body["rows"]}
    assert {SMALL, VOUCHER, PRICE, "specialized_sme", "growth_voucher_shanghai"} <= ids
    assert all(r["source"] for r in body["rows"]) and body["columns"][0]["zh"] == "政策编号"
    assert sum(r["policy_id"] == "growth_voucher_shanghai" for r in body["rows"]) == 2     # two versions


def test_the_library_filters_and_downloads(clients):
    c = clients["enterprise"]
    shanghai = c.get(API, params={"applies_in": "310101", "page_size": 500}).json()["rows"]
    assert {r["policy_id"] for r in shanghai} >= {"growth_voucher_shanghai", SMALL}
    assert VOUCHER not in {r["policy_id"] for r in shanghai}
    assert {r["policy_id"] for r in c.get(API, params={"q": "voucher"}).json()["rows"]} == \
        {"growth_voucher_shanghai", VOUCHER}
    lines = c.get(API, params={"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("政策编号,版本,政策名称")


def test_one_policy_shows_its_rules_clauses_and_what_it_reads(clients):
    got = clients["provider"].get(f"{API}/{SMALL}")
    assert got.status_code == 200, got.text
    d = got.json()
    assert d["summary"]["policy_id"] == SMALL and d["floor"] == ["industrial", "operating", "below_scale"]
    assert {r["id"]: r["role"] for r in d["rules"]}["at_line"] == "route"
    assert all(r["source"] for r in d["rules"]) and "main_revenue@-1" in d["columns"]


@pytest.mark.parametrize("bad", ["no_such_policy", "README.md", "pyproject.toml", "x.yaml"])
def test_an_unknown_policy_or_a_file_name_is_404_and_reads_no_file(clients, bad):
    got = clients["admin"].get(f"{API}/{bad}")
    assert got.status_code == 404 and got.json()["error"] == "not_found"


# --- counts ------------------------------------------------------------------------------------------
def test_a_county_official_counts_only_its_county(clients, web_places, svc):
    from zhizao.services import policy as P

    county = web_places["county"]
    got = clients["county"].get(f"{API}/{VOUCHER}/counts")
    assert got.status_code == 200, got.text
    c = got.json()
    want = P.check(svc, VOUCHER, region=county, store=False)
    assert c["counts"] == want.counts and c["total"] == want.total
    assert c["eligible_amount"] == want.eligible_amount
    mine = [x for x in c["by_county"] if x["in_scope"]]
    assert [x["code"] for x in mine] == [county] and not mine[0]["suppressed"]
    assert mine[0]["counts"] == want.counts and mine[0]["amount_yuan"] == want.eligible_amount
    whole = clients["province"].get(f"{API}/{VOUCHER}/counts", params={"by_county": False}).json()
    assert whole["counts"] == P.check(svc, VOUCHER, store=False).counts and whole["by_county"] == []


def test_other_counties_amounts_are_under_disclosure_control(clients, web_app):
    settings = web_app[0].state.platform.settings
    c = clients["county"].get(f"{API}/{PRICE}/counts").json()
    assert c["controlled"] and c["k"] == settings.disclosure_k
    others = [x for x in c["by_county"] if not x["in_scope"]]
    hidden = [x for x in others if x["suppressed"]]
    assert hidden and all(x["amount_yuan"] is None and x["reason"] in ("k", "p", "secondary") for x in hidden)
    assert all(x["enterprises"] == sum(x["counts"].values()) for x in c["by_county"])   # counts stay published
    few = [x for x in others if 0 < x["counts"]["eligible"] < settings.disclosure_k]
    assert few and all(x["suppressed"] for x in few)
    admin = clients["admin"].get(f"{API}/{PRICE}/counts").json()
    assert not admin["controlled"] and not any(x["suppressed"] for x in admin["by_county"])
    assert admin["eligible_amount"] < 0                                                  # a surcharge


@pytest.mark.parametrize("who", ["enterprise", "provider"])
def test_counts_and_push_lists_are_for_officials(clients, who):
    for path in (f"{API}/{VOUCHER}/counts", f"{API}/{VOUCHER}/push"):
        got = clients[who].get(path)
        assert got.status_code == 403 and got.json()["error"] == "forbidden"


# --- the push list -----------------------------------------------------------------------------------
def test_the_push_list_is_paged_and_scoped(clients, web_places, svc):
    from zhizao.services import policy as P

    whole = P.check(svc, SMALL, store=False)
    first = clients["province"].get(f"{API}/{SMALL}/push", params={"page_size": 10}).json()
    second = clients["province"].get(f"{API}/{SMALL}/push", params={"page_size": 10, "page": 2}).json()
    assert first["total"] == whole.counts["eligible"] and len(first["rows"]) == 10
    assert not {r["uscc"] for r in first["rows"]} & {r["uscc"] for r in second["rows"]}
    assert [c["name"] for c in first["columns"]][:4] == ["uscc", "name", "region_code", "region_name"]
    county = web_places["county"]
    got = clients["county"].get(f"{API}/{SMALL}/push", params={"page_size": 500}).json()
    want = P.check(svc, SMALL, region=county, store=False).evaluation
    eligible = {u for u, v in zip(want.column("uscc").to_pylist(), want.column("verdict").to_pylist())
                if v == "eligible"}
    assert {r["uscc"] for r in got["rows"]} == eligible and got["total"] == len(eligible)
    assert all(r["region_code"] == county for r in got["rows"])
    other = clients["county"].get(f"{API}/{SMALL}/push", params={"region": web_places["other_county"]}).json()
    assert other["total"] == 0                                   # another county: nothing in the scope


def test_the_push_list_downloads_with_chinese_headers_and_is_logged(clients, web_app):
    _, acc = web_app
    c = clients["province"]
    total = c.get(f"{API}/{SMALL}/push").json()["total"]
    got = c.get(f"{API}/{SMALL}/push", params={"format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    lines = got.content.decode("utf-8-sig").splitlines()
    assert "合成数据" in lines[0] and lines[1].startswith("统一社会信用代码,企业名称,行政区划代码,所在区县,认定途径")
    assert len(lines) == 2 + total
    assert c.get(f"{API}/{SMALL}/push", params={"format": "xlsx"}).content[:2] == b"PK"
    assert any(e.action == "export" and e.username == "province" and e.object == f"policy push {SMALL}"
               for e in acc.list_audit(action="export"))


# --- explanations ------------------------------------------------------------------------------------
def test_an_explanation_inside_the_scope(clients, web_places, svc):
    from zhizao.services import policy as P

    uscc = web_places["enterprise"]
    got = clients["county"].get(f"{API}/{SMALL}/explain/{uscc}")
    assert got.status_code == 200, got.text
    e = got.json()
    assert e["verdict"] == P.explain(svc, SMALL, uscc).verdict and e["tree"]["enterprise"]["uscc"] == uscc
    assert e["text_zh"].splitlines()[1].startswith("结论") and "Verdict" in e["text_en"]
    assert (e["gap"] is None) == (e["verdict"] == "eligible")


@pytest.mark.parametrize("who", ["county", "enterprise"])
def test_an_explanation_outside_the_scope_is_404_like_an_unknown_uscc(clients, web_places, who):
    target, unknown = web_places["outside"], "91330000000000000X"
    r = clients[who].get(f"{API}/{SMALL}/explain/{target}")
    u = clients[who].get(f"{API}/{SMALL}/explain/{unknown}")
    assert r.status_code == u.status_code == 404
    assert r.json()["message_en"] == u.json()["message_en"].replace(unknown, target)
    assert r.json()["message_zh"] == u.json()["message_zh"].replace(unknown, target)


def test_an_enterprise_explains_itself_and_a_provider_explains_none(clients, web_places):
    uscc = web_places["enterprise"]
    got = clients["enterprise"].get(f"{API}/{VOUCHER}/explain/{uscc}")
    assert got.status_code == 200 and got.json()["uscc"] == uscc
    assert clients["provider"].get(f"{API}/{VOUCHER}/explain/{uscc}").status_code == 403


# --- the calculator ----------------------------------------------------------------------------------
def _calc(client, policy, body):
    return client.post(f"{API}/{policy}/calculate", json=body, headers={"X-CSRF-Token": csrf_of(client)})


def test_the_calculator_decides_a_hypothetical_enterprise_by_the_policy_file(clients):
    c = clients["provider"]
    # small_to_above.yaml: industrial (section C: 1311), operating, not on the registry, and main revenue
    # at the 20,000,000 line → eligible by the route at_line
    base = {"industry_code": "1311", "region_code": "330102",
            "figures": {"status": "operating", "above_scale": False, "main_revenue": 25_000_000}}
    got = _calc(c, SMALL, base)
    assert got.status_code == 200, got.text
    r = got.json()
    assert (r["verdict"], r["route"], r["hypothetical"]) == ("eligible", "at_line", True)
    assert r["uscc"] == r["tree"]["enterprise"]["uscc"] and len(r["uscc"]) == 18 and "假设企业" in r["note_zh"]
    # on the registry already: the floor rule below_scale fails, and the enterprise cannot change it
    on = {**base, "figures": {**base["figures"], "above_scale": True}}
    r = _calc(c, SMALL, on).json()
    assert r["verdict"] == "not_eligible" and [f["rule"] for f in r["gap"]["fixed"]] == ["below_scale"]
    # 18,000,000 (between the 15,000,000 cultivation line and the line): needs growth on the year
    # before — unknown without last year's revenue, eligible with 16,000,000 (growth 12.5 %)
    near = {**base, "figures": {**base["figures"], "main_revenue": 18_000_000}}
    r = _calc(c, SMALL, near).json()
    assert r["verdict"] == "unknown" and r["missing"] == ["main_revenue@-1"]
    near["figures"]["main_revenue@-1"] = 16_000_000
    assert _calc(c, SMALL, near).json()["route"] == "near_line"


def test_the_calculator_pays_the_voucher_amount(clients):
    # growth_voucher_zhejiang.yaml: in Zhejiang, industrial, on the registry, first entered it in the
    # evaluation year; registered 2+ years before → route small_to_above; 100,000 yuan
    body = {"year": 2024, "region_code": "330102", "industry_code": "1311",
            "figures": {"above_scale": True, "above_scale_since": "2024-03-01", "registered_on": "2015-06-01"}}
    r = _calc(clients["enterprise"], VOUCHER, body).json()
    assert (r["verdict"], r["route"], r["amount_yuan"]) == ("eligible", "small_to_above", 100_000)
    body["figures"]["above_scale_since"] = "2021-03-01"
    r = _calc(clients["enterprise"], VOUCHER, body).json()
    assert r["verdict"] == "not_eligible" and r["amount_yuan"] is None


@pytest.mark.parametrize("figures, where, says", [
    ({"main_revenu": 1}, "main_revenu", "main_revenue"),
    ({"main_revenue": "a lot"}, "main_revenue", "number"),
    ({"main_revenue": -5}, "main_revenue", "within"),
    ({"status": "dormant"}, "status", "operating"),
    ({"registered_on": "2015-13-01"}, "registered_on", "date"),
])
def test_a_bad_figure_is_422_naming_it(clients, figures, where, says):
    got = _calc(clients["admin"], SMALL, {"figures": figures})
    assert got.status_code == 422, got.text
    body = got.json()
    assert body["where"] == where and says in body["message_en"] and body["message_zh"]


def test_a_request_the_schema_refuses_is_422(clients):
    assert _calc(clients["admin"], SMALL, {"figures": {}, "colour": "red"}).status_code == 422
    assert _calc(clients["admin"], SMALL, {"figures": {"x" * 65: 1}}).status_code == 422
    got = clients["admin"].post(f"{API}/{SMALL}/calculate", json={"figures": {}})
    assert got.status_code == 403                                     # a session call without its CSRF token


@pytest.mark.parametrize("policy", [SMALL, "specialized_sme"])
def test_the_calculator_gives_a_real_enterprise_its_real_verdict(clients, web_places, policy):
    c = clients["county"]
    uscc = web_places["enterprise"]
    form = c.get(f"{API}/{policy}/calculator", params={"uscc": uscc}).json()
    assert form["uscc"] == uscc and form["fields"][0]["name"] == "region_code"
    figures = {f["name"]: f["value"] for f in form["fields"]}
    got = _calc(c, policy, {"figures": figures, "year": form["year"]}).json()
    real = c.get(f"{API}/{policy}/explain/{uscc}").json()
    assert got["verdict"] == real["verdict"] and got["missing"] == real["tree"]["missing"]
    assert c.get(f"{API}/{policy}/calculator", params={"uscc": web_places["outside"]}).status_code == 404


def test_the_calculator_says_when_a_policy_needs_another_lever_s_result(clients):
    got = _calc(clients["admin"], PRICE, {"figures": {}})
    assert got.status_code == 409 and got.json()["error"] == "missing_run"
    assert got.json()["command"].startswith("zhizao land evaluate")


# --- pages ------------------------------------------------------------------------------------------
def test_the_pages_render_in_both_languages(clients, web_places):
    c = clients["county"]
    uscc = web_places["enterprise"]
    for path, zh_word, query in (("/policies", "政策库", {}), (f"/policies/{SMALL}", "免申即享推送名单", {}),
                                 (f"/policies/{PRICE}", "披露控制", {}),
                                 (f"/policies/{SMALL}/explain/{uscc}", "逐条说明", {}),
                                 ("/policies/calculator", "政策计算器", {}),
                                 ("/policies/calculator", "主营业务收入", {"policy": SMALL, "uscc": uscc})):
        zh = c.get(path, params={**query, "lang": "zh"})
        assert zh.status_code == 200, (path, zh.text[:500])
        assert "合成数据" in zh.text and zh_word in zh.text, path
        en = c.get(path, params={**query, "lang": "en"})
        assert en.status_code == 200 and "synthetic data" in en.text, path
    c.get("/", params={"lang": "zh"})
    page = clients["enterprise"].get(f"/policies/{VOUCHER}")
    assert page.status_code == 200 and "免申即享推送名单" not in page.text        # no counts for an enterprise
    assert clients["enterprise"].get(f"/policies/{SMALL}/explain/{web_places['outside']}").status_code == 404


def test_the_calculator_page_posts_with_its_csrf_token(clients):
    c = clients["provider"]
    form = {"policy": SMALL, "year": "2024", "fig:region_code": "330102", "fig:industry_code": "1311",
            "fig:status": "operating", "fig:above_scale": "false", "fig:main_revenue": "25000000"}
    assert c.post("/policies/calculator", data=form).status_code == 403
    ok = c.post("/policies/calculator", data={**form, "csrf_token": csrf_of(c)}, params={"lang": "zh"})
    assert ok.status_code == 200 and "结论：符合" in ok.text and "假设企业" in ok.text
    bad = c.post("/policies/calculator", data={**form, "fig:main_revenue": "lots", "csrf_token": csrf_of(c)})
    assert bad.status_code == 422 and "main_revenue" in bad.text

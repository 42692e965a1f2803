"""The result tables of the supply-chain lever (产业链供应链): what ``zhizao.services.chains``
stores, column by column (type, unit, zh/en label, meaning). Plain data; checked against real
output by the contract test (``zhizao.contract.check_table``).

Every table ends with ``year`` (of the links) and ``synthetic`` (whether the warehouse's data is
the synthetic province's). Units: money in yuan (a year's trade on the links; the shock's flows
per day), shares as fractions (0–1).
"""

from __future__ import annotations

from zhizao.contract import Column as C
from zhizao.contract import ResultTable

__all__ = ["TABLES", "SOURCING", "SOURCING_PRODUCTS", "CHOKEPOINTS", "CHOKEPOINT_BUYERS", "LEADERS",
           "LEADER_CLUSTERS", "RESILIENCE", "SHOCK", "SHOCK_FIRMS"]

_STAMP = (
    C("year", "int64", "年度", "year", "the year of the supply links"),
    C("synthetic", "boolean", "合成数据", "synthetic", "true when the warehouse holds the synthetic province"),
)
_GROUP = (
    C("group_id", "string", "组编号", "group id",
      "the cluster id, GB/T 4754 division, or GB/T 2260 county or prefecture code of the group"),
    C("name", "string", "组名称", "group name", "the cluster's, division's or region's name"),
)
_LOCAL = C("local", "string", "本地口径", "local", "what counts as local: the same county, prefecture or province")
_SCENARIO = (
    C("scenario", "string", "冲击情景", "scenario", "what was hit (county, firms, outside suppliers of products)"),
    C("rationing", "string", "配给方式", "rationing",
      "how a short supplier shares out its output: proportional or soothing"),
    C("recovery", "string", "恢复方式", "recovery", "how capacity comes back: none, linear or exponential"),
)

SOURCING = ResultTable(
    "result_chain_sourcing", "本地配套率", "local sourcing",
    "one row per group of the province's firms: its purchases and sales on the links and how local they are",
    (*_GROUP,
     C("group_by", "string", "分组方式", "grouped by", "cluster, division, county or prefecture"),
     C("firms", "int64", "企业数", "firms", "members of the group", "count"),
     C("buyers", "int64", "采购企业数", "buyers", "members that buy on the links", "count"),
     C("purchases", "float64", "采购额", "purchases", "the members' purchases on the links", "yuan"),
     C("local_share", "float64", "本地配套率", "local sourcing ratio",
       "share of the purchases from suppliers in the buyer's own local region", "share"),
     C("province_share", "float64", "省内采购占比", "province share", "share bought from suppliers in the province",
       "share"),
     C("outside_share", "float64", "省外采购占比", "outside share", "share bought from outside the province", "share"),
     C("supplier_hhi", "float64", "供应商集中度", "supplier HHI",
       "purchase-weighted mean over input product classes of the suppliers' HHI (0–1)"),
     C("sales", "float64", "销售额", "sales", "the members' sales on the links", "yuan"),
     C("local_sales_share", "float64", "本地销售占比", "local sales share",
       "share of the sales to customers in the seller's own local region", "share"),
     _LOCAL, *_STAMP),
    key=("group_id",))

SOURCING_PRODUCTS = ResultTable(
    "result_chain_sourcing_products", "分产品配套", "sourcing by input product",
    "one row per group × input product class (GB/T 4754): where the group buys it and from how many suppliers",
    (C("group_id", "string", "组编号", "group id", "the group (see result_chain_sourcing)"),
     C("product", "string", "产品", "product", "GB/T 4754 code of the input product class"),
     C("purchases", "float64", "采购额", "purchases", "the group's purchases of the product", "yuan"),
     C("share_of_group", "float64", "占本组采购比重", "share of the group", "of the group's purchases", "share"),
     C("suppliers", "int64", "供应商数", "suppliers", "distinct suppliers", "count"),
     C("outside_suppliers", "int64", "省外供应商数", "outside suppliers", "of them outside the province", "count"),
     C("supplier_hhi", "float64", "供应商集中度", "supplier HHI", "HHI of the suppliers' shares (0–1)"),
     C("top_supplier_share", "float64", "最大供应商份额", "top supplier share", "the largest supplier's share",
       "share"),
     C("local_share", "float64", "本地配套率", "local share", "bought from the buyer's own local region", "share"),
     C("outside_share", "float64", "省外采购占比", "outside share", "bought from outside the province", "share"),
     _LOCAL,
     C("group_by", "string", "分组方式", "grouped by", "cluster, division, county or prefecture"),
     *_STAMP),
    key=("group_id", "product"))

CHOKEPOINTS = ResultTable(
    "result_chain_chokepoints", "卡脖子环节", "chokepoints",
    "one row per input product class bought by the province's firms: supply structure, flags, dependent output",
    (C("product", "string", "产品", "product", "GB/T 4754 code of the input product class"),
     C("purchases", "float64", "采购额", "purchases", "bought by the province's firms", "yuan"),
     C("buyers", "int64", "直接买方数", "buyers", "the province's firms that buy it", "count"),
     C("suppliers", "int64", "供应商数", "suppliers", "distinct suppliers", "count"),
     C("inside_suppliers", "int64", "省内供应商数", "inside suppliers", "suppliers in the province", "count"),
     C("outside_suppliers", "int64", "省外供应商数", "outside suppliers", "suppliers outside the province", "count"),
     C("supplier_hhi", "float64", "供应商集中度", "supplier HHI", "HHI of the suppliers' shares (0–1)"),
     C("outside_share", "float64", "省外采购占比", "outside share", "bought from outside the province", "share"),
     C("few_suppliers", "boolean", "供应商过少", "few suppliers", "at most max_suppliers suppliers"),
     C("outside_only", "boolean", "全部省外", "outside only", "every supplier outside the province"),
     C("chokepoint", "boolean", "卡脖子", "chokepoint", "few suppliers, or (when flagged) outside only"),
     C("direct_buyer_output", "float64", "直接买方产出", "direct buyers' output", "output of the firms that buy it",
       "yuan"),
     C("dependent_output", "float64", "依赖产出", "dependent output",
       "Σ output × dependence over the province's firms within hops links (null: not a chokepoint)", "yuan"),
     C("reach_firms", "int64", "波及企业数", "firms reached", "firms with a dependence above 0", "count"),
     C("reach_output", "float64", "波及企业产出", "output reached",
       "those firms' output, unweighted (null: not a chokepoint)", "yuan"),
     C("rank", "int64", "名次", "rank", "1 = the most dependent output (null: not a chokepoint)"),
     C("max_suppliers", "int64", "供应商上限", "max suppliers", "the threshold of few_suppliers", "count"),
     C("hops", "int64", "传导层数", "hops", "links downstream that count", "count"),
     *_STAMP),
    key=("product",))

CHOKEPOINT_BUYERS = ResultTable(
    "result_chain_chokepoint_buyers", "卡脖子产品买方", "chokepoint buyers",
    "one row per chokepoint × buyer in the province: what it buys, from how many suppliers, how much it depends",
    (C("product", "string", "产品", "product", "GB/T 4754 code of the chokepoint"),
     C("rank", "int64", "名次", "rank", "the chokepoint's rank"),
     C("buyer_uscc", "string", "买方信用代码", "buyer USCC", "the buyer's unified social credit code"),
     C("buyer_region_code", "string", "买方地区", "buyer region", "the buyer's GB/T 2260 county code"),
     C("buyer_sector", "string", "买方行业", "buyer sector", "the buyer's GB/T 4754 code"),
     C("amount", "float64", "采购额", "amount", "what it buys of the product", "yuan"),
     C("input_share", "float64", "占其采购比重", "input share", "of the buyer's purchases", "share"),
     C("suppliers", "int64", "供应商数", "suppliers", "its distinct suppliers of the product", "count"),
     C("outside_suppliers", "int64", "省外供应商数", "outside suppliers", "of them outside the province", "count"),
     C("buyer_output", "float64", "买方产出", "buyer output", "the buyer's output", "yuan"),
     C("dependence", "float64", "依赖度", "dependence", "the buyer's dependence on the chokepoint (0–1)"),
     *_STAMP),
    key=("product", "buyer_uscc"))

LEADERS = ResultTable(
    "result_chain_leaders", "链主候选", "chain-leader candidates",
    "one row per firm of the province, ranked by size, downstream and upstream reach and PageRank",
    (C("rank", "int64", "名次", "rank", "1 = the highest leader score"),
     C("uscc", "string", "统一社会信用代码", "USCC", "the firm"),
     C("region_code", "string", "地区代码", "county", "the firm's GB/T 2260 county code"),
     C("sector", "string", "行业", "sector", "the firm's GB/T 4754 code"),
     C("output", "float64", "产出", "output", "the firm's output", "yuan"),
     C("sales", "float64", "销售额", "sales", "its sales on the links", "yuan"),
     C("purchases", "float64", "采购额", "purchases", "its purchases on the links", "yuan"),
     C("suppliers", "int64", "供应商数", "suppliers", "distinct suppliers", "count"),
     C("customers", "int64", "客户数", "customers", "distinct customers", "count"),
     C("downstream_reach", "float64", "下游辐射", "downstream reach",
       "output of the firms downstream within hops links, weighted by their input shares", "yuan"),
     C("upstream_reach", "float64", "上游带动", "upstream reach",
       "output of the firms upstream within hops links, weighted by their sales shares", "yuan"),
     C("pagerank_supply", "float64", "供给PageRank", "PageRank (supply)", "amount-weighted PageRank along supply"),
     C("pagerank_demand", "float64", "需求PageRank", "PageRank (demand)", "amount-weighted PageRank along demand"),
     C("size_pct", "float64", "规模分位", "size percentile", "percentile of output among the province's firms (0–1)"),
     C("reach_pct", "float64", "辐射分位", "reach percentile", "percentile of downstream + upstream reach (0–1)"),
     C("influence_pct", "float64", "影响力分位", "influence percentile", "percentile of the two PageRanks (0–1)"),
     C("leader_score", "float64", "链主得分", "leader score", "mean of the three percentiles (0–1)"),
     C("cluster", "string", "所属集群", "cluster", "a cluster the firm belongs to (empty: none)"),
     C("anchor_cluster", "string", "锚定集群", "anchored cluster",
       "the cluster whose trade is most with the firm (empty: none)"),
     C("anchor_share", "float64", "锚定份额", "anchor share", "that cluster's share of its trade with the firm", "share"),
     C("hops", "int64", "传导层数", "hops", "links that count in the reach", "count"),
     *_STAMP),
    key=("uscc",))

LEADER_CLUSTERS = ResultTable(
    "result_chain_leader_clusters", "链主锚定集群", "clusters the leaders anchor",
    "one row per firm × cluster: the firm's own clusters and those whose trade with it is at least anchor_min",
    (C("uscc", "string", "统一社会信用代码", "USCC", "the firm"),
     C("cluster_id", "string", "集群编号", "cluster id", "id in the cluster set"),
     C("anchor_share", "float64", "锚定份额", "anchor share", "share of the cluster's trade with the firm", "share"),
     C("member", "boolean", "集群成员", "member", "the firm belongs to the cluster"),
     *_STAMP),
    key=("uscc", "cluster_id"))

RESILIENCE = ResultTable(
    "result_chain_resilience", "集群韧性", "cluster resilience",
    "one row per cluster: 拆不散 cohesion, 搬不走 embeddedness, 压不垮 absorption and their inputs",
    (*_GROUP,
     C("firms", "int64", "企业数", "firms", "members of the cluster", "count"),
     C("nodes", "int64", "网络节点数", "nodes", "members and the province's firms they trade with", "count"),
     C("removed", "int64", "移除企业数", "removed", "largest firms removed for cohesion", "count"),
     C("lcc_before", "float64", "移除前最大连通占比", "largest component before",
       "share of the nodes in the largest connected component before removal", "share"),
     C("cohesion", "float64", "拆不散", "cohesion", "share in the largest component after removal (0–1)", "share"),
     C("local_share", "float64", "本地配套率", "local sourcing ratio", "members' purchases bought locally", "share"),
     C("local_sales_share", "float64", "本地销售占比", "local sales share", "members' sales sold locally", "share"),
     C("embeddedness", "float64", "搬不走", "embeddedness", "mean of the local sourcing and local sales shares (0–1)"),
     C("top_suppliers", "string", "最大供应商", "top suppliers", "USCCs of the suppliers hit in scenario (a), ;-joined"),
     C("loss_top_suppliers", "float64", "供应商冲击损失", "supplier-shock loss",
       "members' output lost when the top suppliers are hit, of their output over the horizon", "share"),
     C("outside_product", "string", "主要省外投入", "main outside input",
       "GB/T 4754 code of the largest out-of-province input cut in scenario (b)"),
     C("loss_outside_input", "float64", "断供损失", "import-cut loss",
       "members' output lost when that input is cut, of their output over the horizon", "share"),
     C("absorption", "float64", "压不垮", "absorption", "1 − mean loss share of the two scenarios (0–1)"),
     C("resilience", "float64", "韧性", "resilience", "mean of the components present (0–1)"),
     C("rank", "int64", "名次", "rank", "1 = the most resilient"),
     _LOCAL, *_STAMP),
    key=("group_id",))

SHOCK = ResultTable(
    "result_chain_shock", "冲击损失曲线", "shock loss curve",
    "one row per simulated day (0 = before the shock): total output of the network",
    (C("day", "int64", "天", "day", "days after the shock (0: the pre-shock steady state)"),
     C("total_output", "float64", "总产出", "total output", "output of every firm of the network that day",
       "yuan/day"),
     C("output_share", "float64", "产出占冲击前比重", "output share", "total output ÷ day 0", "share"),
     C("loss", "float64", "损失", "loss", "day 0 output − that day's", "yuan/day"),
     C("inside_output", "float64", "省内企业产出", "inside output", "output of the province's firms that day",
       "yuan/day"),
     *_STAMP, *_SCENARIO),
    key=("day",))

SHOCK_FIRMS = ResultTable(
    "result_chain_shock_firms", "冲击企业损失", "shock loss by firm",
    "one row per firm of the network, the most affected first: its pre-shock output, loss and lowest output",
    (C("uscc", "string", "统一社会信用代码", "USCC", "the firm (outside firms by their link id)"),
     C("region_code", "string", "地区代码", "county", "the firm's GB/T 2260 county code (empty: outside)"),
     C("sector", "string", "行业", "sector", "the firm's GB/T 4754 code"),
     C("inside", "boolean", "省内企业", "inside", "the firm is one of the province's"),
     C("hit", "boolean", "直接受损", "hit", "damaged directly by the shock"),
     C("baseline_output", "float64", "冲击前日产出", "baseline output", "pre-shock output per day", "yuan/day"),
     C("loss", "float64", "损失", "loss", "output lost over the simulated days", "yuan"),
     C("loss_share", "float64", "损失占比", "loss share", "loss ÷ its output over the days", "share"),
     C("lowest_output_share", "float64", "最低日产出占比", "lowest output share",
       "its lowest daily output ÷ its pre-shock output", "share"),
     *_STAMP, *_SCENARIO),
    key=("uscc",))

TABLES = (SOURCING, SOURCING_PRODUCTS, CHOKEPOINTS, CHOKEPOINT_BUYERS, LEADERS, LEADER_CLUSTERS, RESILIENCE, SHOCK,
          SHOCK_FIRMS)

"""The result tables of the regional overview (区域概况): totals of the warehouse's own data for a
year, by province, prefecture and GB/T 4754 division (``zhizao.services.overview``)."""

from __future__ import annotations

from zhizao.contract import Column as C
from zhizao.contract import ResultTable

_MEASURES = (
    C("revenue", "float64", "营业收入", "revenue", "sum of the enterprises' revenue", "yuan"),
    C("main_revenue", "float64", "主营业务收入", "main-business revenue", "sum of main-business revenue", "yuan"),
    C("gross_output", "float64", "工业总产值", "gross output", "sum of gross industrial output", "yuan"),
    C("value_added", "float64", "工业增加值", "value added", "sum of industrial value added", "yuan"),
    C("taxes", "float64", "税收", "taxes", "sum of taxes paid", "yuan"),
    C("profit", "float64", "利润总额", "profit", "sum of total profit", "yuan"),
    C("rd_expenditure", "float64", "研发经费", "R&D expenditure", "sum of R&D expenditure", "yuan"),
    C("employees", "float64", "从业人员", "employees", "sum of employees", "persons"),
    C("energy_tce", "float64", "综合能耗", "energy use", "sum of energy use", "tce"),
    C("enterprises", "int64", "企业数", "enterprises", "enterprises with indicators in the year", "count"),
    C("above_scale_enterprises", "int64", "规上企业数", "above-scale enterprises",
      "enterprises on the 规上 registry that year (registry flag)", "count"),
)

PROVINCE_SUMMARY = ResultTable(
    "result_province_summary", "全省概况", "province summary",
    "one row: the year's enterprises, 规上 enterprises and their revenue, value added, taxes, employees",
    (C("year", "int64", "年度", "year", "the year summarised"),
     C("enterprises", "int64", "企业数", "enterprises", "enterprises with indicators in the year", "count"),
     C("above_scale_enterprises", "int64", "规上企业数", "above-scale enterprises", "on the 规上 registry", "count"),
     C("revenue", "float64", "营业收入", "revenue", "all enterprises", "yuan"),
     C("above_scale_revenue", "float64", "规上营业收入", "above-scale revenue", "规上 enterprises only", "yuan"),
     C("value_added", "float64", "工业增加值", "value added", "all enterprises", "yuan"),
     C("above_scale_value_added", "float64", "规上工业增加值", "above-scale value added", "规上 only", "yuan"),
     C("taxes", "float64", "税收", "taxes", "all enterprises", "yuan"),
     C("employees", "float64", "从业人员", "employees", "all enterprises", "persons")),
    key=("year",))

TOTALS_BY_PREFECTURE = ResultTable(
    "result_totals_by_prefecture", "分地市汇总", "totals by prefecture",
    "one row per prefecture (GB/T 2260 地级 code): sums of the indicators for the year",
    (C("year", "int64", "年度", "year", "the year summed"),
     C("prefecture", "string", "地市", "prefecture", "GB/T 2260 prefecture code"), *_MEASURES),
    key=("year", "prefecture"))

TOTALS_BY_DIVISION = ResultTable(
    "result_totals_by_division", "分行业大类汇总", "totals by industry division",
    "one row per GB/T 4754-2017 division (2-digit 大类): sums of the indicators for the year",
    (C("year", "int64", "年度", "year", "the year summed"),
     C("division", "string", "行业大类", "division", "GB/T 4754-2017 division code"), *_MEASURES),
    key=("year", "division"))

TABLES = (PROVINCE_SUMMARY, TOTALS_BY_PREFECTURE, TOTALS_BY_DIVISION)

"""The navigation of the pages, by role: (path, zh, en, roles that see it). An area adds its entry
here; the base layout shows the entries of the viewer's role."""

from __future__ import annotations

#: navigation: (path, zh, en, roles that see it)
NAV = (
    ("/", "首页", "Home", ("admin", "official", "enterprise", "provider", "auditor")),
    ("/enterprises", "企业", "Enterprises", ("admin", "official", "auditor")),
    ("/regions", "区域", "Regions", ("admin", "official", "auditor", "enterprise")),
    ("/policies", "政策", "Policies", ("admin", "official", "enterprise", "provider", "auditor")),
    ("/land/classes", "亩均", "Per-mu", ("admin", "official", "auditor")),
    ("/clusters", "集群", "Clusters", ("admin", "official", "auditor")),
    ("/chains/chokepoints", "产业链", "Supply chains", ("admin", "official", "auditor")),
    ("/runs", "计算批次", "Runs", ("admin", "official", "auditor")),
    ("/data", "数据", "Data", ("admin", "official", "auditor")),
    ("/account", "账户", "Account", ("admin", "official", "enterprise", "provider", "auditor")),
    ("/admin/users", "用户管理", "Users", ("admin",)),
    ("/admin/audit", "审计日志", "Audit log", ("admin", "auditor")),
)

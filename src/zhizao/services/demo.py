"""The demo pipeline (`zhizao demo`): synth → Parquet files → validated import → every
registered lever's standard run, returned as a ``DemoResult`` (the shell writes the summary
files with ``zhizao.report.demo_summary.write_files``).

The analyses come from the lever registry (``zhizao.services.registry.levers``): a lever that
registers is run by the demo.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zhizao.errors import Conflict

__all__ = ["DemoResult", "run_demo", "DemoLogin", "demo_logins"]

Progress = Callable[[str, float], None]


@dataclass
class DemoResult:
    """What the demo built: the paths, the figures it prints and writes, the runs recorded."""

    out_dir: Path
    db_path: Path
    data_dir: Path
    year: int = 0
    seed: int = 0
    counts: dict = field(default_factory=dict)
    import_report: object = None
    calibration: list = field(default_factory=list)
    summaries: dict = field(default_factory=dict)      # summary name → list of row dicts
    findings: dict = field(default_factory=dict)       # lever name → one-line findings
    runs: list = field(default_factory=list)           # zhizao.services.runs.Run
    files: list = field(default_factory=list)
    template_path: Path | None = None
    summary_json: Path | None = None
    summary_md: Path | None = None
    logins: list = field(default_factory=list)         # DemoLogin, one per role (demo_logins)


@dataclass(frozen=True)
class DemoLogin:
    """One demo account: who logs in, as what, with which password, seeing what."""

    username: str
    role: str
    password: str | None              # None: the account existed already (password unchanged)
    sees: str                         # the scope in words: 浙江省 330000, 湖州市吴兴区 330502 …


def run_demo(*, out_dir: Path, db_path: Path, enterprises: int = 50_000, seed: int = 20261127,
             progress: Progress | None = None) -> DemoResult:
    """Build the demo province into ``db_path`` and write the results under ``out_dir``."""
    from zhizao.data import ingest, synth, template
    from zhizao.services import Service
    from zhizao.services.data import write_synthetic_parquet
    from zhizao.services.registry import levers

    progress = progress or (lambda stage, fraction: None)
    out_dir, db_path = Path(out_dir), Path(db_path)
    if db_path.exists() and out_dir.resolve() not in db_path.resolve().parents:
        raise Conflict(f"{db_path} 已存在且不是演示目录 {out_dir} 下的数据仓库：演示只写入新的数据仓库（请换一个 --db）",
                       f"{db_path} exists and is not the demo's own warehouse under {out_dir}: "
                       "the demo only writes a fresh warehouse (use another --db)", where=str(db_path))
    data_dir = out_dir / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    for p in (db_path, db_path.with_name(db_path.name + ".wal")):
        p.unlink(missing_ok=True)

    result = DemoResult(out_dir=out_dir, db_path=db_path, data_dir=data_dir, seed=seed)
    progress("synth", 0.0)
    tables = synth.generate(enterprises=enterprises, seed=seed,
                            progress=lambda s, f: progress(f"synth: {s}", 0.35 * f))
    result.files += write_synthetic_parquet(tables, data_dir)
    result.calibration = synth.calibration_report(tables, synth.load_calibration())

    progress("import", 0.4)
    with Service.open(db_path) as svc:
        result.import_report = ingest.import_files(
            svc.wh, result.files, progress=lambda s, f: progress(f"import: {s}", 0.4 + 0.3 * f))
        result.year = year = svc.resolve_year(None)[0]
        registered = levers()
        for k, (name, lever) in enumerate(registered.items()):
            progress(name, 0.7 + 0.28 * k / len(registered))
            got = lever.standard_run(svc, year)
            result.runs += got.runs
            result.findings[name] = list(got.findings)
            for summary_name, table in got.summaries.items():
                result.summaries[summary_name] = table.to_pylist()
        result.counts = svc.wh.counts()

    progress("accounts", 0.99)
    result.logins = demo_logins(db_path)
    result.template_path = out_dir / "zhizao-template.xlsx"
    template.write_template(result.template_path)
    result.files.append(result.template_path)
    progress("done", 1.0)
    return result


def demo_logins(db_path: Path, *, oltp_url: str | None = None, password: str | None = None) -> list[DemoLogin]:
    """One account per role for the demo province in ``db_path`` (the operational database beside
    it, made afresh): an administrator, a provincial official, the official of the county with
    the most enterprises, an enterprise of that county, a service provider and an auditor. One
    random password for all, returned (and printed by the demo) — a demo on 127.0.0.1 only."""
    import secrets

    import ibis

    from zhizao.accounts.scope import Scope
    from zhizao.accounts.service import Accounts
    from zhizao.services import Service
    from zhizao.settings import Settings

    settings = Settings(db_path=Path(db_path), oltp_url_=oltp_url)
    if oltp_url is None:                                   # the demo's own file: start afresh
        Path(settings.oltp_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    with Service.open(db_path, read_only=True) as svc:
        ents = svc.tables()["enterprises"]
        top = (ents.group_by("region_code").aggregate(n=ents.count())
               .order_by([ibis.desc("n"), "region_code"]).limit(1).to_pyarrow().to_pylist())[0]
        county = top["region_code"]
        in_county = ents.filter(ents.region_code == county)
        uscc = in_county.order_by("uscc").limit(1).select("uscc").to_pyarrow().column("uscc")[0].as_py()
    province = county[:2] + "0000"
    password = password or "demo-" + secrets.token_urlsafe(6)
    with Accounts.open(settings) as acc:
        made = acc.ensure_demo_users(province, county, uscc, password)
        users = {u.username: u for u in acc.list_users()}
    out = []
    for username, role, pw in made:
        u = users[username]
        sees = Scope.for_user(u.role, jurisdiction=u.jurisdiction, uscc=u.uscc).describe("zh")
        out.append(DemoLogin(username, role, pw, sees))
    return out

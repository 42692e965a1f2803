"""The JSON API (``/api/v1``): one module per area; every route takes the viewer (401 without a
login), calls one service with the viewer's scope and renders the typed result as JSON, or as a
streamed CSV/XLSX download (``format=csv|xlsx``, logged in the audit log)."""

from fastapi import APIRouter

from zhizao.web.api import (
    account,
    admin,
    chains,
    clusters,
    enterprises,
    health,
    imports,
    jobs,
    land,
    policies,
    regions,
    runs,
)

router = APIRouter()
for m in (health, account, enterprises, regions, runs, jobs, imports, policies, land, clusters, chains, admin):
    router.include_router(m.router)

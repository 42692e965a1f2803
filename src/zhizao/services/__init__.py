"""The application layer (应用服务层): the operations users run, one module per lever plus data
and the demo pipeline.

Every function takes a ``Service`` (the warehouse handle with its caches) and plain values, and
returns typed results (dataclasses) that the CLI, the web app and the reports render without
computing. Errors are ``zhizao.errors`` (one hierarchy, zh/en messages). Stored results are
recorded as runs (``zhizao.services.runs``). Nothing here imports typer, rich, click or fastapi.
"""

from zhizao.services.service import Service, open_service

__all__ = ["Service", "open_service"]

"""The pages of each area (one module each, with its own ``router``); ``app.py`` includes every
module listed in ``AREAS``. Core pages (login, home, enterprises, regions, runs, account,
administration) are in ``zhizao.web.pages``."""

AREAS: tuple[str, ...] = ("imports", "policies", "land", "clusters", "chains")

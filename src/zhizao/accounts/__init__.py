"""Accounts (账户与权限): users, roles, jurisdictions, sessions, API tokens, the access scope and
the audit log. ``scope`` is pure; the rest writes the operational database (SQLAlchemy 2)."""

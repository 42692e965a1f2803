"""zhizao (智造): a regional manufacturing-policy platform.

The data spine (``zhizao.codes``, ``zhizao.data``) holds the official code tables, the
canonical schema, validated import, the synthetic province and the warehouse; the levers
(land, clusters, chains, policy, ...) read from it.
"""

__version__ = "0.1.0"

"""Supply chains (产业链供应链): the supply network, local sourcing, chokepoints, chain leaders,
resilience and shock propagation.

``network`` builds the :class:`~zhizao.chains.network.Network` arrays from the warehouse;
``measures`` (本地配套率, supplier HHI, 卡脖子 chokepoints), ``leaders`` (链主) and ``resilience``
(拆不散、搬不走、压不垮) are NumPy/SciPy kernels over it; ``shock`` is the Inoue–Todo firm-level
propagation model. See docs/chains.md.
"""

from zhizao.chains.network import Network, build_network, network_from_arrays

__all__ = ["Network", "build_network", "network_from_arrays"]

"""Instances placed on a Ray cluster (``ros fc serve --cluster``).

Why a package of its own: the backend's scheduler decides *what* runs (which function, how many
instances, warm reuse); this package decides *where*. A node agent (one Ray actor per node,
:mod:`fcbackend.cluster.agent`) runs the existing instance drivers on its node with its own pool
of pre-started sandboxes; the API process talks to the agents only to start, stop and list
instances (:mod:`fcbackend.cluster.placement`), and sends invocations straight to the
instance's endpoint on its node. Ray is imported by :mod:`fcbackend.cluster.ray_plane` alone, and
only when ``--cluster`` is given. docs/design/cluster.md explains the design.
"""

"""The ``docker`` instance driver and what it is made of (see :mod:`fcbackend.instances.docker.driver`)."""

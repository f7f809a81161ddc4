"""Suite-wide fixtures.

``tests.support.fc_api`` is loaded as a plugin so that its ``backend`` and ``sdk`` fixtures (a real
FC API server over a fake scheduler, one per test module) reach every test that asks for them.
"""

pytest_plugins = ["tests.support.fc_api"]

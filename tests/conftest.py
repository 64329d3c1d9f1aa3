pytest_plugins = ["orderpulse.testing.fixtures", "orderpulse.testing.browser"]

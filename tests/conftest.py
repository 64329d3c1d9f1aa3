pytest_plugins = ["orderpulse.testing.fixtures"]

"""Built-in hacore plugins, registered through the `hacore` entry-point group like any other."""

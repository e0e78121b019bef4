"""What runs under everything: settings, the clock, the services object, logging."""

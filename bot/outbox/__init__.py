"""The outbox and everything that plans rows in it or sends them."""

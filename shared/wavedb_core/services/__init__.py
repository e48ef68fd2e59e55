"""Business rules, written once and called by every handler that needs them."""

"""Database access: the connection of this execution environment and the migrations."""

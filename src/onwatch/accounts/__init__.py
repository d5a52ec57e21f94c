"""Accounts: users with roles, password hashing, API tokens and the first admin."""

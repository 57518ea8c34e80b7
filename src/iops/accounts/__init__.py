"""Accounts: users with collar numbers, ranks, teams and districts; roles as groups; API tokens."""

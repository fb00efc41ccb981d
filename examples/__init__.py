"""Runnable examples. ``python -m examples.leader_follower_agents`` runs a generated team."""

"""Prognostic models and their validation."""

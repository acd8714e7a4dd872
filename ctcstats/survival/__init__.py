"""Survival analysis: Kaplan–Meier, log-rank, Cox, competing risks, landmark analyses."""

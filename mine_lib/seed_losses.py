"""The six training losses proposed in the student report (shared/seed), beside DV.

Filled in by the improved-losses chapter's work; each class subclasses losses.Objective.
"""

SEED_LOSSES: dict = {}

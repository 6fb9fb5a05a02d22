"""Signals sent after a transition has committed (for cross-cutting reactions only)."""

from django.dispatch import Signal

# sender: the subject's model; kwargs: instance, transition, from_state, to_state, actor, log
transition_committed = Signal()

"""Preventive maintenance planning under a budget, and the life-cycle cost of preventive against reactive."""

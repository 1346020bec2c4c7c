"""The risk engine: deterioration from inspection history, probability × consequence, explained."""

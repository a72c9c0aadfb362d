"""Training and evaluation: data loaders for ../shared/data, weak labels, fitting, measuring.

This package uses pandas; `moderation.model` never imports it.
"""

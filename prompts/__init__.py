"""Prompt templates, the question bank, probes and the rubric (data only).

Shipped inside the wheel as the package `interviewer.prompts_data` (see pyproject.toml and
interviewer/resources.py); this file only makes the folder a regular package there.
"""

"""The interviewer personas shipped with the package (data only).

Shipped inside the wheel as the package `interviewer.personas_data` (see pyproject.toml and
interviewer/resources.py); this file only makes the folder a regular package there.
"""
